/**
 * Synchronous calls into a worker thread: the caller posts a request on a MessagePort, blocks on a
 * shared Int32Array with Atomics.wait until the worker has posted its reply and notified, then takes
 * the reply with receiveMessageOnPort. This keeps the emulators' synchronous methods (stats(),
 * setFaults()) synchronous when the emulator runs on another thread, so callers do not change. It
 * blocks the calling thread for one round trip (well under a millisecond on an idle worker): fine for
 * tests and for control calls, not for a hot path.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { Reply, SyncRequest } from './protocol.js';

const PENDING = 0;
const ANSWERED = 1;

export class SyncCaller {
  private readonly flag: Int32Array;

  constructor(
    private readonly port: MessagePort,
    signal: SharedArrayBuffer,
    private readonly timeoutMs: number,
  ) {
    this.flag = new Int32Array(signal);
  }

  call(request: SyncRequest): unknown {
    Atomics.store(this.flag, 0, PENDING);
    this.port.postMessage(request);
    // 'not-equal' means the reply was already there before we started waiting.
    if (Atomics.wait(this.flag, 0, PENDING, this.timeoutMs) === 'timed-out') {
      throw new Error(`Emulator thread did not answer ${request.op} within ${this.timeoutMs} ms`);
    }
    const received = receiveMessageOnPort(this.port);
    if (!received) throw new Error(`Emulator thread answered ${request.op} without a reply`);
    const reply = received.message as Reply;
    if (!reply.ok) throw new Error(reply.message);
    return reply.value;
  }

  close(): void {
    this.port.close();
  }
}

/** The worker's side: answers each request, then wakes the caller. */
export function serveSyncCalls(
  port: MessagePort,
  signal: SharedArrayBuffer,
  handle: (request: SyncRequest) => unknown,
): void {
  const flag = new Int32Array(signal);
  port.on('message', (request: SyncRequest) => {
    let reply: Reply;
    try {
      reply = { ok: true, value: handle(request) };
    } catch (error) {
      reply = { ok: false, message: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(reply);
    Atomics.store(flag, 0, ANSWERED);
    Atomics.notify(flag, 0);
  });
}
