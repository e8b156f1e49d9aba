/**
 * The capacity sweep (functions/timer/capacity-sweep.ts), per Global Batch deployment:
 * 1. every provider batch it runs is polled: a finished one is settled line by line (settle.ts) and its
 *    group removed; one refused for the enqueued-token limit puts its lines back to wait for room; one
 *    still running when its earliest line must fall back (`fallbackAt`) is cancelled, and what it did not
 *    finish goes to real-time deployments when it ends;
 * 2. pending lines are grouped into a new batch file, as many as the deployment's enqueued-token quota has
 *    room for (up to `maxLinesPerFile`), uploaded, and a batch created; a line that can no longer make a
 *    batch's turnaround before its deadline goes to real-time instead.
 * Every step is safe to repeat after a crash: a group is written (`forming`) before its lines are
 * assigned and before the upload; a forming group is submitted again by the next sweep, which first
 * adopts a provider batch an earlier submit made for it (found by the group id in its metadata, or its
 * uploaded file by name), so a crash between the provider's create and our `submitted` write does not
 * pay for the lines twice.
 * Lines of cancelled jobs (documents.ts `cancelledAt`) are left out of files and dropped from answers; a
 * running batch whose lines are all cancelled is cancelled (one line cannot be: it is paid).
 */
import { randomUUID } from 'node:crypto';
import type { GlobalBatchDeployment } from '../model/settings.js';
import { toChatParams } from '../model/endpoint.js';
import type { InvokeDeps } from '../pipeline/deps.js';
import { errorFields } from '../telemetry/logger.js';
import { partitionOf, type ParkedLine, type ProviderGroup } from './documents.js';
import type { CapacityStore, GlobalBatchProvider, ProviderBatch } from './ports.js';
import { fallBack, parseResultLine, settleLine, type LineOutcome } from './settle.js';

export interface CapacitySweepDeps {
  readonly stage: InvokeDeps;
  readonly store: CapacityStore;
  readonly deployments: readonly GlobalBatchDeployment[];
  providerFor(deployment: GlobalBatchDeployment): GlobalBatchProvider;
  readonly settings: {
    readonly maxLinesPerFile: number;
    readonly nearDeadlineMs: number;
    readonly defaultMaxTokens: number;
  };
}

export interface CapacitySweepResult {
  submitted: number;
  linesSubmitted: number;
  answered: number;
  failed: number;
  fellBack: number;
  refused: number;
  cancelled: number;
  /** Lines of cancelled jobs left out of a file or dropped from a finished batch. */
  dropped: number;
}

const FINISHED = new Set(['completed', 'expired', 'cancelled', 'failed']);

export async function sweepCapacity(deps: CapacitySweepDeps): Promise<CapacitySweepResult> {
  const result: CapacitySweepResult = {
    submitted: 0,
    linesSubmitted: 0,
    answered: 0,
    failed: 0,
    fellBack: 0,
    refused: 0,
    cancelled: 0,
    dropped: 0,
  };
  for (const deployment of deps.deployments) {
    try {
      await sweepDeployment(deps, deployment, result);
    } catch (error) {
      // One deployment's outage must not hold the others' work: the next sweep tries again.
      deps.stage.logger.warn('capacity.sweep_failed', { deployment: deployment.name, ...errorFields(error) });
    }
  }
  return result;
}

