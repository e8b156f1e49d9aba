/**
 * The entry's registrations, without the host: `app` is replaced by a recorder, so importing the entry
 * records what the Functions host would index. Every queue function of the manifest is registered on the
 * `ServiceBusConnection` with the handler toServiceBusHandler built for its own definition, the one that
 * turns a deadLetter outcome into DeadLetterRequested (its own tests cover that). One appTerminate hook
 * closes the process's services on graceful shutdown.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { functionManifest } from '../../functions/manifest.js';
import type { AppServices } from '../../functions/app-services.js';
import type * as Wrapper from '../../functions/queue/to-service-bus-handler.js';
import { getServices, useServices } from '../../functions/services.js';

const registered = vi.hoisted(() => ({
  queues: [] as Array<{ name: string; options: { connection: string; queueName: string; handler: unknown } }>,
  http: [] as string[],
  timers: [] as Array<{ name: string; schedule: string }>,
  terminate: [] as Array<(context: unknown) => unknown>,
  setup: [] as Array<Record<string, unknown>>,
}));

vi.mock('../../functions/azure-functions.js', () => ({
  app: {
    http: (name: string) => void registered.http.push(name),
    serviceBusQueue: (name: string, options: { connection: string; queueName: string; handler: unknown }) =>
      void registered.queues.push({ name, options }),
    timer: (name: string, options: { schedule: string }) =>
      void registered.timers.push({ name, schedule: options.schedule }),
    hook: {
      appTerminate: (handler: (context: unknown) => unknown) => void registered.terminate.push(handler),
    },
    setup: (options: Record<string, unknown>) => void registered.setup.push(options),
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
    const timerEntries = functionManifest.filter((e) => e.kind === 'timer');
    expect(registered.timers).toEqual(timerEntries.map((e) => ({ name: e.name, schedule: e.schedule })));
    expect(registered.http).toHaveLength(functionManifest.length - queueEntries.length - timerEntries.length);
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

describe('the entry closes the services when the host shuts down', () => {
  it('turns HTTP streams on, so uploads reach their handler as they arrive', () => {
    expect(registered.setup).toContainEqual({ enableHttpStream: true });
  });

  it('registers one appTerminate hook', () => {
    expect(registered.terminate).toHaveLength(1);
  });

  it('closes the services in use, once, and forgets them so a later invocation builds new ones', async () => {
    const close = vi.fn(() => Promise.resolve());
    const services = { close } as unknown as AppServices;
    useServices(services);
    await registered.terminate[0]!({ hookData: {} });
    expect(close).toHaveBeenCalledTimes(1);
    // Nothing left to close: a second shutdown signal does not close the same clients twice.
    await registered.terminate[0]!({ hookData: {} });
    expect(close).toHaveBeenCalledTimes(1);
    const replacement = { close: () => Promise.resolve() } as unknown as AppServices;
    useServices(replacement);
    await expect(getServices()).resolves.toBe(replacement);
    useServices(undefined);
  });

  it('resolves when no invocation ever created services', async () => {
    useServices(undefined);
    await expect(registered.terminate[0]!({ hookData: {} })).resolves.toBeUndefined();
  });
});
