/**
 * Hands a job's terminal event to the `deliver` stage, unless the subscribers port says nobody could
 * receive it: then the hop would only find no target, so it is not sent at all.
 */
import type { JobEvent } from '../jobs/events.js';
import type { TraceContext } from '../telemetry/trace-context.js';
import { errorFields } from '../telemetry/logger.js';
import type { StageDeps } from './deps.js';
import { deliverMessage } from './outbound.js';

export type EmitResult = 'sent' | 'skipped';

export async function emitJobEvent(
  deps: StageDeps,
  event: JobEvent,
  trace: TraceContext,
): Promise<EmitResult> {
  if (!(await wanted(deps, event))) {
    deps.logger.debug('job.event_not_delivered', {
      reason: 'no_subscribers',
      eventType: event.type,
      jobId: event.jobId,
      tenantId: event.tenantId,
      traceId: event.traceId,
    });
    return 'skipped';
  }
  await deps.publisher.send(deliverMessage({ kind: 'deliver', attempt: 0, event }, trace));
  return 'sent';
}

/**
 * Fails open: the check only saves a hop, so when it cannot answer (the endpoint list could not be read)
 * the event is sent and the deliver stage, which retries by message, decides. Failing closed would lose
 * a cancel's event, whose HTTP retry finds the job already cancelled and sends nothing.
 */
async function wanted(deps: StageDeps, event: JobEvent): Promise<boolean> {
  if (!deps.subscribers) return true;
  try {
    return await deps.subscribers.wants({
      tenantId: event.tenantId,
      type: event.type,
      ...(event.webhookEndpointId ? { webhookEndpointId: event.webhookEndpointId } : {}),
    });
  } catch (error) {
    deps.logger.warn('job.subscriber_check_failed', {
      jobId: event.jobId,
      tenantId: event.tenantId,
      traceId: event.traceId,
      ...errorFields(error),
    });
    return true;
  }
}
