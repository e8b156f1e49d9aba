/**
 * Emulators on a worker thread (local/threads): reachable through the real SDKs and protocols, with
 * their synchronous control methods still synchronous, start-up failures reported, and nothing left
 * running after close.
 */
import { cosmosClientFor } from '../../fakes/embedded-cosmos-client.js';
import { ServiceBusClient } from '@azure/service-bus';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startEmulatorThread } from '../../../local/threads/emulator-thread.js';

const API_KEY = 'thread-test-key';
const model = {
  apiKey: API_KEY,
  deployments: [{ name: 'gpt-4o-mini', tpm: 100_000 }],
  latency: { timeToFirstTokenMs: 0, perTokenMs: 0 },
};

/** MessagePorts held open in this process: a live worker thread shows up as one. */
const openPorts = () => process.getActiveResourcesInfo().filter((kind) => kind === 'MessagePort').length;

function chat(url: string): Promise<Response> {
  return fetch(`${url}/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'api-key': API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hello' }], max_tokens: 16 }),
  });
}

describe('emulators on a worker thread', () => {
  it('serve Cosmos DB, Service Bus and the model over their protocols, with synchronous control calls', async () => {
    const portsBefore = openPorts();
    const thread = await startEmulatorThread({
      cosmos: {},
      serviceBus: { queues: [{ name: 'work' }] },
      model,
    });
    const cosmos = cosmosClientFor(thread.cosmos!);
    const serviceBus = new ServiceBusClient(thread.serviceBus!.connectionString);
    try {
      const { database } = await cosmos.databases.createIfNotExists({ id: 'db' });
      const { container } = await database.containers.createIfNotExists({
        id: 'items',
        partitionKey: { paths: ['/pk'] },
      });
      await container.items.create({ id: 'a', pk: 'p', value: 42 });
      const { resource } = await container.item('a', 'p').read<{ value: number }>();
      expect(resource?.value).toBe(42);

      await serviceBus.createSender('work').sendMessages({ body: 'one' });
      // A synchronous call into the worker: the broker there already holds the message.
      expect(thread.serviceBus!.stats()['work']).toMatchObject({ active: 1, locked: 0 });

      thread.model!.setFaults({ rules: [{ kind: 'http500', count: 1 }] });
      expect((await chat(thread.model!.url)).status).toBe(500);
      expect((await chat(thread.model!.url)).status).toBe(200);
      expect(thread.model!.stats().totals).toMatchObject({ requests: 2, faults: 1, succeeded: 1 });
      thread.model!.resetStats();
      expect(thread.model!.stats().totals.requests).toBe(0);
      expect(thread.model!.occupancy().tokenBudget).toBe(100_000);
      expect(openPorts()).toBeGreaterThan(portsBefore);
    } finally {
      await serviceBus.close();
      cosmos.dispose();
      await thread.close();
    }
    expect(openPorts()).toBe(portsBefore);
    await expect(chat(thread.model!.url)).rejects.toThrow();
  });

  it('keeps serving the other emulators when one is closed; the last close ends the thread', async () => {
    const portsBefore = openPorts();
    const thread = await startEmulatorThread({ serviceBus: { queues: [{ name: 'work' }] }, model });
    await thread.model!.close();
    await expect(chat(thread.model!.url)).rejects.toThrow();
    expect(() => thread.model!.stats()).toThrow(/not running/);
    expect(thread.serviceBus!.stats()['work']?.active).toBe(0);
    expect(openPorts()).toBeGreaterThan(portsBefore);
    await thread.serviceBus!.close();
    expect(openPorts()).toBe(portsBefore);
    await thread.close(); // idempotent
  });

  it('reports an emulator that cannot start and leaves no thread behind', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const portsBefore = openPorts();
    try {
      const { port } = taken.address() as AddressInfo;
      await expect(startEmulatorThread({ model, serviceBus: { port } })).rejects.toThrow(/EADDRINUSE/);
      expect(openPorts()).toBe(portsBefore);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