async function sweepDeployment(
  deps: CapacitySweepDeps,
  deployment: GlobalBatchDeployment,
  result: CapacitySweepResult,
): Promise<void> {
  const provider = deps.providerFor(deployment);
  const now = deps.stage.clock();
  let enqueued = 0;
  let refused = false;
  for (const group of await deps.store.groups(deployment.name)) {
    if (group.status === 'forming') {
      // A group the provider never accepted (an outage): its lines go real-time once they must.
      if (now >= group.fallbackAt) await abandon(deps, group, result);
      else enqueued += await submit(deps, provider, group, result, { since: group.createdAt });
      continue;
    }
    const batch = await provider.retrieve(group.providerBatchId!);
    if (FINISHED.has(batch.status)) {
      refused = (await settleGroup(deps, provider, group, batch, result)) || refused;
      continue;
    }
    enqueued += group.promptTokens;
    if (group.status === 'cancelling') continue;
    const reason =
      now >= group.fallbackAt
        ? 'fallback'
        : (await deps.store.openLines(group.deployment, group.id)) === 0
          ? 'all_lines_cancelled'
          : undefined;
    if (reason) {
      await provider.cancel(batch.id);
      await deps.store.saveGroup({ ...group, status: 'cancelling' });
      result.cancelled += 1;
      deps.stage.logger.info('capacity.batch_cancelled', {
        deployment: group.deployment,
        batchId: batch.id,
        reason,
      });
    }
  }
  // Refused for room: the provider's queue is fuller than ours says (other clients); try again next sweep.
  if (!refused) await formGroup(deps, provider, deployment, deployment.enqueuedTokens - enqueued, result);
}

/** Uploads a forming group's lines as a batch file and creates the provider batch; its prompt tokens. */
async function submit(
  deps: CapacitySweepDeps,
  provider: GlobalBatchProvider,
  group: ProviderGroup,
  result: CapacitySweepResult,
  resume?: { readonly since: number },
): Promise<number> {
  const lines = await withoutCancelled(deps, await deps.store.linesOf(group.deployment, group.id), result);
  if (lines.length === 0) {
    await deps.store.removeGroup(group.deployment, group.id);
    return 0;
  }
  const model = lines[0]!.message.request.model;
  const target = deps.deployments.find((d) => d.name === group.deployment);
  const jsonl = lines
    .flatMap((line) => {
      const { request } = line.message;
      // Only chat completions are parked (route.ts); anything else would not be a line of this file.
      if (!('messages' in request)) return [];
      const body = toChatParams(
        request,
        target?.deployment ?? group.deployment,
        request.max_tokens ?? deps.settings.defaultMaxTokens,
      );
      return [JSON.stringify({ custom_id: line.id, method: 'POST', url: '/chat/completions', body })];
    })
    .join('\n');
  const { fileId, batchId, adopted } = await provider.submit(`${jsonl}\n`, group.id, resume);
  await deps.store.saveGroup({
    ...group,
    status: 'submitted',
    lineCount: lines.length,
    providerFileId: fileId,
    providerBatchId: batchId,
  });
  deps.stage.logger.info('capacity.batch_submitted', {
    deployment: group.deployment,
    model,
    lines: lines.length,
    batchId,
    adopted,
  });
  result.submitted += 1;
  result.linesSubmitted += lines.length;
  return group.promptTokens;
}

