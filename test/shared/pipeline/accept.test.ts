import { describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../../shared/errors/index.js';
import { jobIdFor } from '../../../shared/jobs/ids.js';
import { acceptJob, rejectQueuedSubmission } from '../../../shared/pipeline/accept.js';
import { newTrace } from '../../../shared/telemetry/trace-context.js';
import { fakeStage } from '../../fakes/stage-deps.js';

const body = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hi' }],
  max_tokens: 50,
  metadata: { team: 'search' },
};

describe('acceptJob', () => {
  it('creates a queued job with a deterministic id and sends its first invoke message', async () => {
    const deps = fakeStage();
    const trace = newTrace();
    const { job, created } = await acceptJob(deps, {
      tenantId: 't1',
      idempotencyKey: 'k1',
      body,
      source: 'http',
      trace,
    });

    expect(created).toBe(true);
    expect(job.id).toBe(jobIdFor('t1', 'k1'));
    expect(job.status).toBe('queued');
    expect(job.metadata).toEqual({ team: 'search' });
    expect(job.request).toEqual({ model: 'gpt-4o-mini', messages: body.messages, max_tokens: 50 });
    const [sent] = deps.publisher.on('invoke');
    expect(sent?.messageId).toBe(`${job.id}:invoke:0`);
    expect(sent?.applicationProperties.traceparent).toMatch(new RegExp(`^00-${trace.traceId}-`));
    expect(sent?.body).toMatchObject({ kind: 'invoke', jobId: job.id, attempt: 0, request: job.request });
  });

  it('returns the same job for a repeated key and body, and re-sends invoke inside the duplicate window', async () => {
    const deps = fakeStage();
    const first = await acceptJob(deps, {
      tenantId: 't1',
      idempotencyKey: 'k1',
      body,
      source: 'http',
      trace: newTrace(),
    });
    const again = await acceptJob(deps, {
      tenantId: 't1',
      idempotencyKey: 'k1',
      body: { ...body },
      source: 'http',
      trace: newTrace(),
    });

    expect(again.created).toBe(false);
    expect(again.job.id).toBe(first.job.id);
    expect(deps.jobs.operations.creates).toBe(2);
    // Same message id: the broker's duplicate detection keeps only one.
    expect(deps.publisher.on('invoke').map((m) => m.messageId)).toEqual([
      `${first.job.id}:invoke:0`,
      `${first.job.id}:invoke:0`,
    ]);
  });

  it('does not re-send invoke for a repeat after the duplicate window', async () => {
    const deps = fakeStage();
    await acceptJob(deps, { tenantId: 't1', idempotencyKey: 'k1', body, source: 'http', trace: newTrace() });
    deps.now += 11 * 60_000;
    await acceptJob(deps, { tenantId: 't1', idempotencyKey: 'k1', body, source: 'http', trace: newTrace() });
    expect(deps.publisher.on('invoke')).toHaveLength(1);
  });

  it('refuses the same key with a different body as a conflict', async () => {
    const deps = fakeStage();
    await acceptJob(deps, { tenantId: 't1', idempotencyKey: 'k1', body, source: 'http', trace: newTrace() });
    await expect(
      acceptJob(deps, {
        tenantId: 't1',
        idempotencyKey: 'k1',
        body: { ...body, temperature: 1 },
        source: 'http',
        trace: newTrace(),
      }),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('keeps tenants apart: the same key in two tenants makes two jobs', async () => {
    const deps = fakeStage();
    const a = await acceptJob(deps, {
      tenantId: 'a',
      idempotencyKey: 'k',
      body,
      source: 'http',
      trace: newTrace(),
    });
    const b = await acceptJob(deps, {
      tenantId: 'b',
      idempotencyKey: 'k',
      body,
      source: 'http',
      trace: newTrace(),
    });
    expect(a.job.id).not.toBe(b.job.id);
    expect(b.created).toBe(true);
  });

  it('names the offending field of an invalid request and writes nothing', async () => {
    const deps = fakeStage();
    const bad = { ...body, messages: [{ role: 'wizard', content: 'x' }], extra: true };
    const error = await acceptJob(deps, {
      tenantId: 't1',
      body: bad,
      source: 'http',
      trace: newTrace(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const fields = (error as ValidationError).issues.map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['extra', 'messages/0/role']));
    expect(deps.jobs.operations.creates).toBe(0);
    expect(deps.publisher.sent).toHaveLength(0);
  });

  it('refuses more than 16 metadata pairs', async () => {
    const deps = fakeStage();
    const metadata = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
    await expect(
      acceptJob(deps, { tenantId: 't', body: { ...body, metadata }, source: 'http', trace: newTrace() }),
    ).rejects.toThrow(/metadata/);
  });
});

describe('acceptJob and webhook_endpoint_id', () => {
  const own = `ep_${'a'.repeat(32)}`;
  const foreign = `ep_${'b'.repeat(32)}`;
  const disabled = `ep_${'c'.repeat(32)}`;
  const setUp = () => {
    const deps = fakeStage();
    deps.webhookEndpoints.set('t1', own).set('t2', foreign).set('t1', disabled, false);
    return deps;
  };
  const submit = (deps: ReturnType<typeof fakeStage>, endpointId: string, idempotencyKey = 'k1') =>
    acceptJob(deps, {
      tenantId: 't1',
      idempotencyKey,
      body: { ...body, webhook_endpoint_id: endpointId },
      source: 'http',
      trace: newTrace(),
    });

  it('accepts the tenant’s own enabled endpoint and carries it to invoke', async () => {
    const deps = setUp();
    const { job } = await submit(deps, own);
    expect(job.webhookEndpointId).toBe(own);
    expect(deps.publisher.on('invoke')[0]?.body).toMatchObject({ webhookEndpointId: own });
  });

  it.each([
    ['ep/x', 'malformed'],
    [foreign, 'another tenant’s'],
    [`ep_${'d'.repeat(32)}`, 'unknown'],
    [disabled, 'disabled'],
  ])('refuses %s (%s) naming webhook_endpoint_id, and writes nothing', async (endpointId) => {
    const deps = setUp();
    const error = await submit(deps, endpointId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.field)).toEqual(['webhook_endpoint_id']);
    expect(deps.jobs.operations.creates).toBe(0);
    expect(deps.publisher.sent).toHaveLength(0);
  });

  it('another tenant’s endpoint is refused exactly like one that does not exist', async () => {
    const deps = setUp();
    const theirs = (await submit(deps, foreign).catch((e: unknown) => e)) as ValidationError;
    const none = (await submit(deps, `ep_${'d'.repeat(32)}`).catch((e: unknown) => e)) as ValidationError;
    expect(theirs.detail).toBe(none.detail);
    expect(theirs.issues).toEqual(none.issues);
  });

  it('a repeat of an accepted job still answers with that job after its endpoint was disabled', async () => {
    const deps = setUp();
    const first = await submit(deps, own);
    deps.webhookEndpoints.set('t1', own, false);
    const again = await submit(deps, own);
    expect(again).toMatchObject({ created: false, job: { id: first.job.id } });
    await expect(submit(deps, own, 'a-new-key')).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('rejectQueuedSubmission', () => {
  it('records a failed job with the reason and sends its job.failed event once', async () => {
    const deps = fakeStage();
    const error = new ValidationError('The job request is invalid: messages: Required', [
      { field: 'messages', message: 'Required' },
    ]);
    const job = await rejectQueuedSubmission(deps, {
      tenantId: 't1',
      idempotencyKey: 'k9',
      error,
      trace: newTrace(),
    });
    await rejectQueuedSubmission(deps, { tenantId: 't1', idempotencyKey: 'k9', error, trace: newTrace() });

    expect(job.status).toBe('failed');
    expect(job.error).toEqual({ code: 'validation_failed', message: error.detail });
    expect(deps.publisher.on('deliver')).toHaveLength(1);
    expect(deps.publisher.on('deliver')[0]?.body).toMatchObject({
      event: { type: 'job.failed', jobId: job.id },
    });
  });
});
