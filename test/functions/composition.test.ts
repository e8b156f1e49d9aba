/**
 * composeServices: the domain services derive from the core a host supplies, each built on first use and
 * then kept, so an instance pays only for what its invocations touch, and the webhook API, the deliver
 * stage and the accept/persist checks all read one endpoint cache.
 */
import type { Database } from '@azure/cosmos';
import { describe, expect, it, vi } from 'vitest';
import type { CoreServices } from '../../functions/app-services.js';
import { composeServices } from '../../functions/composition.js';
import { parseConfig } from '../../shared/config/index.js';
import { createMemoryLogger } from '../fakes/memory-logger.js';
import { MemoryDeadLetters } from '../fakes/memory-dead-letters.js';
import { MemoryCompletionRecords } from '../fakes/memory-completion-records.js';
import { MemoryUsageRollups } from '../fakes/memory-usage-rollups.js';
import { MemoryFileStore } from '../fakes/memory-file-store.js';
import { MemoryPublisher } from '../fakes/memory-publisher.js';

function core() {
  const container = vi.fn<(name: string) => { id: string }>((name) => ({ id: name }));
  const config = parseConfig({
    PIPELINE_ENVIRONMENT: 'local',
    COSMOS_ENDPOINT: 'http://127.0.0.1:8081',
    COSMOS_KEY: 'local-key',
    ServiceBusConnection:
      'Endpoint=sb://127.0.0.1;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true',
    PUBLIC_BASE_URL: 'http://localhost:7071',
  });
  const logger = createMemoryLogger();
  const publisher = new MemoryPublisher();
  const stage = {
    jobs: {} as CoreServices['jobs'],
    publisher,
    logger,
    clock: Date.now,
    settings: { maxAttempts: 4, deadlineMs: 3_600_000, retentionSeconds: 86_400, duplicateWindowMs: 600_000 },
  };
  const composed: CoreServices = {
    config,
    logger,
    database: { container } as unknown as Database,
    jobs: stage.jobs,
    payloads: { put: () => Promise.resolve(), get: () => Promise.resolve(undefined) },
    publisher,
    credential: () => {
      throw new Error('no Azure credential in this test');
    },
    usageRollups: new MemoryUsageRollups(),
    fileStore: new MemoryFileStore(),
    deadLetters: new MemoryDeadLetters(),
    authenticator: {} as CoreServices['authenticator'],
    usage: {} as CoreServices['usage'],
    modelAliases: () => ['m'],
    stage,
    invoke: {
      ...stage,
      model: { complete: () => Promise.reject(new Error('unused')) },
      completions: new MemoryCompletionRecords(),
      costOf: () => 0,
      modelCallBoundMs: 6_000,
    },
    postprocess: { ...stage, costOf: () => 0 },
    close: () => Promise.resolve(),
  };
  return { container, core: composed };
}

describe('composeServices', () => {
  it('keeps the core as it is and builds nothing until a domain service is asked for', () => {
    const { core: base, container } = core();
    const services = composeServices(base);
    expect(services.stage).toBe(base.stage);
    expect(services.publisher).toBe(base.publisher);
    expect(services.database).toBe(base.database);
    expect(Object.getOwnPropertyDescriptor(services, 'close')?.value).toBe(base.close);
    expect(container).not.toHaveBeenCalled();
  });

  it('builds each domain service once, on first use, from the core database', () => {
    const { core: base, container } = core();
    const services = composeServices(base);
    const security = services.security;
    expect(services.security).toBe(security);
    expect(container.mock.calls.map(([name]) => name)).not.toContain('webhooks');
    const webhooks = services.webhooks;
    expect(services.webhooks).toBe(webhooks);
    expect(container.mock.calls.filter(([name]) => name === 'webhooks')).toHaveLength(1);
    expect(webhooks.publisher).toBe(base.publisher);
  });

  it('gives accept and persist/cancel the core stage dependencies plus checks on the one webhook store', async () => {
    const { core: base, container } = core();
    const services = composeServices(base);
    expect(services.accept).toBe(services.accept);
    expect(services.events).toBe(services.events);
    expect(services.accept).toMatchObject({ jobs: base.stage.jobs, publisher: base.publisher });
    expect(services.events).toMatchObject({ jobs: base.stage.jobs, publisher: base.publisher });
    expect(services.accept.webhookEndpoints).toBeDefined();
    expect(services.events.subscribers).toBeDefined();
    // One webhooks container (one endpoint cache) behind the API, deliver, accept and persist.
    expect(services.webhooks.store).toBeDefined();
    expect(container.mock.calls.filter(([name]) => name === 'webhooks')).toHaveLength(1);
    await services.close();
  });

  it('tries again after a failed build rather than keeping the failure', () => {
    const { core: base, container } = core();
    container.mockImplementationOnce(() => {
      throw new Error('not yet');
    });
    const services = composeServices(base);
    expect(() => services.webhooks).toThrow('not yet');
    expect(services.webhooks.store).toBeDefined();
  });
});
