/**
 * Builders for accepted jobs and their stage messages in unit tests.
 */
import { responseFormatOf } from '../../shared/jobs/job-request.js';
import type { InvokeMessage, PostprocessMessage } from '../../shared/messaging/stage-messages.js';
import { acceptJob } from '../../shared/pipeline/accept.js';
import { newTrace } from '../../shared/telemetry/trace-context.js';
import type { FakeStage } from './stage-deps.js';

/** A job accept created from an HTTP submission: queued, its invoke message sent. */
export async function acceptedJob(
  deps: FakeStage,
  submission: { tenantId: string; idempotencyKey: string; body: Record<string, unknown> },
) {
  const { job } = await acceptJob(deps, { ...submission, source: 'http', trace: newTrace() });
  return job;
}

export async function acceptedInvokeMessage(
  deps: FakeStage,
  body: Record<string, unknown> = {},
  /** The tenant's retention, as admission passes it for every HTTP and intake-queue submission. */
  retentionSeconds?: number,
): Promise<InvokeMessage> {
  await acceptJob(deps, {
    tenantId: 't1',
    idempotencyKey: `k-${deps.publisher.sent.length}-${Math.random()}`,
    body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }], ...body },
    source: 'http',
    trace: newTrace(),
    ...(retentionSeconds !== undefined ? { retentionSeconds } : {}),
  });
  const sent = deps.publisher.on('invoke').at(-1);
  if (!sent) throw new Error('accept sent nothing');
  return sent.body as InvokeMessage;
}

export function completionFor(
  invoke: InvokeMessage,
  content: string | null,
  overrides: Partial<PostprocessMessage['completion']> = {},
): PostprocessMessage {
  return {
    kind: 'postprocess',
    jobId: invoke.jobId,
    tenantId: invoke.tenantId,
    metadata: invoke.metadata,
    traceId: invoke.traceId,
    timings: invoke.timings,
    deadlineAt: invoke.deadlineAt,
    ...(invoke.retentionSeconds !== undefined ? { retentionSeconds: invoke.retentionSeconds } : {}),
    attempts: 1,
    responseFormat: responseFormatOf(invoke.request),
    completion: {
      content,
      refusal: null,
      finishReason: 'stop',
      usage: { promptTokens: 10, completionTokens: 5, cachedTokens: 0 },
      deployment: 'gpt-4o-mini-eastus',
      model: 'gpt-4o-mini',
      responseId: 'chatcmpl-1',
      ...overrides,
    },
  };
}
