import { ServiceBusClient } from '@azure/service-bus';
import {
  startServiceBusEmulator,
  type QueueDefinition,
  type ServiceBusEmulator,
} from '../../../local/servicebus/index.js';

/** A queue definition for tests: short lock so expiry tests run in well under a second. */
export function testQueue(name: string, overrides: Partial<QueueDefinition> = {}): QueueDefinition {
  return {
    name,
    lockDuration: 'PT0.6S',
    maxDeliveryCount: 10,
    requiresDuplicateDetection: false,
    duplicateDetectionHistoryTimeWindow: 'PT10M',
    requiresSession: false,
    defaultMessageTimeToLive: 'P14D',
    deadLetteringOnMessageExpiration: true,
    maxMessageSizeInKilobytes: 256,
    ...overrides,
  };
}

export interface Harness {
  emulator: ServiceBusEmulator;
  client: ServiceBusClient;
  close(): Promise<void>;
}

export async function startHarness(queues: QueueDefinition[], statsPort?: number): Promise<Harness> {
  const emulator = await startServiceBusEmulator({ port: 0, queues, statsPort });
  // Fast retries so a deliberate failure does not wait through the SDK's default back-off.
  const client = new ServiceBusClient(emulator.connectionString, {
    retryOptions: { maxRetries: 1, retryDelayInMs: 50, timeoutInMs: 10_000 },
  });
  return {
    emulator,
    client,
    close: async () => {
      await client.close();
      await emulator.close();
    },
  };
}

/** Polls until the predicate holds (state changes driven by the emulator's timers). */
export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('Condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
