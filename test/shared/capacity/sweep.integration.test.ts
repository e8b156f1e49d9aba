/**
 * The capacity sweep against the embedded Cosmos DB (its parked lines and groups) and the model
 * simulator's Global Batch protocol through the `openai` SDK: lines grouped within the deployment's
 * enqueued-token room, answers passed on to postprocess priced as batch, a provider refusal for its
 * enqueued-token limit putting the lines back to wait, and lines too late for a batch sent real-time.
 * Edges: a crash between the provider's batch create and the group's `submitted` write (the next sweep
 * adopts that batch: one provider batch), cancelled jobs left out of a file not yet submitted, and a
 * running provider batch cancelled once all its lines' jobs are; a request over 1 MB is not parked.
 */
import { AzureOpenAI, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelSimulator, type ModelSimulator } from '../../../local/model-simulator/index.js';
import { azureGlobalBatch } from '../../../shared/capacity/azure-global-batch.js';
import { partitionOf } from '../../../shared/capacity/documents.js';
import type { CapacityStore } from '../../../shared/capacity/ports.js';
import { MAX_PARKED_REQUEST_BYTES, routedElsewhere } from '../../../shared/capacity/route.js';
import { sweepCapacity, type CapacitySweepDeps } from '../../../shared/capacity/sweep.js';
import { CosmosCapacityStore } from '../../../shared/cosmos/capacity-store.js';
import type { InvokeMessage, PostprocessMessage } from '../../../shared/messaging/stage-messages.js';
import { cancelJob } from '../../../shared/pipeline/cancel.js';
import { GlobalBatchDeploymentSchema, type GlobalBatchDeployment } from '../../../shared/model/settings.js';
import { countableMessages, promptTokenUpperBound } from '../../../shared/model/tokens.js';
import { newTrace } from '../../../shared/telemetry/trace-context.js';
import { startTestDatabase, type TestDatabase } from '../../fakes/embedded-cosmos-database.js';
import { acceptedInvokeMessage } from '../../fakes/job-fixtures.js';
import { fakeStage, type FakeStage } from '../../fakes/stage-deps.js';

let db: TestDatabase;
let simulator: ModelSimulator;
let store: CosmosCapacityStore;

beforeAll(async () => {
  db = await startTestDatabase();
  store = new CosmosCapacityStore(db.database.container('batches'));
  simulator = await startModelSimulator({
    apiKey: 'k',
    deployments: [
      { name: 'rt', model: 'gpt-4o-mini', tpm: 60_000 },
      { name: 'gb', model: 'gpt-4o-mini', tpm: 1, sku: 'GlobalBatch', enqueuedTokens: 1_000_000 },
      { name: 'gb-tiny', model: 'gpt-4o-mini', tpm: 1, sku: 'GlobalBatch', enqueuedTokens: 1 },
      { name: 'gb-edge', model: 'gpt-4o-mini', tpm: 1, sku: 'GlobalBatch', enqueuedTokens: 1_000_000 },
    ],
    globalBatch: { validatingMs: 20, processingMs: 50, finalizingMs: 20 },
  });
}, 60_000);

afterAll(async () => {
  await simulator?.close();
  await db?.close();
});

function deployment(name: string, enqueuedTokens: number): GlobalBatchDeployment {
  return GlobalBatchDeploymentSchema.parse({
    name,
    kind: 'globalBatch',
    endpoint: simulator.url,
    auth: 'apiKey',
    enqueuedTokens,
    turnaroundSeconds: 600,
  });
}

/** The router as the invoke stage has it: one Global Batch deployment, real-time deployments busy. */
function routerTo(target: GlobalBatchDeployment) {
  return {
    store,
    settings: { nearDeadlineMs: 60_000, backgroundRetryMs: 1_000 },
    batchDeploymentsOf: () => [target],
    realtimeIdle: () => false,
  };
}

async function park(
  stage: FakeStage,
  target: GlobalBatchDeployment,
  count: number,
): Promise<InvokeMessage[]> {
  const messages: InvokeMessage[] = [];
  for (let i = 0; i < count; i += 1) {
    const message = await acceptedInvokeMessage(stage, {
      messages: [{ role: 'user', content: `line ${target.name} ${i}` }],
      expires_after: 86_400,
    });
    expect(
      await routedElsewhere({ ...stage, capacity: routerTo(target) }, message, newTrace(), stage.now),
    ).toBe(true);
    messages.push(message);
  }
  return messages;
}

