/**
 * One chaos run: jobs through the whole local stack over HTTP and the intake queue while, at random and
 * all at once, the model fails (500/503, hangs past the client timeout, resets connections, a 429
 * storm), the webhook endpoint fails, hangs and recovers, cancels race the stages, model calls outlive
 * their message locks, a TCP proxy cuts the platform's Service Bus connections, and one host instance
 * is killed and restarted. Then `reconcile` runs and the checks (checks.ts) read what happened.
 */
import { ServiceBusClient } from '@azure/service-bus';
import { randomBytes } from 'node:crypto';
import { functionDefinitions } from '../../functions/registry.js';
import { createInvocationContext, invocationTraceParent } from '../../local/devhost/invocation.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { loadQueueDefinitions } from '../../local/servicebus/definitions.js';
import { startWebhookReceiver } from '../../local/webhook-receiver/index.js';
import { jobIdFor } from '../../shared/jobs/ids.js';
import type { DeadLetter } from '../../shared/messaging/dead-letters.js';
import type { QueueName } from '../../shared/messaging/publisher.js';
import { createLogger } from '../../shared/telemetry/logger.js';
import {
  checkDeadLetters,
  checkModelCharges,
  checkNoneLost,
  checkOneTerminalState,
  checkTerminal,
  checkUsage,
  checkWebhookIds,
  TERMINAL,
  type CheckResult,
  type JobRecord,
  type JobView,
  type UsageTotals,
} from './checks.js';
import { startKillableHost, type KillableHost } from './killable-host.js';
import { startModelRecorder } from './model-recorder.js';
import { jobBody, planJobs, seededRandom, TRANSIENT_FAULTS, webhookMood } from './plan.js';
import { freePort, startTcpProxy } from './tcp-proxy.js';

export interface ChaosOptions {
  readonly jobs: number;
  readonly seed: number;
  /** Submissions per second (HTTP and intake together). */
  readonly rate: number;
  /** After the last submission, how long every job has to be terminal. */
  readonly settleBoundMs: number;
  /** Progress lines; the counts come back in the result. */
  readonly log: (line: string) => void;
}

export interface ChaosResult {
  readonly seed: number;
  readonly jobs: number;
  readonly durationMs: number;
  /** Until every check was made: the run itself, without closing the stack (about 40 s after cut
   * connections: docs/reliability.md, Findings). */
  readonly runMs: number;
  readonly injected: Record<string, number>;
  readonly checks: readonly CheckResult[];
  /** Error-level log events of the main instance, by name. */
  readonly errorEvents: Record<string, number>;
}

