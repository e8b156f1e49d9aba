import { describe, expect, it } from 'vitest';
import type {
  DeliverMessage,
  InvokeMessage,
  PersistMessage,
} from '../../../shared/messaging/stage-messages.js';
import { acceptJob } from '../../../shared/pipeline/accept.js';
import { jobRefOf } from '../../../shared/pipeline/outbound.js';
import { cancelJob } from '../../../shared/pipeline/cancel.js';
import { persistOutcome } from '../../../shared/pipeline/persist.js';
import { postprocessCompletion } from '../../../shared/pipeline/postprocess.js';
import { ConflictError, PoisonMessageError } from '../../../shared/errors/index.js';
import { newTrace } from '../../../shared/telemetry/trace-context.js';
import { acceptedInvokeMessage, completionFor } from '../../fakes/job-fixtures.js';
import { fakeStage, type FakeStage } from '../../fakes/stage-deps.js';
import type { Subscribers, SubscriptionQuery } from '../../../shared/webhooks/subscribers.js';

const schemaFormat = {
  response_format: {
    type: 'json_schema',
    json_schema: {
      name: 'answer',
      schema: {
        type: 'object',
        properties: { answer: { type: 'string' } },
        required: ['answer'],
        additionalProperties: false,
      },
    },
  },
};

async function postprocessed(
  deps: FakeStage,
  content: string | null,
  body = {},
  overrides = {},
): Promise<PersistMessage> {
  const invoke = await acceptedInvokeMessage(deps, body);
  await postprocessCompletion(deps, completionFor(invoke, content, overrides));
  const sent = deps.publisher.on('persist').at(-1);
  return sent?.body as PersistMessage;
}

describe('postprocessCompletion', () => {
  it('passes text output with usage and cost', async () => {
    const deps = fakeStage();
    const persist = await postprocessed(deps, 'hello there');
    expect(persist.outcome).toEqual({
      status: 'succeeded',
      result: {
        content: 'hello there',
        refusal: null,
        finishReason: 'stop',
        model: 'gpt-4o-mini',
        deployment: 'gpt-4o-mini-eastus',
      },
      usage: {
        promptTokens: 10,
        completionTokens: 5,
        cachedTokens: 0,
        totalTokens: 15,
        costUsd: 0.00002,
        capacity: 'realtime',
      },
    });
  });

  it('parses JSON output that matches the requested schema', async () => {
    const deps = fakeStage();
    const persist = await postprocessed(deps, '{"answer":"42"}', schemaFormat);
    expect(persist.outcome).toMatchObject({ status: 'succeeded', result: { parsed: { answer: '42' } } });
  });

  it('fails the job when JSON output breaks the schema, naming where', async () => {
    const deps = fakeStage();
    const persist = await postprocessed(deps, '{"answer":42}', schemaFormat);
    expect(persist.outcome).toMatchObject({ status: 'failed', error: { code: 'output_schema_mismatch' } });
    expect(persist.outcome.status === 'failed' && persist.outcome.error.message).toContain('/answer');
    // Tokens were spent: usage is kept on the failed job.
    expect(persist.outcome.status === 'failed' && persist.outcome.usage?.totalTokens).toBe(15);
  });

  it('tells truncated JSON apart from invalid JSON', async () => {
    const deps = fakeStage();
    const truncated = await postprocessed(deps, '{"answer":"4', schemaFormat, { finishReason: 'length' });
    const invalid = await postprocessed(deps, 'not json', schemaFormat);
    expect(truncated.outcome).toMatchObject({ error: { code: 'output_truncated' } });
    expect(invalid.outcome).toMatchObject({ error: { code: 'invalid_json_output' } });
  });

  it('fails content-filtered output', async () => {
    const deps = fakeStage();
    const persist = await postprocessed(deps, null, {}, { finishReason: 'content_filter' });
    expect(persist.outcome).toMatchObject({ status: 'failed', error: { code: 'content_filter' } });
  });
});

