/**
 * A completion paid for on top of the attempt's kept one: two deliveries of one invoke message both
 * called the model (the earlier one's call outlasted the wait in shared/pipeline/invoke-repeat.ts, or
 * it died between the answer and keeping it). Its tokens were billed, so they go on the job's usage
 * (its content is discarded), the way a cancelled job keeps the tokens of its last call.
 *
 * They can be added only once the job is finished: the terminal write sets `usage` whole, and would
 * overwrite tokens added before it. Until then the charge travels in a scheduled invoke message (its
 * application property), checked again with a growing delay. The job lists the response ids it added
 * (`extraChargeIds`), so a repeated delivery adds nothing twice.
 */
import { z } from 'zod';
import { JobUsageSchema, type JobUsage } from '../jobs/job.js';
import type { InvokeMessage } from '../messaging/stage-messages.js';
import type { TraceContext } from '../telemetry/trace-context.js';
import type { InvokeDeps } from './deps.js';
import { addJobUsage } from './job-usage.js';
import { invokeMessage } from './outbound.js';

export const EXTRA_CHARGE_PROPERTY = 'extraCharge';
const FIRST_CHECK_DELAY_MS = 2_000;
const MAX_CHECK_DELAY_MS = 5 * 60_000;
const MAX_WRITE_ATTEMPTS = 3;

const ExtraChargeSchema = z.object({
  responseId: z.string().min(1),
  /** The extra completion's tokens and cost. */
  usage: JobUsageSchema,
  /**
   * The kept completion's, recorded with it when the job has no usage by then: a job that ended another
   * way first (a cancel, its deadline) would otherwise record neither.
   */
  attemptUsage: JobUsageSchema,
  /** How many times the charge waited for the job to finish: sets the next delay and the message id. */
  round: z.number().int().min(0),
});
export type ExtraCharge = z.infer<typeof ExtraChargeSchema>;

export function extraChargeOf(properties: Readonly<Record<string, unknown>>): ExtraCharge | undefined {
  const raw = properties[EXTRA_CHARGE_PROPERTY];
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed = ExtraChargeSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Adds the charge to the finished job, or schedules itself until the job is finished. */
export async function recordExtraCharge(
  deps: InvokeDeps,
  message: InvokeMessage,
  charge: ExtraCharge,
  trace: TraceContext,
  log: InvokeDeps['logger'],
): Promise<void> {
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
    const stored = await deps.jobs.get(message.tenantId, message.jobId);
    if (!stored) {
      log.warn('model.extra_charge_unrecorded', { reason: 'job not found', responseId: charge.responseId });
      return;
    }
    const { job } = stored;
    if (job.status === 'queued') {
      await scheduleCheck(deps, message, charge, trace);
      return;
    }
    const ids = job.extraChargeIds ?? [];
    if (ids.includes(charge.responseId)) return;
    const usage: JobUsage = addJobUsage(job.usage ?? charge.attemptUsage, charge.usage);
    const written = await deps.jobs.replace(
      { ...job, usage, extraChargeIds: [...ids, charge.responseId] },
      stored.etag,
    );
    if (written === 'stale') continue;
    log.info('model.extra_charge_recorded', {
      responseId: charge.responseId,
      promptTokens: charge.usage.promptTokens,
      completionTokens: charge.usage.completionTokens,
      status: job.status,
    });
    return;
  }
  // Written by someone else each time: the message comes back and tries again.
  throw new Error(
    `job ${message.jobId}: the extra charge ${charge.responseId} lost ${MAX_WRITE_ATTEMPTS} writes`,
  );
}

function scheduleCheck(
  deps: InvokeDeps,
  message: InvokeMessage,
  charge: ExtraCharge,
  trace: TraceContext,
): Promise<void> {
  const delayMs = Math.min(MAX_CHECK_DELAY_MS, FIRST_CHECK_DELAY_MS * 2 ** charge.round);
  const next: ExtraCharge = { ...charge, round: charge.round + 1 };
  const base = invokeMessage(message, trace);
  return deps.publisher.schedule(
    {
      ...base,
      // Its own id per charge and round: never taken for one of the job's invoke hops, and a repeated
      // delivery of the same round schedules the next one once.
      messageId: `${message.jobId}:charge:${charge.responseId}:${next.round}`,
      applicationProperties: { ...base.applicationProperties, [EXTRA_CHARGE_PROPERTY]: JSON.stringify(next) },
    },
    new Date(deps.clock() + delayMs),
  );
}
