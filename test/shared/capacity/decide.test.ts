import { describe, expect, it } from 'vitest';
import { chooseCapacity, type CapacityQuestion } from '../../../shared/capacity/decide.js';
import { GlobalBatchDeploymentSchema } from '../../../shared/model/settings.js';

const HOUR = 3_600_000;
const settings = { nearDeadlineMs: 15 * 60_000, backgroundRetryMs: 60_000 };
const batch = GlobalBatchDeploymentSchema.parse({
  name: 'gb',
  kind: 'globalBatch',
  endpoint: 'https://a.openai.azure.com',
  enqueuedTokens: 1_000_000,
  turnaroundSeconds: 6 * 3600,
});
const ask = (overrides: Partial<CapacityQuestion>): CapacityQuestion => ({
  now: 0,
  deadlineAt: 24 * HOUR,
  expiresAt: 24 * HOUR,
  attempt: 0,
  batchDeployments: [batch],
  realtimeIdle: () => false,
  ...overrides,
});

describe('chooseCapacity', () => {
  it('calls real-time for interactive work (no completion window), even with a batch deployment', () => {
    const { expiresAt: _, ...interactive } = ask({});
    expect(chooseCapacity(interactive, settings)).toEqual({ kind: 'realtime', reason: 'interactive' });
  });

  it('sends work whose deadline is past the turnaround plus the margin to Global Batch', () => {
    expect(chooseCapacity(ask({ expiresAt: 12 * HOUR }), settings)).toEqual({
      kind: 'batch',
      deployment: batch,
      dueAt: 12 * HOUR,
    });
  });

  it('never sends a retry (a line back from a batch) to a batch again', () => {
    expect(chooseCapacity(ask({ attempt: 1, realtimeIdle: () => true }), settings)).toEqual({
      kind: 'realtime',
      reason: 'idle',
    });
  });

  it('uses idle real-time quota for work too close for a batch, and waits while it is busy', () => {
    const soon = ask({ expiresAt: 2 * HOUR });
    expect(chooseCapacity({ ...soon, realtimeIdle: () => true }, settings)).toEqual({
      kind: 'realtime',
      reason: 'idle',
    });
    expect(chooseCapacity(soon, settings)).toEqual({ kind: 'wait', delayMs: 60_000 });
  });

  it('calls real-time near the deadline whatever the load, and never waits past the margin', () => {
    expect(chooseCapacity(ask({ expiresAt: 10 * 60_000 }), settings)).toEqual({
      kind: 'realtime',
      reason: 'near_deadline',
    });
    expect(chooseCapacity(ask({ expiresAt: 15 * 60_000 + 5_000 }), settings)).toEqual({
      kind: 'wait',
      delayMs: 5_000,
    });
  });

  it('takes the earlier of deadline and window, and calls real-time without a batch deployment', () => {
    expect(chooseCapacity(ask({ deadlineAt: HOUR, batchDeployments: [] }), settings).kind).toBe('wait');
    expect(chooseCapacity(ask({ deadlineAt: HOUR }), settings).kind).toBe('wait');
  });
});
