/**
 * Service Bus trigger -> the `QueueMessage` queue handlers see. The Functions host hands a v4 Node handler
 * the body and `context.triggerMetadata`; local/devhost builds the same `QueueMessage` from the SDK's
 * received message, so a handler cannot tell the hosts apart.
 *
 * What arrives: the Service Bus extension puts the message's properties in the binding data (MessageId,
 * DeliveryCount, EnqueuedTimeUtc, SequenceNumber, ContentType, CorrelationId, ApplicationProperties and its
 * older alias UserProperties) and the host sends each one to the worker, where @azure/functions
 * (`fromRpcTriggerMetadata`) lowercases the first letter of every key, nested keys included: an application
 * property `Diagnostic-Id` arrives as `diagnostic-Id`, and nothing here can undo that. Numbers and dates
 * travel as JSON: deliveryCount and sequenceNumber arrive as numbers, enqueuedTimeUtc as .NET DateTime text
 * with up to 7 fraction digits and often no zone designator although it is UTC. Text travels as a string
 * that the library tries to JSON.parse (azure-functions-nodejs-library issue 419), so a message id "42"
 * arrives as the number 42, "true" as true, and `{"A":1}` as an object.
 *
 * Odd values never throw and never give NaN or an Invalid Date: the field is left out (messageId becomes ''
 * and deliveryCount 0, the two fields a QueueMessage always has), as follows:
 * - messageId, correlationId: a string as is; a boolean or bigint as its text (what was sent); a finite number
 *   as its decimal text (what was sent unless it was written as 1.0 or 1e3), except an integer beyond 2^53,
 *   whose digits the parse already lost: made-up digits could turn two producers' message ids (the intake
 *   queue's default idempotency key) into one job, while '' is refused visibly. Objects, null, '' are left out.
 * - contentType: a non-empty string, else left out (a media type is never JSON-like, so nothing to recover).
 * - deliveryCount: the host counts this delivery too (1 on the first); QueueMessage counts the previous ones,
 *   as AMQP and the JS SDK do. A positive integer (number or digits) n gives n - 1; anything else gives 0,
 *   a first delivery as far as anyone can tell.
 * - sequenceNumber: a safe non-negative integer, a bigint or a string of digits (the dev host passes the
 *   SDK's 64-bit Long as text, every digit kept) as its text; anything else, including an integer beyond
 *   2^53 that lost its digits in the parse, is left out.
 * - enqueuedTimeUtc: ISO 8601 date-time text, read as UTC when it has no offset (the name says UTC, and
 *   `new Date()` would read it in the worker's local zone), fraction cut to milliseconds; or a valid Date.
 *   A day that does not exist (February 30, month 13, hour 24) or any other text or number is left out.
 * - applicationProperties: the first of applicationProperties and userProperties that is a plain object,
 *   copied; {} when neither is.
 */
import type { TriggerMetadata } from '@azure/functions';
import type { QueueMessage } from '../definitions.js';

export function fromServiceBusTrigger(
  body: unknown,
  triggerMetadata: TriggerMetadata | undefined,
): QueueMessage {
  const metadata: TriggerMetadata = isRecord(triggerMetadata) ? triggerMetadata : {};
  const contentType = metadata.contentType;
  const correlationId = idText(metadata.correlationId);
  const enqueuedTimeUtc = utcDate(metadata.enqueuedTimeUtc);
  const sequenceNumber = sequenceText(metadata.sequenceNumber);
  return {
    body,
    messageId: idText(metadata.messageId) ?? '',
    deliveryCount: previousDeliveries(metadata.deliveryCount),
    applicationProperties: propertiesOf(metadata),
    ...(typeof contentType === 'string' && contentType !== '' ? { contentType } : {}),
    ...(correlationId === undefined ? {} : { correlationId }),
    ...(enqueuedTimeUtc === undefined ? {} : { enqueuedTimeUtc }),
    ...(sequenceNumber === undefined ? {} : { sequenceNumber }),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function idText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  return Number.isInteger(value) && !Number.isSafeInteger(value) ? undefined : String(value);
}

function previousDeliveries(value: unknown): number {
  const count =
    typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : 0;
  return Number.isSafeInteger(count) && count > 0 ? count - 1 : 0;
}

function sequenceText(value: unknown): string | undefined {
  if (typeof value === 'string') return /^\d+$/.test(value) ? value : undefined;
  if (typeof value === 'bigint') return value >= 0n ? value.toString() : undefined;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined;
}

function propertiesOf(metadata: TriggerMetadata): Record<string, unknown> {
  const properties = [metadata.applicationProperties, metadata.userProperties].find(isRecord);
  return properties === undefined ? {} : { ...properties };
}

/** yyyy-mm-ddThh:mm[:ss[.fraction]][Z|+hh:mm|-hhmm]: the forms .NET and `toISOString()` write. */
const ISO_DATE_TIME =
  /^(?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2})T(?<h>\d{2}):(?<mi>\d{2})(?::(?<s>\d{2})(?:\.(?<f>\d+))?)?(?:Z|(?<sign>[+-])(?<oh>\d{2}):?(?<om>\d{2}))?$/;

function utcDate(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : new Date(value.getTime());
  if (typeof value !== 'string') return undefined;
  const groups = ISO_DATE_TIME.exec(value)?.groups;
  if (groups === undefined) return undefined;
  const part = (name: string): number => Number(groups[name] ?? 0);
  const [year, month, day] = [part('y'), part('mo'), part('d')];
  if (part('h') > 23 || part('mi') > 59 || part('s') > 59 || part('oh') > 23 || part('om') > 59) {
    return undefined;
  }
  // setUTCFullYear, not Date.UTC, which reads the years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  // A day that does not exist rolls over (February 30 becomes March 1): refuse it instead.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return undefined;
  }
  const milliseconds = Number((groups.f ?? '').slice(0, 3).padEnd(3, '0'));
  date.setUTCHours(part('h'), part('mi'), part('s'), milliseconds);
  const offsetMinutes = (groups.sign === '-' ? -1 : 1) * (part('oh') * 60 + part('om'));
  return new Date(date.getTime() - offsetMinutes * 60_000);
}
