/**
 * Stage dependencies wired to in-memory fakes, with a controllable clock.
 */
import type { AcceptDeps, InvokeDeps, PostprocessDeps } from '../../shared/pipeline/deps.js';
import type { ModelClient } from '../../shared/model/port.js';
import { createMemoryLogger } from './memory-logger.js';
import { MemoryCompletionRecords } from './memory-completion-records.js';
import { MemoryEndpointCheck } from './memory-endpoint-check.js';
import { MemoryJobStore } from './memory-job-store.js';
import { MemoryPublisher } from './memory-publisher.js';

export interface FakeStage extends AcceptDeps, InvokeDeps, PostprocessDeps {
  readonly jobs: MemoryJobStore;
  readonly publisher: MemoryPublisher;
  readonly logger: ReturnType<typeof createMemoryLogger>;
  readonly webhookEndpoints: MemoryEndpointCheck;
  readonly completions: MemoryCompletionRecords;
  now: number;
  model: ModelClient;
}

export function fakeStage(model?: ModelClient): FakeStage {
  const state = {
    jobs: new MemoryJobStore(),
    publisher: new MemoryPublisher(),
    logger: createMemoryLogger(),
    webhookEndpoints: new MemoryEndpointCheck(),
    now: Date.parse('2026-11-25T12:00:00.000Z'),
    settings: {
      maxAttempts: 4,
      deadlineMs: 60 * 60_000,
      retentionSeconds: 86_400,
      duplicateWindowMs: 10 * 60_000,
    },
    model: model ?? { complete: () => Promise.reject(new Error('no model in this test')) },
    completions: new MemoryCompletionRecords(),
    modelCallBoundMs: 6_000,
    costOf: (usage: { promptTokens: number; completionTokens: number }) =>
      usage.promptTokens * 0.000001 + usage.completionTokens * 0.000002,
  } as Omit<FakeStage, 'clock'>;
  const deps = state as FakeStage;
  (deps as { clock: () => number }).clock = () => deps.now;
  return deps;
}
