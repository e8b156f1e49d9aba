/**
 * The lines of a batch's output and error files, in OpenAI's shape:
 * - output: `{ id, custom_id, response: { status_code: 200, request_id, body: <chat.completion> }, error: null }`
 * - error: `{ id, custom_id, response: null | { status_code, request_id, body: { error } }, error: { code, message } }`
 * A job that failed after a model call answers with the status its error maps to; lines that never ran
 * (expired, cancelled, invalid) have `response: null`.
 */
import type { JobDocument } from '../jobs/job.js';
import type { LineError } from './lines.js';

/** `batch_req_` + the job id's hex: stable across a repeated finalization. */
function requestIdOf(jobId: string): string {
  return `batch_req_${jobId.replace(/^job_/, '')}`;
}

export function outputLine(job: JobDocument): string {
  const result = job.result;
  const usage = job.usage;
  const created = Math.floor(Date.parse(job.completedAt ?? job.updatedAt) / 1000);
  return JSON.stringify({
    id: requestIdOf(job.id),
    custom_id: job.batch?.customId ?? null,
    response: {
      status_code: 200,
      request_id: job.id,
      body: {
        id: `chatcmpl-${job.id.replace(/^job_/, '')}`,
        object: 'chat.completion',
        created,
        model: result?.model ?? job.request.model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: result?.content ?? null,
              refusal: result?.refusal ?? null,
            },
            finish_reason: result?.finishReason ?? 'stop',
            logprobs: null,
          },
        ],
        usage: {
          prompt_tokens: usage?.promptTokens ?? 0,
          completion_tokens: usage?.completionTokens ?? 0,
          total_tokens: usage?.totalTokens ?? 0,
        },
      },
    },
    error: null,
  });
}

/** Why a job that did not succeed is in the error file, as OpenAI names it. */
export function errorOf(job: JobDocument, batchEnded: 'expired' | 'cancelled' | undefined): LineError {
  // A line still queued when the batch ends is reported as the batch's ending, as OpenAI does.
  if (job.status === 'expired' || (job.status === 'queued' && batchEnded === 'expired'))
    return {
      code: 'batch_expired',
      message: 'This request could not be executed before the completion window expired.',
    };
  if (job.status === 'cancelled' || job.status === 'queued')
    return { code: 'batch_cancelled', message: 'The batch was cancelled before this request ran.' };
  return { code: job.error?.code ?? 'server_error', message: job.error?.message ?? 'The request failed.' };
}

const CLIENT_ERRORS = new Set([
  'validation_failed',
  'content_filter',
  'schema_validation_failed',
  'invalid_request',
]);

export function errorLine(job: JobDocument, batchEnded: 'expired' | 'cancelled' | undefined): string {
  const error = errorOf(job, batchEnded);
  const ran = job.status === 'failed';
  return JSON.stringify({
    id: requestIdOf(job.id),
    custom_id: job.batch?.customId ?? null,
    response: ran
      ? {
          status_code: CLIENT_ERRORS.has(error.code) ? 400 : 500,
          request_id: job.id,
          body: { error: { message: error.message, type: 'invalid_request_error', code: error.code } },
        }
      : null,
    error,
  });
}

/** A line that failed its checks never became a job: its id derives from the batch and line number. */
export function invalidLine(
  batchId: string,
  lineNumber: number,
  customId: string | null,
  error: LineError,
): string {
  const id = `batch_req_${batchId.replace(/^batch_/, '').slice(0, 24)}${lineNumber.toString(16).padStart(8, '0')}`;
  return JSON.stringify({
    id,
    custom_id: customId,
    response: null,
    error: { ...error, line: lineNumber },
  });
}