describe('persistOutcome', () => {
  /** A persist message for a job accepted with a retention (admission always passes the tenant's). */
  async function persistFor(deps: FakeStage, content: string, retentionSeconds = 7_200) {
    const invoke = await acceptedInvokeMessage(deps, {}, retentionSeconds);
    await postprocessCompletion(deps, completionFor(invoke, content));
    return deps.publisher.on('persist').at(-1)?.body as PersistMessage;
  }

  it('writes the terminal state with one conditional patch, reads nothing, and emits the event', async () => {
    const deps = fakeStage();
    const persist = await persistFor(deps, 'done');
    const queued = await deps.jobs.get('t1', persist.jobId);
    deps.now += 1_000;
    const before = { ...deps.jobs.operations };
    await expect(persistOutcome(deps, persist)).resolves.toBe('written');
    expect(deps.jobs.operations.patches - before.patches).toBe(1);
    expect(deps.jobs.operations.reads - before.reads).toBe(0);
    expect(deps.jobs.operations.replaces - before.replaces).toBe(0);

    const stored = await deps.jobs.get('t1', persist.jobId);
    const at = new Date(deps.now).toISOString();
    // The document the read + replace used to write: the queued job plus the terminal fields, no error.
    expect(stored?.job).toEqual({
      ...queued?.job,
      status: 'succeeded',
      updatedAt: at,
      completedAt: at,
      attempts: 1,
      result: persist.outcome.status === 'succeeded' ? persist.outcome.result : undefined,
      usage: persist.outcome.status === 'succeeded' ? persist.outcome.usage : undefined,
      timings: { ...persist.timings, persistedAt: deps.now },
      ttl: 7_200,
    });
    expect(stored?.job).not.toHaveProperty('error');
    const deliver = deps.publisher.on('deliver')[0]?.body as DeliverMessage;
    expect(deliver.event).toMatchObject({
      type: 'job.succeeded',
      jobId: persist.jobId,
      status: 'succeeded',
      occurredAt: at,
      result: { content: 'done' },
      usage: { totalTokens: 15 },
    });
  });

  it('writes a failure with its error, and usage only when tokens were spent', async () => {
    const deps = fakeStage();
    const invoke = await acceptedInvokeMessage(deps, {}, 600);
    const message: PersistMessage = {
      kind: 'persist',
      ...jobRefOf(invoke),
      timings: invoke.timings,
      attempts: 0,
      outcome: { status: 'failed', error: { code: 'deadline_exceeded', message: 'Too late.' } },
    };
    await expect(persistOutcome(deps, message)).resolves.toBe('written');
    const stored = await deps.jobs.get('t1', invoke.jobId);
    expect(stored?.job).toMatchObject({
      status: 'failed',
      error: { code: 'deadline_exceeded' },
      attempts: 0,
      ttl: 600,
    });
    expect(stored?.job).not.toHaveProperty('usage');
    expect(stored?.job).not.toHaveProperty('result');
    const deliver = deps.publisher.on('deliver')[0]?.body as DeliverMessage;
    expect(deliver.event).toMatchObject({ type: 'job.failed', error: { code: 'deadline_exceeded' } });
    expect(deliver.event).not.toHaveProperty('usage');
  });

  it("keeps a finished job for its tenant's retention, carried by the messages from acceptance", async () => {
    const deps = fakeStage();
    const { job } = await acceptJob(deps, {
      tenantId: 't1',
      body: { model: 'm', messages: [{ role: 'user', content: 'x' }] },
      source: 'http',
      trace: newTrace(),
      retentionSeconds: 3_600,
    });
    const invoke = deps.publisher.on('invoke')[0]?.body as InvokeMessage;
    expect(invoke.retentionSeconds).toBe(3_600);
    await postprocessCompletion(deps, completionFor(invoke, 'ok'));
    const persist = deps.publisher.on('persist')[0]?.body as PersistMessage;
    expect(persist.retentionSeconds).toBe(3_600);
    await persistOutcome(deps, persist);
    expect((await deps.jobs.get('t1', job.id))?.job.ttl).toBe(3_600);
  });

  it("reads the job's retention when the message does not carry it (sent before it did)", async () => {
    const deps = fakeStage();
    const persist = await persistFor(deps, 'done', 3_600);
    const { retentionSeconds, ...older } = persist;
    expect(retentionSeconds).toBe(3_600);
    await expect(persistOutcome(deps, older)).resolves.toBe('written');
    expect(deps.jobs.operations.reads).toBe(1);
    expect(deps.jobs.operations.patches).toBe(1);
    expect((await deps.jobs.get('t1', persist.jobId))?.job.ttl).toBe(3_600);
  });

  it('uses the platform retention for a job accepted without one', async () => {
    const deps = fakeStage();
    const persist = await postprocessed(deps, 'done');
    expect(persist.retentionSeconds).toBeUndefined();
    await expect(persistOutcome(deps, persist)).resolves.toBe('written');
    expect((await deps.jobs.get('t1', persist.jobId))?.job.ttl).toBe(86_400);
  });

  it('treats a repeated message as a repeat: the patch is refused, one read, the event re-sent', async () => {
    const deps = fakeStage();
    const persist = await persistFor(deps, 'done');
    await persistOutcome(deps, persist);
    const written = await deps.jobs.get('t1', persist.jobId);
    const before = { ...deps.jobs.operations };
    deps.now += 5_000;
    await expect(persistOutcome(deps, persist)).resolves.toBe('repeat');
    expect(deps.jobs.operations.patches - before.patches).toBe(1);
    expect(deps.jobs.operations.reads - before.reads).toBe(1);
    // Nothing was written: same document, same ETag.
    expect(await deps.jobs.get('t1', persist.jobId)).toEqual(written);
    const sent = deps.publisher.on('deliver');
    expect(sent).toHaveLength(2);
    expect(new Set(sent.map((m) => m.messageId)).size).toBe(1);
    expect(sent[1]?.body).toEqual(sent[0]?.body);
  });

  it('never overwrites a cancelled job with a late success', async () => {
    const deps = fakeStage();
    const persist = await persistFor(deps, 'late');
    await cancelJob(deps, 't1', persist.jobId, newTrace());
    await expect(persistOutcome(deps, persist)).resolves.toBe('ignored');
    const stored = await deps.jobs.get('t1', persist.jobId);
    expect(stored?.job.status).toBe('cancelled');
    expect(stored?.job).not.toHaveProperty('result');
    expect(deps.publisher.on('deliver').map((m) => (m.body as DeliverMessage).event.type)).toEqual([
      'job.cancelled',
    ]);
    expect(deps.logger.lines.find((l) => l.event === 'job.outcome_ignored')).toMatchObject({
      status: 'cancelled',
      outcome: 'succeeded',
    });
  });

  it('makes a cancel that read the job before the success landed lose, so the success stands', async () => {
    const deps = fakeStage();
    const persist = await persistFor(deps, 'done');
    const read = deps.jobs.get.bind(deps.jobs);
    let raced = false;
    // The success is written between the cancel's read and its ETag-guarded replace.
    deps.jobs.get = async (tenantId, jobId) => {
      const stored = await read(tenantId, jobId);
      if (!raced) {
        raced = true;
        await persistOutcome(deps, persist);
      }
      return stored;
    };
    await expect(cancelJob(deps, 't1', persist.jobId, newTrace())).rejects.toBeInstanceOf(ConflictError);
    expect((await read('t1', persist.jobId))?.job.status).toBe('succeeded');
    expect(deps.publisher.on('deliver').map((m) => (m.body as DeliverMessage).event.type)).toEqual([
      'job.succeeded',
    ]);
  });

  it('ignores a failure that arrives after the success (patch refused, then one read)', async () => {
    const deps = fakeStage();
    const persist = await persistFor(deps, 'done');
    await persistOutcome(deps, persist);
    const before = { ...deps.jobs.operations };
    const late: PersistMessage = {
      ...persist,
      outcome: { status: 'failed', error: { code: 'attempts_exhausted', message: 'late' } },
    };
    await expect(persistOutcome(deps, late)).resolves.toBe('ignored');
    expect(deps.jobs.operations.patches - before.patches).toBe(1);
    expect(deps.jobs.operations.reads - before.reads).toBe(1);
    expect((await deps.jobs.get('t1', persist.jobId))?.job.status).toBe('succeeded');
    expect(deps.publisher.on('deliver')).toHaveLength(1);
  });

  it('lets the message retry when the store refuses the patch but the job reads as queued', async () => {
    const deps = fakeStage();
    const persist = await persistFor(deps, 'done');
    deps.jobs.completeIfOpen = () => Promise.resolve('not-open');
    const outcome = persistOutcome(deps, persist);
    await expect(outcome).rejects.toThrow(/refused while the job is queued/);
    await expect(outcome).rejects.not.toBeInstanceOf(PoisonMessageError);
    expect(deps.publisher.on('deliver')).toHaveLength(0);
  });

  it('dead-letters a message for a job that does not exist (the patch answers 404; nothing read)', async () => {
    const deps = fakeStage();
    const persist = await persistFor(deps, 'done');
    const before = { ...deps.jobs.operations };
    const missing = persistOutcome(deps, { ...persist, jobId: 'job_missing' });
    await expect(missing).rejects.toBeInstanceOf(PoisonMessageError);
    await expect(missing).rejects.toMatchObject({ deadLetterReason: 'JobNotFound' });
    expect(deps.jobs.operations.patches - before.patches).toBe(1);
    expect(deps.jobs.operations.reads - before.reads).toBe(0);
    expect(await deps.jobs.get('t1', 'job_missing')).toBeUndefined();
  });

  it('dead-letters a message without retention for a job that does not exist', async () => {
    const deps = fakeStage();
    const persist = await postprocessed(deps, 'done');
    await expect(persistOutcome(deps, { ...persist, jobId: 'job_missing' })).rejects.toBeInstanceOf(
      PoisonMessageError,
    );
  });
});