async function settleGroup(
  deps: CapacitySweepDeps,
  provider: GlobalBatchProvider,
  group: ProviderGroup,
  batch: ProviderBatch,
  result: CapacitySweepResult,
): Promise<boolean> {
  const { stage, store } = deps;
  const count = (outcome: LineOutcome) => {
    if (outcome === 'answered') result.answered += 1;
    else if (outcome === 'failed') result.failed += 1;
    else result.fellBack += 1;
  };
  for (const fileId of [batch.outputFileId, batch.errorFileId]) {
    if (!fileId) continue;
    for await (const text of provider.lines(fileId)) {
      const parsed = parseResultLine(text);
      if (!parsed) continue;
      const line = await store.line(group.deployment, parsed.custom_id);
      // Settled by an earlier sweep that died before removing the group.
      if (!line) continue;
      // A cancelled job's answer (paid: the provider has no per-line cancel) goes nowhere.
      if (line.cancelledAt !== undefined) result.dropped += 1;
      else count(await settleLine(stage, line, parsed, stage.clock()));
      await store.removeLine(group.deployment, line.id);
    }
  }
  const refusedForRoom =
    batch.status === 'failed' && batch.errors.some((e) => e.code === 'token_limit_exceeded');
  const rest = await withoutCancelled(deps, await store.linesOf(group.deployment, group.id), result);
  if (refusedForRoom) {
    // Not the lines' fault: they wait for room, unless their deadline no longer allows a batch.
    result.refused += 1;
    stage.logger.warn('capacity.batch_refused', {
      deployment: group.deployment,
      reason: 'token_limit_exceeded',
      lines: rest.length,
    });
    await store.saveLines(rest.map((line) => ({ ...line, state: 'pending' as const, groupId: undefined })));
  } else {
    if (batch.status === 'failed') {
      stage.logger.warn('capacity.batch_failed', {
        deployment: group.deployment,
        errors: batch.errors.map((e) => e.code).join(','),
      });
    }
    for (const line of rest) {
      await fallBack(stage, line);
      result.fellBack += 1;
      await store.removeLine(group.deployment, line.id);
    }
  }
  await store.removeGroup(group.deployment, group.id);
  for (const fileId of [group.providerFileId, batch.outputFileId, batch.errorFileId]) {
    if (fileId) await provider.deleteFile(fileId).catch(() => undefined);
  }
  return refusedForRoom;
}

async function abandon(
  deps: CapacitySweepDeps,
  group: ProviderGroup,
  result: CapacitySweepResult,
): Promise<void> {
  for (const line of await deps.store.linesOf(group.deployment, group.id)) {
    await fallBack(deps.stage, line);
    result.fellBack += 1;
    await deps.store.removeLine(group.deployment, line.id);
  }
  await deps.store.removeGroup(group.deployment, group.id);
}

/** Groups pending lines that fit in `room` prompt tokens; lines too late for a batch go real-time. */
async function formGroup(
  deps: CapacitySweepDeps,
  provider: GlobalBatchProvider,
  deployment: GlobalBatchDeployment,
  room: number,
  result: CapacitySweepResult,
): Promise<void> {
  const now = deps.stage.clock();
  const latest = deployment.turnaroundSeconds * 1000 + deps.settings.nearDeadlineMs;
  const chosen: ParkedLine[] = [];
  let tokens = 0;
  const pending = await deps.store.pending(deployment.name, deps.settings.maxLinesPerFile);
  for (const line of await withoutCancelled(deps, pending, result)) {
    if (line.dueAt - now < latest) {
      await fallBack(deps.stage, line);
      result.fellBack += 1;
      await deps.store.removeLine(deployment.name, line.id);
      continue;
    }
    if (tokens + line.promptTokens > room) break;
    tokens += line.promptTokens;
    chosen.push(line);
  }
  if (chosen.length === 0) return;
  const group: ProviderGroup = {
    id: `group-${randomUUID()}`,
    kind: 'capacity-group',
    tenantId: partitionOf(deployment.name),
    deployment: deployment.name,
    status: 'forming',
    createdAt: now,
    lineCount: chosen.length,
    promptTokens: tokens,
    fallbackAt: Math.min(...chosen.map((line) => line.dueAt)) - deps.settings.nearDeadlineMs,
    refusals: 0,
  };
  await deps.store.saveGroup(group);
  await deps.store.saveLines(
    chosen.map((line) => ({ ...line, state: 'grouped' as const, groupId: group.id })),
  );
  await submit(deps, provider, group, result);
}

/** The lines whose job was not cancelled; those of cancelled jobs are removed (their job has ended). */
async function withoutCancelled(
  deps: CapacitySweepDeps,
  lines: readonly ParkedLine[],
  result: CapacitySweepResult,
): Promise<ParkedLine[]> {
  const open: ParkedLine[] = [];
  for (const line of lines) {
    if (line.cancelledAt === undefined) {
      open.push(line);
      continue;
    }
    await deps.store.removeLine(line.deployment, line.id);
    result.dropped += 1;
  }
  return open;
}