/** Short locks: the slow model calls (up to ~3.2 s) outlive them, and locks must be renewed. */
const LOCK_DURATION = 'PT2S';
/** Low, so repeated lock losses reach the dead-letter sub-queue and reconcile has work. */
const MAX_DELIVERY_COUNT = 4;
const QUEUES: readonly QueueName[] = ['intake', 'invoke', 'postprocess', 'persist', 'deliver'];
/** The model deployment's requests per minute: 400 per 10 s window, which a storm fills at once. */
const DEPLOYMENT_RPM = 2_400;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const random = seededRandom(options.seed);
  const runId = `chaos${options.seed.toString(36)}`;
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  const injected: Record<string, number> = {};
  const count = (what: string, by = 1) => (injected[what] = (injected[what] ?? 0) + by);
  const errorEvents: Record<string, number> = {};

  const recorder = await startModelRecorder();
  const emulatorPort = await freePort();
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: emulatorPort });
  const secrets: string[] = [];
  const receiver = await startWebhookReceiver({
    secrets,
    log: () => undefined,
    respond: (request) => {
      if (request.verificationError) return { status: 401 };
      const mood = webhookMood(elapsed(), 12_000);
      count(`webhook ${mood}`);
      if (mood === 'fail') return { status: 503 };
      if (mood === 'hang') return { status: 204, delayMs: 3_000 };
      return { status: 204 };
    },
  });

  const queues = loadQueueDefinitions().map((queue) => ({
    ...queue,
    lockDuration: LOCK_DURATION,
    maxDeliveryCount: MAX_DELIVERY_COUNT,
  }));
  const proxied = `Endpoint=sb://127.0.0.1:${proxy.port};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE_LOCAL_EMULATOR_NOT_A_SECRET;UseDevelopmentEmulator=true;`;
  const stack: LocalStack = await startLocalStack({
    port: 0,
    serviceBusPort: emulatorPort,
    serviceBusQueues: queues,
    // The main instance serves HTTP only, so every queue trigger runs on an instance that connects
    // through the proxy (the env's ServiceBusConnection); the main instance's sends go through it too.
    hostInstances: 2,
    mainInstanceFunctions: 'http',
    modelLatency: { timeToFirstTokenMs: 200, perTokenMs: 50 },
    deployments: [{ name: 'gpt-4o-mini', model: 'gpt-4o-mini', tpm: 10_000_000, rpm: DEPLOYMENT_RPM }],
    logger: createLogger({
      level: 'error',
      sink: (_level, line) => {
        const event = /"event":"([^"]+)"/.exec(line)?.[1] ?? '?';
        errorEvents[event] = (errorEvents[event] ?? 0) + 1;
      },
    }),
    drainMs: 0,
    env: {
      LOG_LEVEL: 'error',
      ServiceBusConnection: proxied,
      MODEL_POOLS: JSON.stringify({
        'gpt-4o-mini': [
          {
            name: 'local-gpt-4o-mini',
            kind: 'azure',
            endpoint: recorder.url,
            deployment: 'gpt-4o-mini',
            model: 'gpt-4o-mini',
            auth: 'apiKey',
            tpm: 10_000_000,
            rpm: DEPLOYMENT_RPM,
          },
        ],
      }),
      // Short bounds so the run ends: 3 attempts (backoff 1 s, 2 s), a 4 s model timeout (a hang
      // outlives the 2 s lock), a 1.5 s webhook timeout, and a deadline a waiting job cannot outlive.
      JOB_MAX_ATTEMPTS: '3',
      MODEL_TIMEOUT_MS: '4000',
      WEBHOOK_TIMEOUT_MS: '1500',
      JOB_DEADLINE_SECONDS: '40',
      // Finding: without it each host instance thread wraps webhook secrets with its own random local
      // KEK, and deliveries on the other instances fail ("Unknown key-encryption key"). One for all.
      WEBHOOK_KEK_BASE64: randomBytes(32).toString('base64'),
    },
  });
  recorder.setTarget(stack.model.url);
  stack.model.setFaults({ rules: TRANSIENT_FAULTS.rules.map((rule) => ({ ...rule })) });
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${stack.apiUrl}${path}`, {
      ...init,
      headers: { 'api-key': stack.apiKey, 'content-type': 'application/json', ...init.headers },
    });
  const registered = await api('/v1/webhooks/endpoints', {
    method: 'POST',
    body: JSON.stringify({ url: receiver.url, description: 'chaos' }),
  });
  if (registered.status !== 201) throw new Error(`webhook registration: ${registered.status}`);
  secrets.push(((await registered.json()) as { secret: string }).secret);

  // Finding: with the main instance on HTTP only, no instance runs the timers (worker instances take the
  // queue triggers only), so stack.host.runTimer('reconcile') has nothing to run. The run calls the
  // registered handler itself, with the main instance's services, as the dev host's timer would.
  const reconcileTimer = functionDefinitions.find(
    (definition) => definition.kind === 'timer' && definition.name === 'reconcile',
  );
  if (reconcileTimer?.kind !== 'timer') throw new Error('no reconcile timer registered');
  const quiet = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  const runReconcile = () =>
    reconcileTimer.handler(
      createInvocationContext({
        functionName: 'reconcile',
        traceParent: invocationTraceParent(undefined),
        logger: quiet,
      }),
    );

  let killable: KillableHost | undefined = await startKillableHost(2, stack.env);
  const producer = new ServiceBusClient(stack.serviceBus.connectionString);
  const intake = producer.createSender('intake');

  const plans = planJobs(
    options.jobs,
    runId,
    { intake: 0.3, slow: 0.35, cancel: 0.15, cancelWindowMs: 4_000 },
    random,
  );
  const jobs: JobRecord[] = plans.map((plan) => ({
    plan,
    id: jobIdFor(stack.tenantId, plan.key),
    accepted: false,
    submitStatuses: [],
    flips: [],
  }));
  const badIntake = Array.from({ length: Math.max(3, Math.round(options.jobs / 100)) }, (_, i) => ({
    messageId: `${runId}-bad-${i}`,
    expectedReason: 'MissingTenant',
  }));

  // ── chaos on a timer while jobs go in ───────────────────────────────────────────────────────────
  let chaosOn = true;
  const submitMs = (options.jobs / options.rate) * 1000;
  const cutter = (async () => {
    while (chaosOn) {
      await sleep(800 + random() * 2_400);
      if (!chaosOn) break;
      // Mostly one connection; now and then every one at once (a gateway restart).
      const all = random() < 0.15;
      count(
        'service bus connections cut',
        proxy.cut(all ? proxy.open() : 1, (n) => Math.floor(random() * n)),
      );
    }
  })();
  const storms = [0.3, 0.7].map(async (at) => {
    await sleep(submitMs * at);
    count('429 storms');
    // Fill the deployment's request window from outside the platform: its calls get 429s for ~10 s.
    const flood = Math.ceil((DEPLOYMENT_RPM / 6) * 1.1);
    const answers = await Promise.all(
      Array.from({ length: flood }, () =>
        fetch(`${stack.model.url}/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21`, {
          method: 'POST',
          headers: { 'api-key': stack.env.MODEL_API_KEY ?? '', 'content-type': 'application/json' },
          body: JSON.stringify({ messages: [{ role: 'user', content: 'storm' }], max_tokens: 1 }),
        })
          .then((r) => r.status)
          .catch(() => 0),
      ),
    );
    count('storm requests', answers.length);
  });
  const killer = (async () => {
    await sleep(submitMs * 0.45);
    await killable?.kill();
    killable = undefined;
    count('host instances killed');
    options.log(`host instance 2 killed at ${(elapsed() / 1000).toFixed(1)} s`);
    await sleep(3_000);
    killable = await startKillableHost(3, stack.env);
    count('host instances restarted');
  })();

  // ── submissions, cancels and polling ────────────────────────────────────────────────────────────
  const pending: Promise<void>[] = [];
  let slowestSubmitMs = 0;
  const submitOne = async (job: JobRecord) => {
    if (job.plan.via === 'intake') {
      await intake.sendMessages({
        messageId: job.plan.key,
        body: jobBody(job.plan),
        contentType: 'application/json',
        applicationProperties: { tenantId: stack.tenantId },
      });
      job.accepted = true;
    } else {
      // A client retries a 5xx with the same idempotency key, as the API asks.
      const sentAt = Date.now();
      for (let attempt = 0; attempt < 5 && !job.accepted; attempt += 1) {
        const response = await api('/v1/jobs', {
          method: 'POST',
          headers: { 'idempotency-key': job.plan.key },
          body: JSON.stringify(jobBody(job.plan)),
        }).catch(() => undefined);
        job.submitStatuses.push(response?.status ?? 0);
        await response?.arrayBuffer().catch(() => undefined);
        if (response && (response.status === 202 || response.status === 200)) job.accepted = true;
        else await sleep(500);
      }
      slowestSubmitMs = Math.max(slowestSubmitMs, Date.now() - sentAt);
    }
    if (job.accepted && job.plan.cancelAfterMs !== undefined) {
      await sleep(job.plan.cancelAfterMs);
      const response = await api(`/v1/jobs/${job.id}/cancel`, { method: 'POST' });
      job.cancelStatus = response.status;
      await response.arrayBuffer();
      count('cancels sent');
    }
  };
  const read = async (job: JobRecord): Promise<void> => {
    const response = await api(`/v1/jobs/${job.id}`).catch(() => undefined);
    if (!response) return;
    if (response.status === 404) {
      await response.arrayBuffer();
      return;
    }
    if (response.status !== 200) return void (await response.arrayBuffer());
    const view = (await response.json()) as JobView;
    job.final = view;
    if (!TERMINAL.has(view.status)) {
      if (job.terminal) job.flips.push(view.status);
      return;
    }
    if (!job.terminal) job.terminal = { status: view.status, atMs: elapsed() };
    else if (view.status !== job.terminal.status) job.flips.push(view.status);
  };
  const readAll = async (batch: readonly JobRecord[]) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < batch.length) await read(batch[next++] as JobRecord);
      }),
    );
  };
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const open = jobs.filter((job) => job.accepted && !job.terminal);
      // Terminal jobs are read again now and then: a terminal status must never change.
      const again = jobs.filter((job) => job.terminal && random() < 0.05);
      await readAll([...open, ...again]);
      await sleep(1_000);
    }
  })();

  for (const [index, job] of jobs.entries()) {
    const due = (index / options.rate) * 1000;
    if (due > elapsed()) await sleep(due - elapsed());
    pending.push(submitOne(job).catch((error: unknown) => options.log(`submit ${job.id}: ${String(error)}`)));
    if (index % Math.max(1, Math.floor(options.jobs / 10)) === 0)
      options.log(`submitted ${index}/${options.jobs} at ${Math.round(elapsed() / 1000)} s`);
  }
  for (const bad of badIntake) {
    await intake.sendMessages({ messageId: bad.messageId, body: { model: 'gpt-4o-mini', messages: [] } });
  }
  await Promise.all(pending);
  const lastSubmission = elapsed();
  options.log(
    `all submitted at ${Math.round(lastSubmission / 1000)} s; slowest HTTP submission ${slowestSubmitMs} ms`,
  );
  // Faults keep coming a little longer, then stop so the bound can be met.
  await sleep(3_000);
  chaosOn = false;
  await Promise.all([cutter, killer, ...storms]);

  // ── settle: reconcile now and then until every job is terminal or the bound is spent ─────────────
  const bound = lastSubmission + options.settleBoundMs;
  let reconciles = 0;
  while (elapsed() < bound && jobs.some((job) => job.accepted && !job.terminal)) {
    await sleep(2_000);
    await runReconcile();
    reconciles += 1;
    options.log(
      `${jobs.filter((job) => job.accepted && !job.terminal).length} jobs open at ${Math.round(elapsed() / 1000)} s`,
    );
  }
  for (let i = 0; i < 3; i += 1) {
    await runReconcile();
    reconciles += 1;
    await sleep(500);
  }
  polling = false;
  await poller;
  count('reconcile runs', reconciles);
  // The last word on each job, after reconcile.
  await readAll(jobs);

  const deadLetters: DeadLetter[] = [];
  for (const queue of QUEUES) deadLetters.push(...(await listAll(stack, queue)));
  const usageResponse = await api(`/v1/usage?since=${new Date(started - 60_000).toISOString()}`);
  const usage = (await usageResponse.json()) as UsageTotals;
  count('model calls through the recorder', recorder.calls.length);
  // What the platform's calls met (the storm's own requests go around the recorder).
  for (const call of recorder.calls)
    if (call.outcome !== 200) count(`model calls answered ${String(call.outcome)}`);
  count('jobs with a fault marker', plans.filter((plan) => plan.marker).length);
  count('jobs slower than the lock', plans.filter((plan) => plan.slow).length);

  options.log(`read back at ${(elapsed() / 1000).toFixed(1)} s`);
  const checks = [
    checkTerminal(jobs, options.settleBoundMs),
    checkNoneLost(
      jobs,
      badIntake,
      deadLetters.filter((letter) => letter.queue === 'intake'),
    ),
    checkOneTerminalState(jobs, receiver.received),
    checkModelCharges(jobs, recorder.calls, started),
    checkWebhookIds(receiver.received),
    checkUsage(jobs, usage),
    checkDeadLetters(deadLetters, jobs),
  ];
  const runMs = elapsed();
  // Before the stack closes (about 40 s after cut connections): a caller out of time still has them.
  for (const check of checks) options.log(`${check.passed ? 'PASS' : 'FAIL'} ${check.name}`);
  await intake.close();
  await producer.close();
  await killable?.kill();
  await stack.close();
  await Promise.all([proxy.close(), recorder.close(), receiver.close()]);
  options.log(`closed at ${(elapsed() / 1000).toFixed(1)} s`);
  return {
    seed: options.seed,
    jobs: options.jobs,
    durationMs: elapsed(),
    runMs,
    injected,
    checks,
    errorEvents,
  };
}

async function listAll(stack: LocalStack, queue: QueueName): Promise<DeadLetter[]> {
  const all: DeadLetter[] = [];
  let from: string | undefined;
  do {
    const page = await stack.services.deadLetters.list(queue, {
      limit: 100,
      ...(from === undefined ? {} : { fromSequenceNumber: from }),
    });
    all.push(...page.deadLetters);
    from = page.next;
  } while (from !== undefined);
  return all;
}

/** The counts as lines: what was injected, then each check with its counts and evidence. */
export function formatResult(result: ChaosResult): string[] {
  const lines = [
    `chaos: ${result.jobs} jobs, seed ${result.seed}, ${(result.durationMs / 1000).toFixed(1)} s (run ${(result.runMs / 1000).toFixed(1)} s, then closing)`,
    `injected: ${Object.entries(result.injected)
      .map(([what, n]) => `${what} ${n}`)
      .join('; ')}`,
  ];
  for (const check of result.checks) {
    const counts = Object.entries(check.counts)
      .map(([what, n]) => `${what} ${n}`)
      .join(', ');
    lines.push(`${check.passed ? 'PASS' : 'FAIL'} ${check.name}: ${counts}`);
    for (const evidence of check.evidence) lines.push(`    ${evidence}`);
  }
  const errors = Object.entries(result.errorEvents);
  if (errors.length > 0)
    lines.push(`error events (main instance): ${errors.map(([e, n]) => `${e} ${n}`).join(', ')}`);
  return lines;
}
