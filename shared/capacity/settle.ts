/**
 * A parked line's end, whichever way its provider batch went: an answer goes on into the job's pipeline
 * exactly as a real-time one does (kept as the attempt's completion, then passed to postprocess with the
 * same message id whoever sends it, so a repeated sweep never runs postprocess twice); a request the
 * model refused (400: content filter, context length) fails the job with the reason; anything else
 * (expired, cancelled, a server error, a batch that failed) sends the job back to the invoke stage as its
 * next attempt, which calls real-time deployments if its deadline still allows and ends it otherwise.
 */
import type { ChatCompletion } from 'openai/resources/chat/completions';
import { fromChatCompletion } from '../model/endpoint.js';
import { recordTtlSeconds } from '../pipeline/completion-records.js';
import type { InvokeDeps } from '../pipeline/deps.js';
import { failJob } from '../pipeline/fail.js';
import { passOn } from '../pipeline/invoke-repeat.js';
import { invokeMessage } from '../pipeline/outbound.js';
import { newTrace, parseTraceparent, type TraceContext } from '../telemetry/trace-context.js';
import type { ParkedLine } from './documents.js';

/** One line of a provider's output or error file (OpenAI's shape). */
export interface ProviderResultLine {
  readonly custom_id: string;
  readonly response: { readonly status_code: number; readonly body: unknown } | null;
  readonly error: { readonly code?: string; readonly message?: string } | null;
}

export function parseResultLine(text: string): ProviderResultLine | undefined {
  try {
    const parsed = JSON.parse(text) as ProviderResultLine;
    return typeof parsed.custom_id === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export type LineOutcome = 'answered' | 'failed' | 'fell_back';

export async function settleLine(
  deps: InvokeDeps,
  line: ParkedLine,
  result: ProviderResultLine | undefined,
  now: number,
): Promise<LineOutcome> {
  const trace = traceOf(line);
  const response = result?.response;
  if (response && response.status_code === 200) {
    await answer(deps, line, response.body as ChatCompletion, trace, now);
    return 'answered';
  }
  if (response && response.status_code === 400) {
    const error = (response.body as { error?: { code?: string; message?: string } } | null)?.error;
    const code =
      error?.code === 'content_filter' || error?.code === 'context_length_exceeded'
        ? error.code
        : 'model_bad_request';
    await failJob(
      deps,
      line.message,
      trace,
      { code, message: error?.message ?? 'The model refused the request in a Global Batch.' },
      line.message.attempt + 1,
    );
    return 'failed';
  }
  await fallBack(deps, line, trace);
  return 'fell_back';
}

/** The next attempt on real-time capacity (decide.ts sends no retry to a batch). */
export async function fallBack(
  deps: InvokeDeps,
  line: ParkedLine,
  trace: TraceContext = traceOf(line),
): Promise<void> {
  const { message } = line;
  await deps.publisher.send(
    invokeMessage({ ...message, attempt: message.attempt + 1, hop: message.hop + 1 }, trace),
  );
}

async function answer(
  deps: InvokeDeps,
  line: ParkedLine,
  body: ChatCompletion,
  trace: TraceContext,
  now: number,
): Promise<void> {
  const { message } = line;
  const record = {
    jobId: message.jobId,
    attempt: message.attempt,
    completion: { ...fromChatCompletion(body, line.deployment), capacity: 'batch' as const },
    invokeStartedAt: line.parkedAt,
    modelCompletedAt: now,
  };
  const kept = await deps.completions.keep(
    record,
    recordTtlSeconds(message.deadlineAt, message.expiresAt, now),
  );
  // A sweep that died after keeping it passes on the one it kept (the same message id either way).
  const first = kept === 'exists' ? await deps.completions.find(message.jobId, message.attempt) : undefined;
  await passOn(deps, message, first ?? record, trace);
}

function traceOf(line: ParkedLine): TraceContext {
  return parseTraceparent(line.traceparent) ?? { ...newTrace(), traceId: line.message.traceId };
}
