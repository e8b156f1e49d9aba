/**
 * The end-of-run checks of a chaos run, as pure functions of what was observed: each returns counts to
 * print and the evidence of every violation (job ids, statuses, figures), never a bare boolean.
 */
import type { ReceivedWebhook } from '../../local/webhook-receiver/index.js';
import type { DeadLetter } from '../../shared/messaging/dead-letters.js';
import type { ModelCall } from './model-recorder.js';
import type { JobPlan } from './plan.js';

export const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'expired']);

export interface JobView {
  readonly id: string;
  readonly status: string;
  readonly attempts?: number;
  readonly usage?: {
    readonly promptTokens: number;
    readonly completionTokens: number;
    readonly totalTokens: number;
    readonly unseenCalls?: number;
    readonly costUsd?: number;
  };
  readonly error?: { readonly code: string; readonly message?: string };
}

export interface JobRecord {
  readonly plan: JobPlan;
  readonly id: string;
  /** HTTP: answered 202/200 (after client retries); intake: the message was sent. */
  accepted: boolean;
  /** Every answer to the submission, retries included. */
  readonly submitStatuses: number[];
  /** The answer to the racing cancel, when one was sent. */
  cancelStatus?: number;
  /** The first terminal status seen, and when (ms since the run started). */
  terminal?: { readonly status: string; readonly atMs: number };
  /** Statuses seen after the first terminal one that differ from it. */
  readonly flips: string[];
  /** The last read: undefined when the job was not found. */
  final?: JobView;
}

export interface CheckResult {
  readonly name: string;
  readonly passed: boolean;
  readonly counts: Record<string, number | string>;
  /** Up to 20 pieces of evidence per failing check. */
  readonly evidence: string[];
}

function result(name: string, counts: CheckResult['counts'], evidence: string[]): CheckResult {
  return { name, passed: evidence.length === 0, counts, evidence: evidence.slice(0, 20) };
}

export function checkTerminal(jobs: readonly JobRecord[], boundMs: number): CheckResult {
  const accepted = jobs.filter((job) => job.accepted);
  const byStatus: Record<string, number> = {};
  const late: string[] = [];
  for (const job of accepted) {
    const status = job.final?.status ?? 'missing';
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    // Why jobs failed, so a run where the faults or the box's load failed most of them shows it.
    if (status === 'failed') {
      const code = `failed:${job.final?.error?.code ?? '?'}`;
      byStatus[code] = (byStatus[code] ?? 0) + 1;
    }
    if (!job.terminal || !TERMINAL.has(status))
      late.push(`${job.id} (${job.plan.via}) still ${status} after ${boundMs} ms`);
  }
  return result(
    'every job terminal within the bound',
    { accepted: accepted.length, boundMs, ...byStatus },
    late,
  );
}

export function checkNoneLost(
  jobs: readonly JobRecord[],
  badIntake: ReadonlyArray<{ readonly messageId: string; readonly expectedReason: string }>,
  intakeDeadLetters: readonly DeadLetter[],
): CheckResult {
  const lost: string[] = [];
  let http = 0;
  let intake = 0;
  let refused = 0;
  for (const job of jobs) {
    if (!job.accepted) {
      refused += 1;
      continue;
    }
    if (job.plan.via === 'http') http += 1;
    else intake += 1;
    if (!job.final)
      lost.push(`${job.id}: ${job.plan.via} submission accepted (${job.submitStatuses.join(',')}), no job`);
  }
  let deadLettered = 0;
  for (const bad of badIntake) {
    const found = intakeDeadLetters.find((d) => d.messageId === bad.messageId);
    if (found?.reason === bad.expectedReason) deadLettered += 1;
    else lost.push(`intake message ${bad.messageId}: no dead letter with ${bad.expectedReason}`);
  }
  return result(
    'none lost',
    {
      httpAccepted: http,
      intakeSent: intake,
      httpNeverAccepted: refused,
      badIntakeSent: badIntake.length,
      badIntakeDeadLettered: deadLettered,
    },
    lost,
  );
}

