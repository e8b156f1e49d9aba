/**
 * Hands a job's terminal event to the `deliver` stage, unless the subscribers port says nobody could
 * receive it: then the hop would only find no target, so it is not sent at all.
 */
import type { JobEvent } from '../jobs/events.js';
import type { TraceContext } from '../telemetry/trace-context.js';
import type { StageDeps } from './deps.js';
import { deliverMessage } from './outbound.js';

export type EmitResult = 'sent' | 'skipped';

export async function emitJobEvent(
  deps: StageDeps,
  event: JobEvent,
  trace: TraceContext,
): Promise<EmitResult> {
  const wanted = deps.subscribers
    ? await deps.subscribers.wants({
        tenantId: event.tenantId,
        type: event.type,
        ...(event.webhookEndpointId ? { webhookEndpointId: event.webhookEndpointId } : {}),
      })
    : true;
  if (!wanted) {
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
