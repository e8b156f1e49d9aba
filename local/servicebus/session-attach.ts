/**
 * Attaching a session receiver. The client names a session in the `com.microsoft:session-filter`
 * source filter, or leaves it empty for "the next session with messages". The attach reply carries
 * the session id and its lock expiry (.NET ticks in `com.microsoft:locked-until-utc`). A named session
 * held elsewhere is refused with session-cannot-be-locked. With no free session the reply is held back
 * (rhea's automatic open undone) until one frees up or the client's `com.microsoft:timeout` passes,
 * which is how acceptNextSession waits on Azure.
 */
import type { Link, RemoteAttach } from './amqp-link.js';
import type { ConnectionState } from './connections.js';
import type { Entity, SessionRecord } from './entity.js';
import type { LinkConsumer } from './link-consumer.js';
import { types } from './rhea.js';

export const SESSION_FILTER = 'com.microsoft:session-filter';
const DOTNET_EPOCH_TICKS = 621355968000000000n;

function dotnetTicks(ms: number): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeBigInt64BE(BigInt(ms) * 10000n + DOTNET_EPOCH_TICKS);
  return buf;
}

export interface SessionAttach {
  readonly link: Link;
  readonly st: ConnectionState;
  readonly entity: Entity;
  readonly consumer: LinkConsumer;
  /** The session the client asked for; undefined for the next available one. */
  readonly wanted: string | undefined;
  readonly attach: RemoteAttach;
  /** Starts delivering to the consumer once it holds a session. */
  readonly register: () => void;
}

export function attachSession(request: SessionAttach): void {
  const { link, st, entity, consumer, wanted, attach } = request;
  const address = entity.path;
  const grant = (s: SessionRecord): void => {
    link.set_source({ address, filter: { [SESSION_FILTER]: s.id } });
    link.local.attach.properties = {
      'com.microsoft:locked-until-utc': types.wrap_long(dotnetTicks(s.lockedUntil)),
    };
    request.register();
  };
  const result = entity.acceptSession(consumer, wanted);
  if (result === 'locked') {
    link.set_source({ address, filter: {} });
    link.local.attach.properties = {};
    link.close({
      condition: 'com.microsoft:session-cannot-be-locked',
      description: `The requested session '${wanted}' cannot be accepted. It may be locked by another receiver.`,
    });
    return;
  }
  if (result) {
    grant(result);
    return;
  }
  // No free session yet: hold the attach reply until one frees up or the client's timeout passes.
  link.state.local_open = false;
  link.state.open_requests = Math.max(0, link.state.open_requests - 1);
  const timeoutMs = Number(attach.properties?.['com.microsoft:timeout'] ?? 60_000);
  let timer: NodeJS.Timeout | undefined = undefined;
  const finish = (): void => {
    if (timer) clearTimeout(timer);
    cancelWait();
    st.pendingAttaches.delete(cancel);
  };
  const cancelWait = entity.waitForSession(consumer, (s) => {
    finish();
    grant(s);
    link.open();
    entity.pump();
  });
  const cancel = (): void => finish();
  st.pendingAttaches.add(cancel);
  timer = setTimeout(() => {
    finish();
    link.set_source({ address, filter: {} });
    link.local.attach.properties = {};
    link.open();
    link.close({
      condition: 'com.microsoft:timeout',
      description: 'No unlocked session was available within the requested timeout.',
    });
  }, timeoutMs);
  timer.unref();
}
