/**
 * `npm start`: the whole platform on this machine with embedded defaults, no cloud and no Docker.
 * Prints the URLs, a dev API key and a curl that submits a job, then the job's progress. Ctrl-C stops
 * cleanly: the host stops receiving, in-flight messages finish or return to their queues.
 */
import { performance } from 'node:perf_hooks';
import { createLogger } from '../shared/telemetry/logger.js';
import { webhookRuntime } from '../functions/webhooks/runtime.js';
import { prettySink } from './pretty-log.js';
import { startDevWebhookReceiver } from './webhook-receiver/dev.js';
import { startLocalStack } from './stack.js';

const startedAt = performance.now();
const json = process.env.LOG_FORMAT === 'json';
const logger = createLogger({ level: 'info', ...(json ? {} : { sink: prettySink() }) });
const port = Number(process.env.PORT ?? 7071);

const stack = await startLocalStack({
  port,
  serviceBusPort: Number(process.env.SERVICEBUS_EMULATOR_PORT ?? 5672),
  logger,
});
// A receiver registered as the dev tenant's endpoint: completions arrive signed and verified in this terminal.
const webhooks = await startDevWebhookReceiver({
  deps: webhookRuntime(stack.services),
  tenantId: stack.tenantId,
  port: Number(process.env.WEBHOOK_RECEIVER_PORT ?? 7072),
});
const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);

const curl = [
  `curl -s -X POST ${stack.apiUrl}/v1/jobs \\`,
  `  -H 'api-key: ${stack.apiKey}' -H 'content-type: application/json' -H 'idempotency-key: hello-1' \\`,
  `  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Write a haiku about queues"}],"max_tokens":64}'`,
].join('\n');

console.log(`
prompt-pipeline is running locally (started in ${seconds} s)

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

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping (in-flight messages finish or return to their queues)...`);
  await stack.close();
  await webhooks.receiver.close();
  console.log('stopped.');
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
