/**
 * The invoke stage asks here, before it calls a model, where the call should go (decide.ts). A job for
 * Global Batch is parked (a line waiting for the next provider batch) and its invoke message completes;
 * background work that finds the real-time deployments busy comes back later as a scheduled message
 * (same attempt: no call was made). Anything else is called real-time at once, as before.
 */
import { Buffer } from 'node:buffer';
import type { InvokeMessage } from '../messaging/stage-messages.js';
import type { GlobalBatchDeployment } from '../model/settings.js';
import { countableMessages, promptTokenUpperBound } from '../model/tokens.js';
import { invokeMessage } from '../pipeline/outbound.js';
import type { InvokeDeps } from '../pipeline/deps.js';
import { formatTraceparent, type TraceContext } from '../telemetry/trace-context.js';
import { chooseCapacity, type CapacitySettings } from './decide.js';
import { parkedLineId, partitionOf } from './documents.js';
import type { CapacityStore } from './ports.js';

/** The largest request parked for Global Batch, leaving the line's item room for the rest of its message. */
export const MAX_PARKED_REQUEST_BYTES = 1024 * 1024;

export interface CapacityRouter {
  readonly store: CapacityStore;
  readonly settings: CapacitySettings;
  /** The Global Batch deployments of a model alias (none: every call is real-time). */
  batchDeploymentsOf(alias: string): readonly GlobalBatchDeployment[];
  /** Whether the alias's real-time deployments have spare quota now (background work may use it). */
  realtimeIdle(alias: string): boolean;
}

/** True when the job's call was routed elsewhere (parked for batch, or deferred); false: call real-time now. */
export async function routedElsewhere(
  deps: InvokeDeps & { readonly capacity: CapacityRouter },
  message: InvokeMessage,
  trace: TraceContext,
  now: number,
): Promise<boolean> {
  const { capacity } = deps;
  const { request } = message;
  // Global Batch files here hold chat completions; other requests (embeddings) are called as before.
  if (!('messages' in request)) return false;
  const alias = request.model;
  const choice = chooseCapacity(
    {
      now,
      deadlineAt: message.deadlineAt,
      ...(message.expiresAt !== undefined ? { expiresAt: message.expiresAt } : {}),
      attempt: message.attempt,
      batchDeployments: capacity.batchDeploymentsOf(alias),
      realtimeIdle: () => capacity.realtimeIdle(alias),
    },
    capacity.settings,
  );
  const log = deps.logger.child({ stage: 'invoke', jobId: message.jobId, tenantId: message.tenantId });
  switch (choice.kind) {
    case 'realtime':
      if (choice.reason !== 'interactive') log.info('capacity.realtime', { reason: choice.reason });
      return false;
    case 'wait':
      log.info('capacity.background_wait', { delayMs: choice.delayMs });
      await deps.publisher.schedule(
        invokeMessage({ ...message, hop: message.hop + 1 }, trace),
        new Date(now + choice.delayMs),
      );
      return true;
    case 'batch': {
      // A parked line holds its invoke message in one Cosmos DB item (2 MB at most): a request near
      // that is called real-time rather than parked by reference, a rare case not worth a second store.
      if (Buffer.byteLength(JSON.stringify(request)) > MAX_PARKED_REQUEST_BYTES) {
        log.info('capacity.realtime', { reason: 'too_large_to_park' });
        return false;
      }
      const deployment = choice.deployment.name;
      const parked = await capacity.store.park({
        id: parkedLineId(message.jobId, message.attempt),
        kind: 'capacity-line',
        tenantId: partitionOf(deployment),
        deployment,
        state: 'pending',
        parkedAt: now,
        dueAt: choice.dueAt,
        promptTokens: promptTokenUpperBound(countableMessages(request)),
        traceparent: formatTraceparent(trace),
        message,
      });
      log.info('capacity.batch', { deployment, parked, dueAt: choice.dueAt });
      return true;
    }
  }
}
