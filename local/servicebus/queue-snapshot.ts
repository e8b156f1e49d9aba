/**
 * The emulator's queues as a file and back: every message a queue or its dead-letter sub-queue holds
 * (active, scheduled, deferred; a locked one as if its lock had expired, delivery count + 1, since
 * its receiver is gone), with its sequence number, enqueue, schedule and expiry times, and each queue's
 * duplicate-detection window. The message itself is kept as the AMQP bytes a receiver would get and
 * parsed back the way a sent message is, so what comes back is what the broker would deliver.
 * Not kept: locks, sessions' state and lock holders, links and connections (clients reconnect).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Entity } from './entity.js';
import { encodeForDelivery, parseMessage, type StoredMessage } from './stored-message.js';

const VERSION = 1;

interface MessageRecord {
  readonly seq: number;
  readonly state: 'active' | 'deferred' | 'scheduled';
  readonly enqueuedAt: number;
  /** null for a message that never expires (JSON has no Infinity). */
  readonly expiresAt: number | null;
  readonly scheduledAt?: number;
  readonly deliveryCount: number;
  /** base64 of the message as delivered. */
  readonly bytes: string;
}

interface QueueRecord {
  readonly messages: readonly MessageRecord[];
  readonly deadLettered: readonly MessageRecord[];
  readonly duplicates: ReadonlyArray<{ readonly id: string; readonly until: number }>;
}

export interface QueuesSnapshot {
  readonly version: number;
  readonly queues: Readonly<Record<string, QueueRecord>>;
}

export interface QueueSnapshotCounts {
  readonly messages: number;
  readonly deadLettered: number;
}

function toRecord(m: StoredMessage): MessageRecord {
  const locked = m.state === 'locked';
  return {
    seq: m.seq,
    state: m.state === 'deferred' || m.state === 'scheduled' ? m.state : 'active',
    enqueuedAt: m.enqueuedAt,
    expiresAt: Number.isFinite(m.expiresAt) ? m.expiresAt : null,
    ...(m.scheduledAt === undefined ? {} : { scheduledAt: m.scheduledAt }),
    deliveryCount: m.deliveryCount + (locked ? 1 : 0),
    bytes: encodeForDelivery(m).toString('base64'),
  };
}

function restoreInto(entity: Entity, record: MessageRecord): void {
  const { message } = parseMessage(Buffer.from(record.bytes, 'base64'));
  message.seq = record.seq;
  message.enqueuedAt = record.enqueuedAt;
  message.expiresAt = record.expiresAt ?? Number.POSITIVE_INFINITY;
  message.deliveryCount = record.deliveryCount;
  if (record.scheduledAt !== undefined) message.scheduledAt = record.scheduledAt;
  entity.restoreMessage(message, record.state);
}

export function toQueuesSnapshot(queues: ReadonlyMap<string, Entity>): QueuesSnapshot {
  const out: Record<string, QueueRecord> = {};
  for (const [name, entity] of queues) {
    out[name] = {
      messages: entity.heldMessages().map(toRecord),
      deadLettered: entity.deadLetter?.heldMessages().map(toRecord) ?? [],
      duplicates: entity.remembered(),
    };
  }
  return { version: VERSION, queues: out };
}

/** Restores into freshly started queues; a queue no longer defined is skipped (its messages dropped). */
export function restoreQueuesSnapshot(
  queues: ReadonlyMap<string, Entity>,
  snapshot: QueuesSnapshot,
): QueueSnapshotCounts {
  if (snapshot.version !== VERSION) throw new Error(`queue snapshot: unknown version ${snapshot.version}`);
  let messages = 0;
  let deadLettered = 0;
  for (const [name, record] of Object.entries(snapshot.queues)) {
    const entity = queues.get(name);
    if (!entity) continue;
    for (const duplicate of record.duplicates) entity.remember(duplicate.id, duplicate.until);
    for (const message of record.messages) restoreInto(entity, message);
    const deadLetter = entity.deadLetter;
    if (deadLetter) for (const message of record.deadLettered) restoreInto(deadLetter, message);
    messages += record.messages.length;
    deadLettered += deadLetter ? record.deadLettered.length : 0;
  }
  return { messages, deadLettered };
}

export function readQueuesSnapshot(file: string): QueuesSnapshot | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as QueuesSnapshot;
}

export function writeQueuesSnapshot(file: string, queues: ReadonlyMap<string, Entity>): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(toQueuesSnapshot(queues)));
  renameSync(`${file}.tmp`, file);
}
