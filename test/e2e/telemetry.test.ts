/**
 * One job through the whole local stack with the OpenTelemetry SDK's in-memory exporters: the job is one
 * trace from the HTTP request to the webhook attempt, each stage a span under the send that handed it
 * the message, the model call a GenAI client span, and the model endpoint and the webhook consumer
 * receive a `traceparent` of that trace. The job's metrics are recorded once.
 */
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../local/webhook-receiver/index.js';
import { METRIC_NAMES } from '../../shared/telemetry/metrics.js';
import { parseTraceparent } from '../../shared/telemetry/trace-context.js';
import { installInMemoryTelemetry, type InMemoryTelemetry } from '../fakes/in-memory-telemetry.js';
import { useLocalStack } from '../fakes/local-stack.js';

const TENANT = 't-traced';

let telemetry: InMemoryTelemetry;
let stack: LocalStack;
let receiver: WebhookReceiver;
let apiKey: string;
let job: { id: string; traceId: string };
let spans: ReadableSpan[];

async function until(what: string, probe: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const jobSpans = (): ReadableSpan[] =>
  telemetry.spans().filter((span) => span.spanContext().traceId === job.traceId);

function all(name: string, count: number): ReadableSpan[] {
  const found = spans
    .filter((span) => span.name === name)
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  expect(
    found.map((span) => span.name),
    name,
  ).toEqual(Array<string>(count).fill(name));
  return found;
}

const one = (name: string): ReadableSpan => all(name, 1)[0]!;

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan): string => span.spanContext().spanId;

// Registered before the stack's hooks: spans are recorded from before it starts until after it closed.
beforeAll(() => {
  telemetry = installInMemoryTelemetry();
});
afterAll(() => telemetry?.uninstall());

useLocalStack({ modelLatency: { timeToFirstTokenMs: 5, perTokenMs: 0 } }, async (started) => {
  stack = started;
  receiver = await startWebhookReceiver({ log: () => {} });
  apiKey = await stack.addTenant(TENANT);
  const registered = await fetch(`${stack.apiUrl}/v1/webhooks/endpoints`, {
    method: 'POST',
    headers: { 'api-key': apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ url: receiver.url, eventTypes: ['job.succeeded'] }),
  });
  expect(registered.status).toBe(201);
  const response = await fetch(`${stack.apiUrl}/v1/jobs`, {
    method: 'POST',
    headers: { 'api-key': apiKey, 'content-type': 'application/json', 'idempotency-key': 'traced-1' },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Write a haiku about traces' }],
      max_tokens: 32,
    }),
  });
  expect(response.status).toBe(202);
  job = (await response.json()) as { id: string; traceId: string };
  // Deliver runs twice: it fans the event out to the endpoint, then makes the attempt; the attempt's
  // span ends after the webhook answered and the attempt was recorded.
  await until('the attempt', () => jobSpans().filter((span) => span.name === 'process deliver').length === 2);
  spans = jobSpans();
});

afterAll(async () => {
  await receiver?.close();
});