export function checkOneTerminalState(
  jobs: readonly JobRecord[],
  webhooks: readonly ReceivedWebhook[],
): CheckResult {
  const evidence: string[] = [];
  let cancelsAnswered200 = 0;
  for (const job of jobs) {
    if (job.flips.length > 0)
      evidence.push(`${job.id}: seen ${job.terminal?.status ?? '?'}, later ${job.flips.join(', ')}`);
    const last = job.final?.status;
    if (job.terminal && last !== undefined && last !== job.terminal.status && job.flips.length === 0)
      evidence.push(`${job.id}: seen ${job.terminal.status}, finally ${last}`);
    if (job.cancelStatus === 200) {
      cancelsAnswered200 += 1;
      if (last !== 'cancelled')
        evidence.push(`${job.id}: cancel answered 200, job ended ${last ?? 'missing'}`);
    }
  }
  // The events a job's webhooks announced: two different terminal events would be two terminal states.
  const terminalEvents = new Map<string, Set<string>>();
  for (const hook of webhooks) {
    const event = hook.event as { type?: string; data?: { jobId?: string; status?: string } } | undefined;
    const jobId = event?.data?.jobId;
    if (!jobId || !event?.data?.status || !TERMINAL.has(event.data.status)) continue;
    const seen = terminalEvents.get(jobId) ?? new Set<string>();
    seen.add(event.data.status);
    terminalEvents.set(jobId, seen);
  }
  const finals = new Map(jobs.map((job) => [job.id, job.final?.status]));
  let eventsDisagreeing = 0;
  for (const [jobId, statuses] of terminalEvents) {
    const final = finals.get(jobId);
    if (statuses.size > 1 || (final !== undefined && !statuses.has(final))) {
      eventsDisagreeing += 1;
      evidence.push(`${jobId}: webhooks announced ${[...statuses].join(' and ')}, job is ${final ?? '?'}`);
    }
  }
  return result(
    'exactly one terminal state per job',
    {
      statusFlips: jobs.filter((job) => job.flips.length > 0).length,
      cancelsAnswered200,
      cancelsAnswered409: jobs.filter((job) => job.cancelStatus === 409).length,
      jobsWithTerminalWebhooks: terminalEvents.size,
      webhookEventsDisagreeing: eventsDisagreeing,
    },
    evidence,
  );
}

/**
 * A charge is a completion the model returned. One job attempt ends at its first completion (it moves
 * on to postprocess), so a job charged more often than it counts attempts paid twice for one; and every
 * charge must be on the job's recorded usage, or usage totals under-report what the tenant was billed.
 * The exceptions the platform cannot avoid: a call answered after its instance was killed (or killed
 * before keeping the answer) is charged with nobody left to see it, and so is a call answered as the
 * platform's timeout gave up on it. Such calls must be counted as attempts and flagged on the job
 * (usage.unseenCalls: calls that may have been charged); the tokens missing from the job must then be
 * those of at most that many of its charges (a timed-out call the model never answered is flagged too).
 */
export function checkModelCharges(
  jobs: readonly JobRecord[],
  calls: readonly ModelCall[],
  startedAt: number,
): CheckResult {
  const perJob = new Map<string, ModelCall[]>();
  for (const call of calls) {
    if (!call.jobKey) continue;
    const list = perJob.get(call.jobKey) ?? [];
    list.push(call);
    perJob.set(call.jobKey, list);
  }
  const evidence: string[] = [];
  let charged = 0;
  let doubleCharged = 0;
  let unrecorded = 0;
  let callsBeyondAttempts = 0;
  let chargedTokens = 0;
  let recordedTokens = 0;
  let unseenCalls = 0;
  let unseenTokens = 0;
  for (const job of jobs) {
    const jobCalls = perJob.get(job.plan.key) ?? [];
    const charges = jobCalls.filter((call) => call.usage);
    const tokens = charges.reduce(
      (sum, call) => sum + (call.usage?.promptTokens ?? 0) + (call.usage?.completionTokens ?? 0),
      0,
    );
    const recorded = job.final?.usage?.totalTokens ?? 0;
    const unseen = job.final?.usage?.unseenCalls ?? 0;
    chargedTokens += tokens;
    recordedTokens += recorded;
    unseenCalls += unseen;
    charged += charges.length;
    // Calls that reached the model (not turned away by quota) against the attempts the job counted.
    const reached = jobCalls.filter((call) => call.outcome !== 429).length;
    if (job.final?.attempts !== undefined && reached > job.final.attempts) callsBeyondAttempts += 1;
    const timeline = jobCalls
      .map((c) => `${c.outcome}@${((c.at - startedAt) / 1000).toFixed(1)}s`)
      .join(', ');
    const ending = `${job.final?.status ?? '?'}${job.final?.error ? ` ${job.final.error.code}` : ''}`;
    if (charges.length > Math.max(1, job.final?.attempts ?? 1)) {
      doubleCharged += 1;
      evidence.push(
        `${job.id}: ${charges.length} completions charged (attempts ${job.final?.attempts ?? '?'}, ` +
          `status ${ending}, calls ${timeline})`,
      );
    }
    const chargeTokens = charges.map(
      (call) => (call.usage?.promptTokens ?? 0) + (call.usage?.completionTokens ?? 0),
    );
    const missing = tokens - recorded;
    if (missing > 0 && someUpTo(unseen, (count) => someSumTo(chargeTokens, count, missing))) {
      unseenTokens += tokens - recorded;
    } else if (tokens !== recorded) {
      unrecorded += 1;
      evidence.push(
        `${job.id}: model charged ${tokens} tokens, job records ${recorded} (status ${ending}, ` +
          `attempts ${job.final?.attempts ?? '?'}, calls ${timeline})`,
      );
    }
  }
  return result(
    'at most one model charge per job attempt, each recorded or flagged unseen',
    {
      modelCalls: calls.length,
      charged,
      doubleCharged,
      chargesNotMatchingUsage: unrecorded,
      chargedTokens,
      recordedTokens,
      unseenCalls,
      unseenTokens,
      jobsWithMoreCallsThanAttempts: callsBeyondAttempts,
    },
    evidence,
  );
}

