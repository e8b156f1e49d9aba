/**
 * `npm start`: the whole platform on this machine.
 * - By default (no COSMOS_ENDPOINT in the environment) on embedded defaults, no cloud and no Docker,
 *   the emulators on worker threads: prints the URLs, a dev API key and a curl that submits a job, then
 *   the job's progress.
 * - With COSMOS_ENDPOINT and ServiceBusConnection__fullyQualifiedNamespace set, the same dev host runs
 *   the same functions against those real Azure resources, with your `az login` identity.
 * Ctrl-C stops cleanly: HTTP stops accepting first (new connections refused, requests on open ones
 * answered 503), requests already running answer, the queues drain for up to 10 s, then the host stops
 * receiving and in-flight messages finish or return to their queues.
 * Data is in memory unless `--data-dir <folder>` is given: then documents and queued messages are
 * written there on stop and restored on the next start.
 * The live dashboard is at <API host>/dashboard (local/dashboard/) unless `--no-dashboard` is given.
 */
import { performance } from 'node:perf_hooks';
import { createLogger, type Logger } from '../shared/telemetry/logger.js';
import { prettySink } from './pretty-log.js';
import { startLocalStack } from './stack.js';

const json = process.env.LOG_FORMAT === 'json';
const logger = createLogger({ level: 'info', ...(json ? {} : { sink: prettySink() }) });
const port = Number(process.env.PORT ?? 7071);
const dataDir = dataDirArgument(process.argv.slice(2));
// The dashboard registers the OpenTelemetry SDK: its spans and context tracking cost about 2 ms of CPU
// per job (docs/observability.md); `--no-dashboard` runs without it.
const dashboard = !process.argv.slice(2).includes('--no-dashboard');
// performance.now() counts from process start, so module loading is included.
const elapsed = () => (performance.now() / 1000).toFixed(1);

const stop = process.env.COSMOS_ENDPOINT ? await runAttached() : await runEmbedded(logger);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(
    `\n${signal}: stopping: new requests are refused, accepted jobs get up to 10 s to finish their stages...`,
  );
  await stop();
  console.log(
    dataDir
      ? `stopped. Jobs, queued messages and keys are kept in ${dataDir}.`
      : 'stopped. Data was in memory and is gone (keep it with: npm start -- --data-dir .data).',
  );
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

// Modules only one mode needs load in that mode (attached.ts brings @azure/identity), and while the
// stack starts rather than before it.
async function runEmbedded(log: Logger): Promise<() => Promise<void>> {
  const receiverModule = import('./webhook-receiver/dev.js');
  receiverModule.catch(() => undefined);
  const stack = await startLocalStack({
    port,
    serviceBusPort: Number(process.env.SERVICEBUS_EMULATOR_PORT ?? 5672),
    logger: log,
    // Cosmos DB, Service Bus and the model run beside the dev host like the services they stand for.
    emulatorThreads: true,
    // A Global Batch deployment of the model: work with a far deadline (batch lines) runs there.
    globalBatch: { alias: 'gpt-4o-mini' },
    // The live dashboard on the API's port, fed by the OpenTelemetry SDK registered in process.
    dashboard,
    ...(dataDir ? { dataDir } : {}),
  });
  // A receiver registered as the dev tenant's endpoint: completions arrive signed and verified here.
  const { startDevWebhookReceiver } = await receiverModule;
  const webhooks = await startDevWebhookReceiver({
    deps: stack.services.webhooks,
    tenantId: stack.tenantId,
    port: Number(process.env.WEBHOOK_RECEIVER_PORT ?? 7072),
  });
  const curl = [
    `curl -s -X POST ${stack.apiUrl}/v1/jobs \\`,
    `  -H 'api-key: ${stack.apiKey}' -H 'content-type: application/json' -H 'idempotency-key: hello-1' \\`,
    `  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Write a haiku about queues"}],"max_tokens":64}'`,
  ].join('\n');
  console.log(`
prompt-pipeline is running locally (started in ${elapsed()} s)

  API            ${stack.apiUrl}  (OpenAPI: ${stack.apiUrl}/openapi.json)
  Dashboard      ${stack.dashboardUrl ? `${stack.dashboardUrl}  (live: throughput, stage latency, queues, quota, traces)` : 'off (--no-dashboard)'}
  Service Bus    ${stack.serviceBus.connectionString.replace(/SharedAccessKey=[^;]+/, 'SharedAccessKey=<local emulator key>')}
  Cosmos DB      ${stack.cosmos.endpoint} (embedded)
  Blob Storage   ${stack.storage.blobEndpoint} (Azurite; files of the Files API)
  Data           ${dataMode(stack)}
  Model          ${stack.model.url} (simulated Azure OpenAI)
  Webhooks       ${webhooks.receiver.url} (endpoint ${webhooks.endpointId} of the dev tenant; verifies signatures)
  Dev tenant     ${stack.tenantId}
  Dev API key    ${stack.apiKey} (the same on every start of this checkout)

Submit a job:
${curl}

Then read it: curl -s ${stack.apiUrl}/v1/jobs/<id> -H 'api-key: ${stack.apiKey}'
Press Ctrl-C to stop.
`);
  return async () => {
    await stack.close();
    await webhooks.receiver.close();
  };
}

function dataMode(stack: { dataDir?: string; restored?: { documents: number; messages: number } }): string {
  if (!stack.dataDir)
    return 'in memory: gone when this process stops (keep it: npm start -- --data-dir .data)';
  const restored = stack.restored
    ? `restored ${stack.restored.documents} documents and ${stack.restored.messages} queued messages`
    : 'nothing to restore yet';
  return `kept in ${stack.dataDir}, written on Ctrl-C (${restored})`;
}

/** `--data-dir <folder>` or `--data-dir=<folder>`. */
function dataDirArgument(args: readonly string[]): string | undefined {
  for (const [index, arg] of args.entries()) {
    if (arg === '--data-dir') {
      const value = args[index + 1];
      if (!value || value.startsWith('--')) throw new Error('--data-dir needs a folder');
      return value;
    }
    if (arg.startsWith('--data-dir=')) return arg.slice('--data-dir='.length);
  }
  return undefined;
}

async function runAttached(): Promise<() => Promise<void>> {
  const { startAttachedHost } = await import('./attached.js');
  const host = await startAttachedHost({ port });
  console.log(`
prompt-pipeline dev host is running against Azure resources (started in ${elapsed()} s)

  API            ${host.apiUrl}
  Cosmos DB      ${host.cosmosEndpoint}
  Service Bus    ${host.serviceBusNamespace}

Authenticate with an API key issued by the admin API or an Entra ID token (docs/security.md).
Press Ctrl-C to stop.
`);
  return () => host.close();
}