describe('one job, one trace', () => {
  it('has a span for the request, every stage, each send, the model call and the webhook attempt', () => {
    const server = one('POST submitJob');
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.attributes['http.response.status_code']).toBe(202);
    for (const stage of ['invoke', 'postprocess', 'persist']) {
      expect(one(`process ${stage}`).kind, stage).toBe(SpanKind.CONSUMER);
      expect(one(`send ${stage}`).kind, stage).toBe(SpanKind.PRODUCER);
    }
    // Deliver fans the event out to each endpoint, then makes one attempt per endpoint.
    for (const span of all('process deliver', 2)) expect(span.kind).toBe(SpanKind.CONSUMER);
    for (const span of all('send deliver', 2)) expect(span.kind).toBe(SpanKind.PRODUCER);
    expect(one('chat gpt-4o-mini').kind).toBe(SpanKind.CLIENT);
    expect(one('POST').kind).toBe(SpanKind.CLIENT);
  });

  it("has the Service Bus SDK's own send span under each of our sends", () => {
    const sdkSends = spans.filter((span) => span.name === 'ServiceBusSender.send');
    const ours = spans.filter((span) => span.name.startsWith('send '));
    expect(sdkSends.map(parentOf).sort()).toEqual(ours.map(idOf).sort());
  });

  it('has Cosmos DB dependency spans, with their request charge, under the request and the stages', () => {
    const cosmos = spans.filter((span) => span.attributes['db.system.name'] === 'azure.cosmosdb');
    const under = (parent: ReadableSpan) =>
      cosmos.filter((span) => parentOf(span) === idOf(parent)).map((span) => span.name);
    // The request creates the job; persist writes its end.
    expect(under(one('POST submitJob'))).toContain('execute_batch jobs');
    expect(under(one('process persist')).some((name) => name.endsWith(' jobs'))).toBe(true);
    for (const span of cosmos) {
      expect(span.kind, span.name).toBe(SpanKind.CLIENT);
      expect(span.attributes['azure.cosmosdb.operation.request_charge'], span.name).toBeGreaterThanOrEqual(0);
    }
  });

  it('chains them: each stage under the send that handed it the message, each send under its stage', () => {
    const server = one('POST submitJob');
    expect(parentOf(one('send invoke'))).toBe(idOf(server));
    const [fanOut, attempt] = all('process deliver', 2) as [ReadableSpan, ReadableSpan];
    const [toFanOut, toAttempt] = all('send deliver', 2) as [ReadableSpan, ReadableSpan];
    // [sender, send, receiver]: each stage sends under its own span and the next runs under that send.
    const hops: Array<[ReadableSpan, ReadableSpan, ReadableSpan]> = [
      [server, one('send invoke'), one('process invoke')],
      [one('process invoke'), one('send postprocess'), one('process postprocess')],
      [one('process postprocess'), one('send persist'), one('process persist')],
      [one('process persist'), toFanOut, fanOut],
      [fanOut, toAttempt, attempt],
    ];
    for (const [sender, send, receiver] of hops) {
      expect(parentOf(send), send.name).toBe(idOf(sender));
      expect(parentOf(receiver), receiver.name).toBe(idOf(send));
    }
    expect(parentOf(one('chat gpt-4o-mini'))).toBe(idOf(one('process invoke')));
    expect(parentOf(one('POST'))).toBe(idOf(attempt));
    expect(one('process invoke').attributes).toMatchObject({ 'job.id': job.id, 'tenant.id': TENANT });
  });

  it('describes the model call with the GenAI semantic conventions', () => {
    const chat = one('chat gpt-4o-mini');
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 32,
      'gen_ai.deployment': 'local-gpt-4o-mini',
      'pipeline.model.failover': false,
    });
    expect(chat.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(chat.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
  });

  it('sends the model endpoint and the webhook consumer a traceparent of the job trace', () => {
    const modelHeaders = stack.model.stats().traceparents.map(parseTraceparent);
    expect(modelHeaders).toContainEqual({
      traceId: job.traceId,
      spanId: idOf(one('chat gpt-4o-mini')),
      sampled: true,
    });
    const webhook = receiver.received.find((request) => request.body.includes(job.id));
    expect(parseTraceparent(webhook?.headers.traceparent)).toEqual({
      traceId: job.traceId,
      spanId: idOf(one('POST')),
      sampled: true,
    });
  });
});

describe("the job's metrics", () => {
  const forTenant = async (name: string) =>
    (await telemetry.metric(name)).filter((point) => point.attributes['tenant.id'] === TENANT);

  it('count the job accepted once and finished once, as succeeded', async () => {
    expect(await forTenant(METRIC_NAMES.jobsAccepted)).toEqual([
      { attributes: { 'tenant.id': TENANT, 'job.source': 'http' }, value: 1, count: 1 },
    ]);
    expect(await forTenant(METRIC_NAMES.jobsFinished)).toEqual([
      { attributes: { 'tenant.id': TENANT, 'job.status': 'succeeded' }, value: 1, count: 1 },
    ]);
  });

  it("count the model call's tokens once, as the model reported them, and the job's cost", async () => {
    const chat = one('chat gpt-4o-mini');
    const tokens = await forTenant(METRIC_NAMES.tokenUsage);
    const ofType = (type: string) => tokens.filter((point) => point.attributes['gen_ai.token.type'] === type);
    expect(ofType('input')).toMatchObject([
      { value: chat.attributes['gen_ai.usage.input_tokens'], count: 1 },
    ]);
    expect(ofType('output')).toMatchObject([
      { value: chat.attributes['gen_ai.usage.output_tokens'], count: 1 },
    ]);
    const cost = await forTenant(METRIC_NAMES.cost);
    expect(cost).toHaveLength(1);
    expect(cost[0]!.value).toBeGreaterThan(0);
  });

  it('count one model call ok, one webhook attempt answered 2xx, and no dead letters', async () => {
    const calls = await telemetry.metric(METRIC_NAMES.modelCalls);
    expect(calls).toMatchObject([
      { attributes: { 'gen_ai.request.model': 'gpt-4o-mini', 'pipeline.outcome': 'ok' }, value: 1 },
    ]);
    expect(await telemetry.metric(METRIC_NAMES.webhookAttempts)).toMatchObject([
      { attributes: { 'pipeline.outcome': '2xx' }, value: 1 },
    ]);
    expect(await telemetry.metric(METRIC_NAMES.deadLettered)).toEqual([]);
  });

  it('time every stage and its queue wait', async () => {
    const durations = await telemetry.metric(METRIC_NAMES.stageDuration);
    const stages = durations.map((point) => point.attributes['pipeline.stage']).sort();
    expect(stages).toEqual(['deliver', 'invoke', 'persist', 'postprocess']);
    for (const point of durations) {
      expect(point.attributes['pipeline.outcome']).toBe('completed');
      expect(point.count).toBe(point.attributes['pipeline.stage'] === 'deliver' ? 2 : 1);
    }
    const waits = await telemetry.metric(METRIC_NAMES.queueWait);
    expect(waits.map((point) => point.attributes['messaging.destination.name']).sort()).toEqual(stages);
  });
});