function someUpTo(max: number, test: (count: number) => boolean): boolean {
  for (let count = 1; count <= max; count += 1) if (test(count)) return true;
  return false;
}

/** Whether exactly `count` of `values` add up to `sum` (a job has a handful of charges at most). */
function someSumTo(values: readonly number[], count: number, sum: number): boolean {
  if (count === 0) return sum === 0;
  return values.some((value, index) => someSumTo(values.slice(index + 1), count - 1, sum - value));
}

export function checkWebhookIds(webhooks: readonly ReceivedWebhook[]): CheckResult {
  const ids = new Map<string, Set<string>>();
  let unverified = 0;
  for (const hook of webhooks) {
    if (hook.verificationError) unverified += 1;
    const event = hook.event as { type?: string; data?: { jobId?: string } } | undefined;
    const key = `${event?.data?.jobId ?? '?'} ${event?.type ?? '?'}`;
    const set = ids.get(key) ?? new Set<string>();
    set.add(String(hook.headers['webhook-id']));
    ids.set(key, set);
  }
  const evidence = [...ids]
    .filter(([, set]) => set.size > 1)
    .map(([key, set]) => `${key}: ${[...set].join(' ')}`);
  if (unverified > 0) evidence.push(`${unverified} deliveries failed signature verification`);
  const events = ids.size;
  return result(
    'every webhook duplicate carries the same webhook-id',
    { deliveries: webhooks.length, events, duplicates: webhooks.length - events, unverified },
    evidence,
  );
}

export interface UsageTotals {
  readonly jobs: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
  readonly costUsd: number;
}

export function checkUsage(jobs: readonly JobRecord[], reported: UsageTotals): CheckResult {
  const withUsage = jobs.filter((job) => job.final?.usage && TERMINAL.has(job.final.status));
  const sum = (pick: (usage: NonNullable<JobView['usage']>) => number) =>
    withUsage.reduce((total, job) => total + (job.final?.usage ? pick(job.final.usage) : 0), 0);
  const expected: UsageTotals = {
    jobs: withUsage.length,
    promptTokens: sum((u) => u.promptTokens),
    completionTokens: sum((u) => u.completionTokens),
    totalTokens: sum((u) => u.totalTokens),
    costUsd: Math.round(sum((u) => u.costUsd ?? 0) * 1e8) / 1e8,
  };
  const evidence: string[] = [];
  for (const field of ['jobs', 'promptTokens', 'completionTokens', 'totalTokens'] as const)
    if (reported[field] !== expected[field])
      evidence.push(`${field}: /v1/usage says ${reported[field]}, the jobs sum to ${expected[field]}`);
  if (Math.abs(reported.costUsd - expected.costUsd) > 1e-6)
    evidence.push(`costUsd: /v1/usage says ${reported.costUsd}, the jobs sum to ${expected.costUsd}`);
  return result(
    'usage totals equal the sum over jobs',
    {
      jobsWithUsage: expected.jobs,
      totalTokens: expected.totalTokens,
      reportedTotalTokens: reported.totalTokens,
      costUsd: expected.costUsd,
    },
    evidence,
  );
}

/** Reasons our own code gives a dead letter that names no job (functions/queue/intake.ts). */
export const OWN_INTAKE_REASONS = new Set([
  'MissingTenant',
  'TenantNotAllowed',
  'InvalidIdempotencyKey',
  'IdempotencyConflict',
]);

export function checkDeadLetters(
  deadLetters: readonly DeadLetter[],
  jobs: readonly JobRecord[],
): CheckResult {
  const finals = new Map(jobs.map((job) => [job.id, job.final?.status]));
  const evidence: string[] = [];
  const byQueue: Record<string, number> = {};
  for (const letter of deadLetters) {
    byQueue[letter.queue] = (byQueue[letter.queue] ?? 0) + 1;
    const status = letter.jobId ? finals.get(letter.jobId) : undefined;
    const explained =
      (status !== undefined && TERMINAL.has(status)) || OWN_INTAKE_REASONS.has(letter.reason ?? '');
    if (!explained)
      evidence.push(
        `${letter.queue} #${letter.sequenceNumber} ${letter.messageId}: ${letter.reason ?? 'no reason'} ` +
          `(${letter.description ?? ''}), job ${letter.jobId ?? 'none'} ${status ?? ''}`,
      );
  }
  return result('no dead letter left unexplained', { deadLetters: deadLetters.length, ...byQueue }, evidence);
}
