/**
 * `npm start`: the whole platform on this machine.
 * - By default (no COSMOS_ENDPOINT in the environment) on embedded defaults, no cloud and no Docker,
 *   the emulators on worker threads: prints the URLs, a dev API key and a curl that submits a job, then
 *   the job's progress.
 * - With COSMOS_ENDPOINT and ServiceBusConnection__fullyQualifiedNamespace set, the same dev host runs
 *   the same functions against those real Azure resources, with your `az login` identity.
 * Ctrl-C stops cleanly: the host stops receiving, in-flight messages finish or return to their queues.
 */
import { performance } from 'node:perf_hooks';
import { createLogger, type Logger } from '../shared/telemetry/logger.js';
import { prettySink } from './pretty-log.js';
import { startLocalStack } from './stack.js';

const json = process.env.LOG_FORMAT === 'json';
const logger = createLogger({ level: 'info', ...(json ? {} : { sink: prettySink() }) });
const port = Number(process.env.PORT ?? 7071);
// performance.now() counts from process start, so module loading is included.
const elapsed = () => (performance.now() / 1000).toFixed(1);

const stop = process.env.COSMOS_ENDPOINT ? await runAttached() : await runEmbedded(logger);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping (in-flight messages finish or return to their queues)...`);
  await stop();
  console.log('stopped.');
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
  Service Bus    ${stack.serviceBus.connectionString.replace(/SharedAccessKey=[^;]+/, 'SharedAccessKey=<local emulator key>')}
  Cosmos DB      ${stack.cosmos.endpoint} (embedded, in memory)
  Model          ${stack.model.url} (simulated Azure OpenAI)
  Webhooks       ${webhooks.receiver.url} (endpoint ${webhooks.endpointId} of the dev tenant; verifies signatures)
  Dev tenant     ${stack.tenantId}
  Dev API key    ${stack.apiKey}

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
