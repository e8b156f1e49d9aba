/**
 * The `$management` request/response operations the SDK uses (lock renewal, scheduling, peek,
 * deferred receive, settlement without a link, session lock and state). Responses use camelCase
 * `statusCode`/`statusDescription`, which is what the SDK's peek checks for "no more messages".
 */
import type { Entity } from './entity.js';
import { rhea, types, type Typed } from './rhea.js';
import { encodeForDelivery, parseMessage } from './stored-message.js';

export interface ManagementResponse {
  statusCode: number;
  description: string;
  condition?: string;
  body?: Typed;
}

const ok = (body?: Typed): ManagementResponse => ({ statusCode: 200, description: 'OK', body });
const fail = (statusCode: number, condition: string, description: string): ManagementResponse => ({
  statusCode,
  condition,
  description,
});

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (Buffer.isBuffer(v) && v.length === 8) return Number(v.readBigInt64BE(0));
  if (typeof v === 'bigint') return Number(v);
  throw new TypeError(`Expected a long, got ${typeof v}`);
}

function toList(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  return v === undefined || v === null ? [] : [v];
}

function tokenString(v: unknown): string {
  if (Buffer.isBuffer(v)) return rhea.uuid_to_string(v);
  if (typeof v === 'string') return v.toLowerCase();
  throw new TypeError('Expected a lock token');
}

const map = (entries: Record<string, Typed>): Typed => types.wrap_map(entries);
const lockLost = (): ManagementResponse =>
  fail(
    410,
    'com.microsoft:message-lock-lost',
    'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.',
  );
const sessionLockLost = (id: string): ManagementResponse =>
  fail(410, 'com.microsoft:session-lock-lost', `The session lock has expired on the MessageSession '${id}'.`);

type Body = Record<string, unknown>;

export function handleManagement(entity: Entity, operation: string, body: Body): ManagementResponse {
  switch (operation) {
    case 'com.microsoft:renew-lock': {
      const expirations: number[] = [];
      for (const t of toList(body['lock-tokens'])) {
        const until = entity.renewLock(tokenString(t));
        if (until === undefined) return lockLost();
        expirations.push(until);
      }
      return ok(map({ expirations: types.wrap_array(expirations, 0x83) }));
    }
    case 'com.microsoft:schedule-message': {
      const seqs: number[] = [];
      for (const item of toList(body.messages)) {
        const raw = (item as Body).message;
        if (!Buffer.isBuffer(raw))
          return fail(400, 'amqp:invalid-field', 'Scheduled message without a body.');
        const { message, scheduledAt } = parseMessage(raw);
        const refusal = entity.refusal(message);
        if (refusal) return fail(400, 'amqp:invalid-field', refusal);
        seqs.push(entity.enqueue(message, scheduledAt));
      }
      return ok(map({ 'sequence-numbers': types.wrap_array(seqs, 0x81) }));
    }
    case 'com.microsoft:cancel-scheduled-message': {
      for (const seq of toList(body['sequence-numbers'])) entity.cancelScheduled(toNumber(seq));
      return ok();
    }
    case 'com.microsoft:peek-message': {
      const from = toNumber(body['from-sequence-number']);
      const count = toNumber(body['message-count']);
      const sessionId = typeof body['session-id'] === 'string' ? body['session-id'] : undefined;
      const found = entity.peek(from, count, sessionId);
      if (found.length === 0) return { statusCode: 204, description: 'No messages' };
      return ok(
        map({
          messages: types.wrap_list(
            found.map((m) =>
              map({ message: types.wrap_binary(encodeForDelivery(m, { lockedUntil: m.lock?.lockedUntil })) }),
            ),
          ),
        }),
      );
    }
    case 'com.microsoft:receive-by-sequence-number': {
      const seqs = toList(body['sequence-numbers']).map(toNumber);
      const receiveAndDelete = toNumber(body['receiver-settle-mode'] ?? 1) === 0;
      const sessionId = typeof body['session-id'] === 'string' ? body['session-id'] : undefined;
      const found = entity.receiveDeferred(seqs, receiveAndDelete, sessionId);
      if (!found) {
        return fail(
          404,
          'com.microsoft:message-not-found',
          `Failed to retrieve the message(s) with sequence number(s) ${seqs.join(', ')}: not deferred or not found.`,
        );
      }
      return ok(
        map({
          messages: types.wrap_list(
            found.map(({ message, lock }) => {
              const entry: Record<string, Typed> = {
                message: types.wrap_binary(
                  encodeForDelivery(message, { lockedUntil: lock?.lockedUntil, deferred: true }),
                ),
              };
              if (lock) entry['lock-token'] = types.wrap_uuid(rhea.string_to_uuid(lock.token));
              return map(entry);
            }),
          ),
        }),
      );
    }
    case 'com.microsoft:update-disposition': {
      const status = body['disposition-status'];
      const props = (body['properties-to-modify'] ?? undefined) as Record<string, unknown> | undefined;
      for (const t of toList(body['lock-tokens'])) {
        const token = tokenString(t);
        let result;
        switch (status) {
          case 'completed':
            result = entity.complete(token);
            break;
          case 'abandoned':
            result = entity.abandon(token, props);
            break;
          case 'defered':
          case 'deferred':
            result = entity.defer(token, props);
            break;
          case 'suspended':
            result = entity.deadLetterByLock(
              token,
              body['deadletter-reason'] as string | undefined,
              body['deadletter-description'] as string | undefined,
              props,
            );
            break;
          default:
            return fail(400, 'amqp:invalid-field', `Unknown disposition-status '${String(status)}'.`);
        }
        if (result !== 'ok') return lockLost();
      }
      return ok();
    }
    case 'com.microsoft:renew-session-lock': {
      const id = String(body['session-id']);
      const until = entity.renewSessionLock(id);
      if (until === undefined) return sessionLockLost(id);
      return ok(map({ expiration: types.wrap_timestamp(until) }));
    }
    case 'com.microsoft:set-session-state': {
      const id = String(body['session-id']);
      const state = body['session-state'];
      if (!entity.setSessionState(id, state === null ? undefined : state)) return sessionLockLost(id);
      return ok();
    }
    case 'com.microsoft:get-session-state': {
      const id = String(body['session-id']);
      const state = entity.getSessionState(id);
      if (state === undefined) return sessionLockLost(id);
      return ok(map({ 'session-state': state === null ? types.Null() : types.wrap(state) }));
    }
    default:
      return fail(
        501,
        'amqp:not-implemented',
        `Operation '${operation}' is not supported by the local emulator.`,
      );
  }
}
