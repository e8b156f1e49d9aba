/**
 * Postprocess: normalise the completion, check JSON output against the requested schema, count usage
 * and cost, and pass the outcome to `persist`.
 */
import type { JobResult } from '../jobs/job.js';
import type { PostprocessMessage } from '../messaging/stage-messages.js';
import { parseTraceparent, newTrace } from '../telemetry/trace-context.js';
import type { PostprocessDeps } from './deps.js';
import { failJob } from './fail.js';
import { jobUsageOf } from './job-usage.js';
import { inlineSchemaWork } from '../schemas/schema-work.js';
import { jobRefOf, persistMessage } from './outbound.js';
import { recordUnpriced } from '../telemetry/metrics.js';

type Verdict =
  | { readonly ok: true; readonly parsed?: unknown }
  | { readonly ok: false; readonly code: string; readonly message: string };

export async function postprocessCompletion(
  deps: PostprocessDeps,
  message: PostprocessMessage,
  traceparent?: string,
): Promise<void> {
  const trace = parseTraceparent(traceparent) ?? { ...newTrace(), traceId: message.traceId };
  const { completion } = message;
  const cost = deps.costOf(completion.usage, completion.model, completion.deployment);
  if (cost === undefined) {
    recordUnpriced(message.tenantId, completion.model);
    deps.logger.warn('model.price_missing', {
      model: completion.model,
      deployment: completion.deployment,
      jobId: message.jobId,
      tenantId: message.tenantId,
    });
  }
  const usage = {
    ...jobUsageOf(completion.usage, cost, completion.capacity),
    ...(message.unseenCalls ? { unseenCalls: message.unseenCalls } : {}),
  };
  const verdict = await judge(deps, message);
  if (!verdict.ok) {
    await failJob(
      deps,
      message,
      trace,
      { code: verdict.code, message: verdict.message },
      message.attempts,
      usage,
    );
    return;
  }
  const result: JobResult = {
    content: completion.content,
    ...(verdict.parsed !== undefined ? { parsed: verdict.parsed } : {}),
    refusal: completion.refusal,
    ...(completion.toolCalls ? { toolCalls: completion.toolCalls } : {}),
    // Vectors pass through as the model gave them: an embeddings job has no output format to check.
    ...(completion.embeddings ? { embeddings: completion.embeddings } : {}),
    finishReason: completion.finishReason,
    model: completion.model,
    deployment: completion.deployment,
  };
  deps.logger.info('job.postprocessed', {
    stage: 'postprocess',
    jobId: message.jobId,
    tenantId: message.tenantId,
    traceId: message.traceId,
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    costUsd: usage.costUsd,
  });
  await deps.publisher.send(
    persistMessage(
      {
        kind: 'persist',
        ...jobRefOf(message),
        timings: { ...message.timings, postprocessedAt: deps.clock() },
        attempts: message.attempts,
        outcome: { status: 'succeeded', result, usage },
      },
      trace,
    ),
  );
}

async function judge(deps: PostprocessDeps, message: PostprocessMessage): Promise<Verdict> {
  const { completion, responseFormat } = message;
  if (completion.finishReason === 'content_filter') {
    return {
      ok: false,
      code: 'content_filter',
      message: 'The model output was withheld by the content filter.',
    };
  }
  // A turn of tool calls carries no answer yet: the format applies to the answer of a later turn.
  if (!responseFormat || responseFormat.type === 'text' || completion.toolCalls) return { ok: true };
  if (completion.refusal !== null || completion.content === null) {
    return {
      ok: false,
      code: 'model_refusal',
      message: `The model refused to produce the requested JSON: ${completion.refusal ?? 'no content'}.`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(completion.content);
  } catch {
    const truncated = completion.finishReason === 'length';
    return truncated
      ? {
          ok: false,
          code: 'output_truncated',
          message: 'The output hit max_tokens before the JSON was complete; raise max_tokens.',
        }
      : { ok: false, code: 'invalid_json_output', message: 'The model output is not valid JSON.' };
  }
  if (responseFormat.type === 'json_schema') {
    // A heavy schema is applied on the heavy-work pool; the stage waits for the tenant's share of it.
    const outcome = await (deps.schemas ?? inlineSchemaWork).validate(
      message.tenantId,
      responseFormat.json_schema.schema,
      parsed,
      completion.content.length,
    );
    if (!outcome.ok) {
      if (outcome.declined === 'pool_busy') {
        // Every tenant's share is busy at once: let the message come back rather than run it here.
        throw new Error('The heavy-work pool is full; the postprocess message will be retried.');
      }
      return {
        ok: false,
        code: 'output_schema_mismatch',
        message:
          'The model output could not be checked against the requested schema within its time budget; simplify the schema.',
      };
    }
    const check = outcome.value;
    if (!check.ok) {
      return {
        ok: false,
        code: 'output_schema_mismatch',
        message: `The model output does not match the requested schema: ${check.problem}.`,
      };
    }
  }
  return { ok: true, parsed };
}
