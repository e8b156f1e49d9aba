/**
 * The entry's registrations, without the host: `app` is replaced by a recorder, so importing the entry
 * records what the Functions host would index. Every queue function of the manifest is registered on the
 * `ServiceBusConnection` with the handler toServiceBusHandler built for its own definition, the one that
 * turns a deadLetter outcome into DeadLetterRequested (its own tests cover that).
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { functionManifest } from '../../functions/manifest.js';
import type * as Wrapper from '../../functions/queue/to-service-bus-handler.js';

const registered = vi.hoisted(() => ({
  queues: [] as Array<{ name: string; options: { connection: string; queueName: string; handler: unknown } }>,
  http: [] as string[],
}));

vi.mock('../../functions/azure-functions.js', () => ({
  app: {
    http: (name: string) => void registered.http.push(name),
    serviceBusQueue: (name: string, options: { connection: string; queueName: string; handler: unknown }) =>
      void registered.queues.push({ name, options }),
  },
}));

vi.mock('../../functions/queue/to-service-bus-handler.js', async (importOriginal) => {
  const actual = await importOriginal<typeof Wrapper>();
  return { toServiceBusHandler: vi.fn(actual.toServiceBusHandler) };
});

const { toServiceBusHandler } = await import('../../functions/queue/to-service-bus-handler.js');
const entry = await import('../../functions/index.js');

afterAll(async () => {
  // The entry preloads every handler module after its import: let that finish inside this test file.
  await entry.handlersPreloaded;
});

describe('the entry registers the queue functions', () => {
  const queueEntries = functionManifest.filter((e) => e.kind === 'serviceBusQueue');

  it('registers each queue function of the manifest once, on the ServiceBusConnection', () => {
    expect(queueEntries.length).toBeGreaterThan(0);
    expect(
      registered.queues.map(({ name, options }) => [name, options.queueName, options.connection]),
    ).toEqual(queueEntries.map((e) => [e.name, e.queueName, 'ServiceBusConnection']));
    expect(registered.http).toHaveLength(functionManifest.length - queueEntries.length);
  });

  it('gives each the handler toServiceBusHandler built for that function', () => {
    const wrap = vi.mocked(toServiceBusHandler);
    expect(wrap).toHaveBeenCalledTimes(queueEntries.length);
    registered.queues.forEach(({ name, options }, index) => {
      const definition = wrap.mock.calls[index]![0];
      expect(definition).toMatchObject({ kind: 'serviceBusQueue', name });
      expect(options.handler).toBe(wrap.mock.results[index]!.value);
    });
  });
});
