/**
 * The one builder for `deliver` queue messages. Two bodies travel on that queue (a job event to fan out,
 * and one endpoint's delivery attempt); both are named and labelled here so their ids cannot overlap and
 * an operator finds either by the same application properties.
 */
import { childSpan, formatTraceparent, type TraceContext } from '../telemetry/trace-context.js';
import type { OutboundMessage } from '../messaging/publisher.js';

/** What names a `deliver` message: whose event, for which endpoint, which replay and which try. */
export interface DeliverAddress {
  readonly jobId: string;
  readonly tenantId: string;
  readonly eventType: string;
  /** The one endpoint the message is for; absent for an event fanned out to every matching endpoint. */
  readonly endpointId?: string;
  /** n for the n-th replay of an endpoint's delivery; 0 or absent for the original. */
  readonly replay?: number;
  /** A fan-out is attempt 0; an endpoint's delivery attempts count from 1, so the two never share an id. */
  readonly attempt: number;
}

/**
 * `<job>:deliver[:<endpoint>[:r<replay>]]:<attempt>`: Service Bus duplicate detection drops a second publish
 * of the same message, while retries and replays get ids of their own.
 */
export function deliverMessageId(address: DeliverAddress): string {
  const endpoint = address.endpointId === undefined ? '' : `:${address.endpointId}`;
  const replay = address.replay ? `:r${address.replay}` : '';
  return `${address.jobId}:deliver${endpoint}${replay}:${address.attempt}`;
}

export function toDeliverOutbound(
  address: DeliverAddress,
  body: unknown,
  trace: TraceContext,
): OutboundMessage {
  return {
    queue: 'deliver',
    messageId: deliverMessageId(address),
    body,
    applicationProperties: {
      traceparent: formatTraceparent(childSpan(trace)),
      jobId: address.jobId,
      tenantId: address.tenantId,
      ...(address.endpointId === undefined ? {} : { endpointId: address.endpointId }),
      eventType: address.eventType,
      attempt: address.attempt,
    },
    correlationId: address.jobId,
  };
}