function sweepDeps(stage: FakeStage, target: GlobalBatchDeployment): CapacitySweepDeps {
  return {
    stage,
    store,
    deployments: [target],
    providerFor: (d) => azureGlobalBatch(d, { apiKey: 'k' }, { apiVersion: '2024-10-21', timeoutMs: 10_000 }),
    settings: { maxLinesPerFile: 100, nearDeadlineMs: 60_000, defaultMaxTokens: 64 },
  };
}

async function sweepUntil(deps: CapacitySweepDeps, done: () => boolean) {
  const totals = { submitted: 0, answered: 0, refused: 0, fellBack: 0 };
  for (let i = 0; i < 100 && !done(); i += 1) {
    (deps.stage as FakeStage).now = Date.now();
    const result = await sweepCapacity(deps);
    totals.submitted += result.submitted;
    totals.answered += result.answered;
    totals.refused += result.refused;
    totals.fellBack += result.fellBack;
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  return totals;
}

describe('capacity sweep (embedded Cosmos DB, simulated Global Batch)', () => {
  it('groups lines within the enqueued-token room and passes every answer on once, priced as batch', async () => {
    const stage = fakeStage();
    stage.now = Date.now();
    const probe = await acceptedInvokeMessage(stage, { messages: [{ role: 'user', content: 'line gb 0' }] });
    const perLine = promptTokenUpperBound(countableMessages(probe.request));
    // Room for two lines at a time: three lines take two provider batches.
    const target = deployment('gb', perLine * 2 + 2);
    const parked = await park(stage, target, 3);
    expect(await store.pending('gb', 10)).toHaveLength(3);
    const deps = sweepDeps(stage, target);
    const answered = () => stage.publisher.on('postprocess').length >= 3;
    const totals = await sweepUntil(deps, answered);
    expect(totals).toMatchObject({ submitted: 2, answered: 3, refused: 0, fellBack: 0 });
    const sent = stage.publisher.on('postprocess').map((m) => m.body as PostprocessMessage);
    expect(sent.map((m) => m.jobId).sort()).toEqual(parked.map((m) => m.jobId).sort());
    for (const message of sent) {
      expect(message.completion).toMatchObject({ deployment: 'gb', capacity: 'batch' });
      expect(message.completion.content).toMatch(/^\[simulated\]/);
    }
    // Settled lines and groups are gone; another sweep sends nothing more.
    expect(await store.pending('gb', 10)).toHaveLength(0);
    expect(await store.groups('gb')).toHaveLength(0);
    await sweepCapacity(deps);
    expect(stage.publisher.on('postprocess')).toHaveLength(3);
  }, 60_000);

  it('puts lines back to wait when the provider refuses the batch with token_limit_exceeded', async () => {
    const stage = fakeStage();
    stage.now = Date.now();
    const target = deployment('gb-tiny', 1_000_000);
    await park(stage, target, 2);
    const deps = sweepDeps(stage, target);
    let refusing: Awaited<ReturnType<typeof sweepCapacity>> | undefined;
    for (let n = 0; n < 100 && !refusing; n += 1) {
      stage.now = Date.now();
      const result = await sweepCapacity(deps);
      if (result.refused > 0) refusing = result;
      else await new Promise((resolve) => setTimeout(resolve, 30));
    }
    // The sweep that finds the refusal puts the lines back to wait and submits nothing before the next.
    expect(refusing).toMatchObject({ refused: 1, submitted: 0, fellBack: 0 });
    expect(simulator.batchStats().tokenLimitRefusals).toBe(1);
    expect(await store.pending('gb-tiny', 10)).toHaveLength(2);
    expect(stage.publisher.on('postprocess')).toHaveLength(0);
    expect(stage.publisher.on('invoke').filter((m) => (m.body as InvokeMessage).attempt > 0)).toHaveLength(0);
    const lines = await db.database
      .container('batches')
      .items.query({
        query: "SELECT * FROM c WHERE c.tenantId = @p AND c.kind = 'capacity-line'",
        parameters: [{ name: '@p', value: partitionOf('gb-tiny') }],
      })
      .fetchAll();
    expect(lines.resources).toHaveLength(2);
  }, 60_000);

  it('sends a pending line real-time as its next attempt once a batch can no longer make its deadline', async () => {
    const stage = fakeStage();
    stage.now = Date.now();
    const target = deployment('gb', 1_000_000);
    const [message] = await park(stage, target, 1);
    // Later: less than the turnaround plus the margin is left before the job's deadline.
    stage.now = message!.deadlineAt - 30_000;
    const result = await sweepCapacity({ ...sweepDeps(stage, target), stage });
    expect(result.fellBack).toBe(1);
    const retry = stage.publisher.on('invoke').at(-1)!.body as InvokeMessage;
    expect(retry).toMatchObject({ jobId: message!.jobId, attempt: 1 });
    expect(await store.pending('gb', 10)).toHaveLength(0);
  }, 60_000);
});

/** The store, except that `saveGroup` of a `submitted` group fails once: an instance stopping right there. */
function crashingOnceBeforeSubmitted(): CapacityStore {
  let crashed = false;
  return new Proxy(store, {
    get(target, property) {
      if (property === 'saveGroup') {
        return async (group: Parameters<CapacityStore['saveGroup']>[0]) => {
          if (group.status === 'submitted' && !crashed) {
            crashed = true;
            throw new Error('the instance stopped');
          }
          return target.saveGroup(group);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The cancel use case as composition wires it with Global Batch deployments: parked lines marked. */
function cancelling(stage: FakeStage) {
  const deps = {
    ...stage,
    onCancelled: async (job: { id: string }) => {
      await store.cancelLinesOf(job.id, Date.now());
    },
  };
  return (message: InvokeMessage) => cancelJob(deps, message.tenantId, message.jobId, newTrace());
}

describe('capacity sweep edges', () => {
  it('adopts the provider batch a crashed submit created: the group is one provider batch, answered once', async () => {
    const stage = fakeStage();
    stage.now = Date.now();
    const target = deployment('gb-edge', 1_000_000);
    const parked = await park(stage, target, 2);
    const created = simulator.batchStats().created;

    const crashed = await sweepCapacity({
      ...sweepDeps(stage, target),
      store: crashingOnceBeforeSubmitted(),
    });
    // The provider has the batch; our group is still `forming`.
    expect(crashed.submitted).toBe(0);
    expect(simulator.batchStats().created).toBe(created + 1);
    expect((await store.groups('gb-edge')).map((group) => group.status)).toEqual(['forming']);

    const deps = sweepDeps(stage, target);
    const totals = await sweepUntil(deps, () => stage.publisher.on('postprocess').length >= 2);
    expect(totals).toMatchObject({ submitted: 1, answered: 2, fellBack: 0 });
    expect(simulator.batchStats().created).toBe(created + 1);
    expect(stage.logger.lines.some((l) => l.event === 'capacity.batch_submitted' && l.adopted === true)).toBe(
      true,
    );
    const sent = stage.publisher.on('postprocess').map((m) => (m.body as PostprocessMessage).jobId);
    expect(sent.sort()).toEqual(parked.map((m) => m.jobId).sort());
    expect(await store.groups('gb-edge')).toHaveLength(0);
  }, 60_000);

  it('leaves the line of a job cancelled before its group is submitted out of the file', async () => {
    const stage = fakeStage();
    stage.now = Date.now();
    const target = deployment('gb-edge', 1_000_000);
    const parked = await park(stage, target, 3);
    await cancelling(stage)(parked[1]!);
    const answeredBefore = simulator.batchStats().linesAnswered;

    const deps = sweepDeps(stage, target);
    let dropped = 0;
    for (let i = 0; i < 100 && stage.publisher.on('postprocess').length < 2; i += 1) {
      stage.now = Date.now();
      dropped += (await sweepCapacity(deps)).dropped;
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    expect(dropped).toBe(1);
    // The provider answered two lines: the cancelled one was never in its file.
    expect(simulator.batchStats().linesAnswered - answeredBefore).toBe(2);
    const sent = stage.publisher.on('postprocess').map((m) => (m.body as PostprocessMessage).jobId);
    expect(sent.sort()).toEqual([parked[0]!.jobId, parked[2]!.jobId].sort());
    expect(await store.pending('gb-edge', 10)).toHaveLength(0);
  }, 60_000);

  it('cancels a running provider batch once every line of it is cancelled, and drops its lines', async () => {
    const stage = fakeStage();
    stage.now = Date.now();
    const target = deployment('gb-edge', 1_000_000);
    // Slow enough that the batch is still running when its jobs are cancelled.
    simulator.setBatchTiming({ processingMs: 60_000 });
    try {
      const parked = await park(stage, target, 2);
      const deps = sweepDeps(stage, target);
      expect((await sweepCapacity(deps)).submitted).toBe(1);
      const cancelledBefore = simulator.batchStats().cancelled;

      // One line cancelled: the batch runs on (a single line cannot be cancelled at the provider).
      await cancelling(stage)(parked[0]!);
      stage.now = Date.now();
      expect((await sweepCapacity(deps)).cancelled).toBe(0);
      expect((await store.groups('gb-edge'))[0]?.status).toBe('submitted');

      await cancelling(stage)(parked[1]!);
      stage.now = Date.now();
      expect((await sweepCapacity(deps)).cancelled).toBe(1);
      let dropped = 0;
      for (let i = 0; i < 100 && (await store.groups('gb-edge')).length > 0; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        stage.now = Date.now();
        dropped += (await sweepCapacity(deps)).dropped;
      }
      expect(simulator.batchStats().cancelled).toBe(cancelledBefore + 1);
      expect(dropped).toBe(2);
      // Nothing went on for the cancelled jobs: no answer, no real-time retry.
      expect(stage.publisher.on('postprocess')).toHaveLength(0);
      expect(stage.publisher.on('invoke').filter((m) => (m.body as InvokeMessage).attempt > 0)).toHaveLength(
        0,
      );
    } finally {
      simulator.setBatchTiming({ processingMs: 50 });
    }
  }, 60_000);

  it('calls a request too large to park real-time: a parked line is one Cosmos DB item', async () => {
    const stage = fakeStage();
    stage.now = Date.now();
    const target = deployment('gb-edge', 1_000_000_000);
    const message = await acceptedInvokeMessage(stage, {
      messages: [{ role: 'user', content: 'x'.repeat(MAX_PARKED_REQUEST_BYTES) }],
      expires_after: 86_400,
    });
    expect(
      await routedElsewhere({ ...stage, capacity: routerTo(target) }, message, newTrace(), stage.now),
    ).toBe(false);
    expect(await store.pending('gb-edge', 10)).toHaveLength(0);
    expect(
      stage.logger.lines.some((l) => l.event === 'capacity.realtime' && l.reason === 'too_large_to_park'),
    ).toBe(true);
  });

  it('creates the batch on the file a crashed submit uploaded, uploading nothing again', async () => {
    const stage = fakeStage();
    stage.now = Date.now();
    const target = deployment('gb-edge', 1_000_000);
    const [message] = await park(stage, target, 1);
    const [line] = await store.pending('gb-edge', 10);
    const groupId = `group-file-only-${Date.now()}`;
    // What a sweep that stopped after its upload left: a forming group, its line, the provider's file.
    await store.saveGroup({
      id: groupId,
      kind: 'capacity-group',
      tenantId: partitionOf('gb-edge'),
      deployment: 'gb-edge',
      status: 'forming',
      createdAt: stage.now,
      lineCount: 1,
      promptTokens: line!.promptTokens,
      fallbackAt: line!.dueAt - 60_000,
      refusals: 0,
    });
    await store.saveLines([{ ...line!, state: 'grouped', groupId }]);
    const client = new AzureOpenAI({ endpoint: simulator.url, apiKey: 'k', apiVersion: '2024-10-21' });
    const request = message!.request;
    const body = { model: 'gb-edge', messages: 'messages' in request ? request.messages : [], max_tokens: 8 };
    const uploaded = await client.files.create({
      file: await toFile(
        Buffer.from(
          `${JSON.stringify({ custom_id: line!.id, method: 'POST', url: '/chat/completions', body })}\n`,
        ),
        `${groupId}.jsonl`,
      ),
      purpose: 'batch',
    });
    const files = (await client.files.list({ purpose: 'batch' })).data.length;

    const totals = await sweepUntil(
      sweepDeps(stage, target),
      () => stage.publisher.on('postprocess').length >= 1,
    );
    expect(totals).toMatchObject({ submitted: 1, answered: 1 });
    const [batch] = (await client.batches.list({ limit: 1 })).data;
    expect(batch?.input_file_id).toBe(uploaded.id);
    expect(batch?.metadata?.group_id).toBe(groupId);
    // The settled batch's files are deleted; none was uploaded besides the crashed submit's.
    expect((await client.files.list({ purpose: 'batch' })).data.length).toBeLessThan(files);
  }, 60_000);
});
