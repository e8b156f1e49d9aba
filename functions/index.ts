/**
 * Entry point for the Azure Functions host (package.json `main`): registers every definition with the
 * v4 programming model. Handlers are the same ones the local dev host runs.
 *
 * Start-up: the v4 model indexes the functions registered while this module is imported, so
 * the registrations below run synchronously at top level, from manifest facts only. The handler modules
 * (zod, shared/, the routes) are not imported here: they load in the background right after this import
 * completes, overlapping the host's own start-up (indexing, listeners), and on first use if that failed.
 */
import { app } from './azure-functions.js';
import { toServiceBusHandler } from './queue/to-service-bus-handler.js';
import { functionDefinitions, preloadHandlers, type PreloadReport } from './registry.js';

/**
 * HTTP streams: request bodies reach handlers as they arrive instead of whole, so a file upload (up to
 * 200 MB, docs/batches.md) is checked and staged to Blob Storage without sitting in the worker's memory.
 * The JSON routes read their bodies the same way, under their own caps (functions/http/body.ts). The
 * host still caps a request at FUNCTIONS_REQUEST_BODY_SIZE_LIMIT (set by infra/modules/functionapp.bicep).
 */
app.setup({ enableHttpStream: true });

/** The Service Bus connection: identity-based in Azure via ServiceBusConnection__fullyQualifiedNamespace. */
const CONNECTION = 'ServiceBusConnection';

for (const definition of functionDefinitions) {
  switch (definition.kind) {
    case 'http':
      app.http(definition.name, {
        route: definition.route,
        methods: [...definition.methods],
        authLevel: 'anonymous',
        handler: definition.handler,
      });
      break;
    case 'serviceBusQueue':
      app.serviceBusQueue(definition.name, {
        connection: CONNECTION,
        queueName: definition.queueName,
        handler: toServiceBusHandler(definition),
      });
      break;
    case 'timer':
      app.timer(definition.name, {
        schedule: definition.schedule,
        handler: (_timer, context) => definition.handler(context),
      });
      break;
  }
}

/**
 * Application Insights through OpenTelemetry, when the app has a connection string (Azure sets it; the
 * local stack does not). The host asks for the worker's capabilities as soon as this import returns, so
 * the one that says the worker sends its own telemetry is set now; the SDK itself (over a second to
 * import) loads in the background like the handlers, and invocations before it is up go untraced.
 * Read directly: shared/config would load zod into every cold start.
 */
// eslint-disable-next-line no-restricted-properties -- see above
const { APPLICATIONINSIGHTS_CONNECTION_STRING, APPLICATIONINSIGHTS_AUTHENTICATION_STRING } = process.env;
export const telemetryStarted: Promise<boolean> = APPLICATIONINSIGHTS_CONNECTION_STRING
  ? startTelemetry(APPLICATIONINSIGHTS_CONNECTION_STRING, APPLICATIONINSIGHTS_AUTHENTICATION_STRING)
  : Promise.resolve(false);

function startTelemetry(
  connectionString: string,
  authenticationString: string | undefined,
): Promise<boolean> {
  app.setup({ capabilities: { WorkerOpenTelemetryEnabled: true } });
  return new Promise((resolve) => {
    setImmediate(() => {
      import('./azure-monitor.js')
        .then(({ startAzureMonitor }) =>
          startAzureMonitor({
            connectionString,
            ...(authenticationString ? { authenticationString } : {}),
          }),
        )
        .then(
          () => resolve(true),
          (error: unknown) => {
            // Telemetry must never keep the app from serving: log and run without it.
            console.error(
              JSON.stringify({
                event: 'telemetry.start_failed',
                error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
              }),
            );
            resolve(false);
          },
        );
    });
  });
}

/**
 * Graceful shutdown (scale-in, deployment, restart): the host runs this hook before it stops the worker,
 * so Service Bus links, the Cosmos client, the model client and the worker pool close cleanly, as the dev
 * host closes them on Ctrl-C. functions/services.ts is imported here, not at the top: the entry's own
 * import stays free of handler code (test/cost/startup-imports.test.ts). An instance that never served an
 * invocation has no services to close, and the import costs one small file.
 */
app.hook.appTerminate(async () => {
  const { closeServices } = await import('./services.js');
  await closeServices();
});

/**
 * Loads every handler module once the import has returned to the host: setImmediate runs after the
 * importer has resumed (a microtask), so the preload does not count toward the import, and its file reads
 * interleave with the worker's own messages. A failure is logged, not thrown: the worker keeps serving,
 * and the first invocation of that group imports again and fails with the real error. Exported so
 * benchmarks and tests can wait for it.
 */
export const handlersPreloaded: Promise<PreloadReport> = new Promise((resolve) => {
  setImmediate(() => {
    void preloadHandlers().then((report) => {
      for (const { group, error } of report.failed) {
        console.error(
          JSON.stringify({
            event: 'functions.preload_failed',
            group,
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          }),
        );
      }
      resolve(report);
    });
  });
});
