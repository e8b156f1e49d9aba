/**
 * Builders for the messages stages send each other, so ids, trace propagation and properties are made
 * the same way everywhere.
 */
import { stageMessageId } from '../jobs/ids.js';
import { toDeliverOutbound } from './deliver-outbound.js';
import type { OutboundMessage } from '../messaging/publisher.js';
import type {
  DeliverMessage,
  InvokeMessage,
  PersistMessage,
  PostprocessMessage,
} from '../messaging/stage-messages.js';
import { childSpan, formatTraceparent, type TraceContext } from '../telemetry/trace-context.js';

/** The job reference every stage message carries on unchanged (ids, metadata, trace, deadline, expiry, retention). */
export type JobRef = Pick<
  InvokeMessage,
  | 'jobId'
  | 'tenantId'
  | 'metadata'
  | 'webhookEndpointId'
  | 'traceId'
  | 'deadlineAt'
  | 'expiresAt'
  | 'retentionSeconds'
>;

export function jobRefOf(message: JobRef): JobRef {
  return {
    jobId: message.jobId,
    tenantId: message.tenantId,
    metadata: message.metadata,
    ...(message.webhookEndpointId ? { webhookEndpointId: message.webhookEndpointId } : {}),
    traceId: message.traceId,
    deadlineAt: message.deadlineAt,
    ...(message.expiresAt !== undefined ? { expiresAt: message.expiresAt } : {}),
    ...(message.retentionSeconds !== undefined ? { retentionSeconds: message.retentionSeconds } : {}),
  };
}

function properties(jobId: string, tenantId: string, trace: TraceContext, attempt: number) {
  return { traceparent: formatTraceparent(childSpan(trace)), jobId, tenantId, attempt };
}

export function invokeMessage(body: InvokeMessage, trace: TraceContext): OutboundMessage {
  return {
    queue: 'invoke',
    messageId: stageMessageId(body.jobId, 'invoke', body.hop),
    body,
    applicationProperties: properties(body.jobId, body.tenantId, trace, body.attempt),
    correlationId: body.jobId,
  };
}

export function postprocessMessage(body: PostprocessMessage, trace: TraceContext): OutboundMessage {
  return {
    queue: 'postprocess',
    messageId: stageMessageId(body.jobId, 'postprocess', body.attempts),
    body,
    applicationProperties: properties(body.jobId, body.tenantId, trace, body.attempts),
    correlationId: body.jobId,
  };
}

export function persistMessage(body: PersistMessage, trace: TraceContext): OutboundMessage {
  return {
    // One terminal outcome per job: whichever stage decides it, the id is the same, so duplicates drop.
    queue: 'persist',
    messageId: stageMessageId(body.jobId, 'persist', 0),
    body,
    applicationProperties: properties(body.jobId, body.tenantId, trace, body.attempts),
    correlationId: body.jobId,
  };
}

/** The job's event, to fan out to its endpoints (or to the one endpoint the message names). */
export function deliverMessage(body: DeliverMessage, trace: TraceContext): OutboundMessage {
  const { event } = body;
  const address = {
    jobId: event.jobId,
    tenantId: event.tenantId,
    eventType: event.type,
    attempt: body.attempt,
  };
  return toDeliverOutbound(
    body.endpointId ? { ...address, endpointId: body.endpointId } : address,
    body,
    trace,
  );
}
