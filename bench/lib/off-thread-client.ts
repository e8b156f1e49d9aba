/**
 * An HTTP client on a worker thread, for benchmarks that measure the main thread's event loop: building
 * and sending a 1 MiB body costs the sender several ms, which would otherwise count as the server's.
 * Bodies are handed over once, before measuring; each call then sends only a name and headers.
 */
import { Worker } from 'node:worker_threads';

const SOURCE = `
const { parentPort } = require('node:worker_threads');
const bodies = new Map();
parentPort.on('message', async (message) => {
  if (message.kind === 'body') { bodies.set(message.name, message.body); parentPort.postMessage({ id: message.id }); return; }
  try {
    const response = await fetch(message.url, { method: message.method, headers: message.headers, body: message.body === undefined ? undefined : bodies.get(message.body) });
    parentPort.postMessage({ id: message.id, status: response.status, text: await response.text() });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String(error) });
  }
});`;

export interface OffThreadResponse {
  readonly status: number;
  readonly text: string;
}

export class OffThreadClient {
  private readonly worker = new Worker(SOURCE, { eval: true });
  private nextId = 0;
  private readonly pending = new Map<number, (reply: Record<string, unknown>) => void>();

  constructor() {
    this.worker.on('message', (reply: Record<string, unknown>) => {
      const id = reply.id as number;
      this.pending.get(id)?.(reply);
      this.pending.delete(id);
    });
  }

  /** Keeps `body` on the client thread under `name`, for later requests. */
  async setBody(name: string, body: string): Promise<void> {
    await this.call({ kind: 'body', name, body });
  }

  async request(
    url: string,
    init: { method: string; headers: Record<string, string>; body?: string },
  ): Promise<OffThreadResponse> {
    const reply = await this.call({ kind: 'request', url, ...init });
    if (typeof reply.error === 'string') throw new Error(reply.error);
    return { status: reply.status as number, text: reply.text as string };
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private call(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ ...message, id });
    });
  }
}