describe('cancelJob', () => {
  it('refuses to cancel a finished job', async () => {
    const deps = fakeStage();
    const persist = await postprocessed(deps, 'done');
    await persistOutcome(deps, persist);
    await expect(cancelJob(deps, 't1', persist.jobId, newTrace())).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('the deliver hop and the subscribers port', () => {
  /** A port that answers `answer` and records what it was asked, so a test sees the query it got. */
  function subscribers(answer: boolean) {
    const asked: SubscriptionQuery[] = [];
    return {
      asked,
      port: {
        wants: (event: SubscriptionQuery) => {
          asked.push(event);
          return Promise.resolve(answer);
        },
      } satisfies Subscribers,
    };
  }
  const cases = [
    { port: 'absent', answer: undefined, sends: true },
    { port: 'true', answer: true, sends: true },
    { port: 'false', answer: false, sends: false },
  ] as const;

  function withPort(answer: boolean | undefined) {
    const base = fakeStage();
    const check = answer === undefined ? undefined : subscribers(answer);
    const deps: FakeStage = check ? { ...base, subscribers: check.port } : base;
    return { deps, asked: check?.asked ?? [] };
  }

  function skippedLines(deps: FakeStage) {
    return deps.logger.lines.filter((l) => l.event === 'job.event_not_delivered');
  }

  for (const { port, answer, sends } of cases) {
    it(`persist (written) with the port ${port} ${sends ? 'sends' : 'skips'} the deliver message`, async () => {
      const { deps, asked } = withPort(answer);
      const persist = await postprocessed(deps, 'done');
      await expect(persistOutcome(deps, persist)).resolves.toBe('written');
      // The terminal state is written either way: only the hop depends on the port.
      expect((await deps.jobs.get('t1', persist.jobId))?.job.status).toBe('succeeded');
      expect(deps.publisher.on('deliver')).toHaveLength(sends ? 1 : 0);
      if (answer !== undefined) {
        expect(asked).toEqual([{ tenantId: 't1', type: 'job.succeeded' }]);
      }
      expect(skippedLines(deps)).toHaveLength(sends ? 0 : 1);
      if (!sends) {
        expect(skippedLines(deps)[0]).toMatchObject({
          level: 'debug',
          eventType: 'job.succeeded',
          jobId: persist.jobId,
        });
      }
    });

    it(`persist (repeat) with the port ${port} ${sends ? 'sends' : 'skips'} the deliver message`, async () => {
      const { deps } = withPort(answer);
      const persist = await postprocessed(deps, 'done');
      await persistOutcome(deps, persist);
      await expect(persistOutcome(deps, persist)).resolves.toBe('repeat');
      expect(deps.publisher.on('deliver')).toHaveLength(sends ? 2 : 0);
      expect(skippedLines(deps)).toHaveLength(sends ? 0 : 2);
    });

    it(`cancel with the port ${port} ${sends ? 'sends' : 'skips'} the deliver message`, async () => {
      const { deps, asked } = withPort(answer);
      const invoke = await acceptedInvokeMessage(deps, {});
      const cancelled = await cancelJob(deps, 't1', invoke.jobId, newTrace());
      expect(cancelled.status).toBe('cancelled');
      expect(deps.publisher.on('deliver').map((m) => (m.body as DeliverMessage).event.type)).toEqual(
        sends ? ['job.cancelled'] : [],
      );
      if (answer !== undefined) {
        expect(asked).toEqual([{ tenantId: 't1', type: 'job.cancelled' }]);
      }
    });
  }

  it('sends anyway when the port cannot answer, and says so', async () => {
    const base = fakeStage();
    const deps: FakeStage = {
      ...base,
      subscribers: { wants: () => Promise.reject(new Error('endpoint list unavailable')) },
    };
    const invoke = await acceptedInvokeMessage(deps, {});
    await cancelJob(deps, 't1', invoke.jobId, newTrace());
    expect(deps.publisher.on('deliver')).toHaveLength(1);
    expect(deps.logger.lines.find((l) => l.event === 'job.subscriber_check_failed')).toMatchObject({
      level: 'warn',
      jobId: invoke.jobId,
      errorMessage: 'endpoint list unavailable',
    });
  });

  it("asks with the job's own endpoint, so the adapter can leave the decision to deliver", async () => {
    const { deps, asked } = withPort(true);
    const endpointId = `ep_${'1'.repeat(32)}`;
    deps.webhookEndpoints.set('t1', endpointId);
    const persist = await postprocessed(deps, 'done', { webhook_endpoint_id: endpointId });
    await persistOutcome(deps, persist);
    expect(asked).toEqual([{ tenantId: 't1', type: 'job.succeeded', webhookEndpointId: endpointId }]);
    expect((deps.publisher.on('deliver')[0]?.body as DeliverMessage).event.webhookEndpointId).toBe(
      endpointId,
    );
  });
});
