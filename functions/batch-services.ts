/**
 * The Batches API's dependencies, derived from the core services by the composition root
 * (composition.ts): the `batches` container, the line jobs in `jobs`, the files, batched sends, the
 * existing job cancel and the webhook events. Its own module so the composition root stays one page.
 */
import { ConflictError } from '../shared/errors/index.js';
import type { BatchAdmission } from '../shared/batches/admission.js';
import { LINE_PRIORITY } from '../shared/batches/fanout.js';
import { CosmosJobUsage } from '../shared/cosmos/job-usage.js';
import { CosmosTenantStore } from '../shared/cosmos/tenant-store.js';
import { CachedTokenUsageReader, startOfUtcDay } from '../shared/tenancy/budget.js';
import { CachedTenantReader } from '../shared/tenancy/store.js';
import {
  allowsModel,
  modelTokensPerMinute,
  retentionTtlSeconds,
  schedulingOf,
} from '../shared/tenancy/tenant.js';
import type { BatchDeps } from '../shared/batches/deps.js';
import { emitBatchEvent } from '../shared/batches/events.js';
import type { BulkSender } from '../shared/batches/ports.js';
import { CosmosLineJobStore } from '../shared/cosmos/batch-line-jobs.js';
import { CosmosBatchStore } from '../shared/cosmos/batch-store.js';
import type { FilesDeps } from '../shared/files/upload.js';
import type { OutboundMessage } from '../shared/messaging/publisher.js';
import { cancelJob } from '../shared/pipeline/cancel.js';
import type { DeliverStageDeps } from '../shared/pipeline/deliver.js';
import type { StageDeps } from '../shared/pipeline/deps.js';
import { newTrace } from '../shared/telemetry/trace-context.js';
import type { CoreServices } from './app-services.js';

/** Bytes of line requests per fan-out chunk at most: memory per chunk stays a few MB whatever the lines. */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** One sweep's fan-out waits this long at most for a tenant's jobs in flight to make room (the sweep runs every minute). */
const ADMISSION_WAIT_MS = 40_000;

export function batchDeps(
  core: CoreServices,
  files: FilesDeps,
  webhooks: () => DeliverStageDeps,
  events: () => StageDeps,
): BatchDeps {
  const { config } = core;
  return {
    batches: new CosmosBatchStore(core.database.container('batches')),
    lineJobs: new CosmosLineJobStore(core.database.container('jobs'), {
      store: core.payloads,
      thresholdBytes: config.CLAIM_CHECK_THRESHOLD_BYTES,
    }),
    files: files.files,
    sender: core.bulkSender ?? oneByOne(core.publisher.send.bind(core.publisher)),
    logger: core.logger.child({ component: 'batches' }),
    clock: Date.now,
    settings: {
      minWindowSeconds: config.BATCH_MIN_WINDOW_SECONDS,
      maxWindowSeconds: 86_400,
      maxLines: config.FILES_MAX_LINES,
      maxLineBytes: config.FILES_MAX_LINE_BYTES,
      chunkLines: config.BATCH_CHUNK_LINES,
      chunkBytes: CHUNK_BYTES,
      deadlineMs: core.stage.settings.deadlineMs,
      duplicateWindowMs: core.stage.settings.duplicateWindowMs,
      retentionSeconds: core.stage.settings.retentionSeconds,
      admissionWaitMs: ADMISSION_WAIT_MS,
      admissionPollMs: 1_000,
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    admission: tenantBatchAdmission(core, config.BATCH_IN_FLIGHT_SHARE),
    knownModel: (model) => core.modelAliases().includes(model),
    async cancelJob(tenantId, jobId) {
      try {
        await cancelJob(events(), tenantId, jobId, newTrace());
      } catch (error) {
        // Finished between the scan and the cancel: it stays as it ended (kept in the output).
        if (!(error instanceof ConflictError)) throw error;
      }
    },
    async emitEvent(batch) {
      await emitBatchEvent(webhooks(), batch, newTrace());
    },
  };
}

/**
 * The tenant's limits as batch lines see them (shared/batches/admission.ts): its record cached 30 s as
 * the submission gate caches it, a COUNT of its queued jobs each time the fan-out asks for room (once per
 * chunk), its day's token use cached 10 s.
 */
function tenantBatchAdmission(core: CoreServices, share: number): BatchAdmission {
  const tenants = new CachedTenantReader(new CosmosTenantStore(core.database.container('tenants')), 30_000);
  const jobs = new CosmosJobUsage(core.database.container('jobs'));
  const usage = new CachedTokenUsageReader(jobs, 10_000);
  return {
    async tenant(tenantId) {
      const tenant = await tenants.get(tenantId);
      if (!tenant) return undefined;
      return {
        active: tenant.status === 'active',
        limits: {
          allowsModel: (model) => allowsModel(tenant, model),
          maxRequestBytes: tenant.quotas.maxRequestBytes,
          maxMessages: tenant.quotas.maxMessages,
        },
        maxInFlight: Math.max(1, Math.floor(tenant.quotas.maxJobsInFlight * share)),
        retentionSeconds: retentionTtlSeconds(tenant),
        scheduling(model) {
          const tokensPerMinute = modelTokensPerMinute(tenant, model);
          return {
            priority: LINE_PRIORITY,
            weight: schedulingOf(tenant).weight,
            ...(tokensPerMinute !== undefined ? { tokensPerMinute } : {}),
          };
        },
      };
    },
    inFlight: (tenantId) => jobs.countInFlight(tenantId),
    async budgetSpent(tenantId, nowMs) {
      const tenant = await tenants.get(tenantId);
      if (!tenant) return false;
      const used = await usage.tokensUsedSince(tenantId, startOfUtcDay(nowMs));
      return used >= tenant.quotas.dailyTokenBudget;
    },
  };
}

/** For hosts that wire a core without batched sends (test harnesses): the stage publisher, in order. */
function oneByOne(send: (message: OutboundMessage) => Promise<void>): BulkSender {
  return {
    async sendAll(messages) {
      for (const message of messages) await send(message);
    },
  };
}
