/**
 * A mixed load of several tenants and priorities through one model client (our pacer and fair scheduler)
 * into one simulated deployment, as the invoke stage runs it: an in-process FIFO queue stands in for the
 * shared invoke queue, 16 consumers (Functions' maxConcurrentCalls) take jobs from it, and a job held
 * back or paced returns to the end of the queue after its delay, as its scheduled message would. Time is
 * compressed as in the model quota benchmark (3 s windows).
 *
 * Per job it records when it was submitted and when the call that answered it started (its queue wait),
 * and the tokens charged (prompt + max_tokens), so shares and waits can be read per tenant and priority.
 */
import { startModelSimulator } from '../../local/model-simulator/index.js';
import type { ChatRequest } from '../../shared/jobs/schema.js';
import { decideModelRetry } from '../../shared/model/attempt-policy.js';
import type { CallScheduling } from '../../shared/model/port.js';
import { quotaCost } from '../../shared/model/tokens.js';
import { benchModelClient, benchSimulatorOptions } from './bench-model.js';

export interface LoadStream {
  readonly tenantId: string;
  readonly priority: CallScheduling['priority'];
  readonly weight?: number;
  /** Submission rate as a multiple of the deployment's quota. */
  readonly loadFactor: number;
  /** Each job must have been called within this long of its submission (its deadline). */
  readonly deadlineMs?: number;
}

export interface LoadJob {
  readonly tenantId: string;
  readonly priority: string;
  readonly tokens: number;
  readonly submittedAt: number;
  readonly deadlineAt?: number;
  calledAt?: number;
  failed?: string;
}

export interface LoadSettings {
  readonly tpm: number;
  readonly windowMs: number;
  /** Submissions last this long; the run lasts `runMs` (at least as long). */
  readonly submitMs: number;
  readonly runMs: number;
  readonly concurrency: number;
  readonly maxTokens: number;
}

export const DEFAULT_LOAD: LoadSettings = {
  tpm: 360_000,
  // Compressed time: 12 s windows stand for the service's 60 s. With 3 s (BENCH_TENANT_WINDOW_MS=3000,
  // four times faster) each job is 1.5 % of a window, and room kept for a tenant's next jobs idled
  // 10-13 % of the quota while both tenants were backlogged; with 12 s, 0.2 % (docs/model-layer.md).
  windowMs: Number(process.env.BENCH_TENANT_WINDOW_MS) || 12_000,
  submitMs: 15_000,
  runMs: 15_000,
  concurrency: 16,
  maxTokens: 200,
};

export interface LoadResult {
  readonly jobs: LoadJob[];
  readonly startedAt: number;
  readonly throttled: number;
  readonly requests: number;
}

function request(id: number, maxTokens: number): ChatRequest {
  const detail = ' Keep names, dates and amounts exactly as written.'.repeat(1 + (id % 4));
  return {
    model: 'bench',
    messages: [
      { role: 'system', content: `You summarise documents for busy readers.${detail}` },
      { role: 'user', content: `Summarise document ${id} in three bullet points.` },
    ],
    max_tokens: maxTokens,
  };
}

interface Queued {
  readonly id: number;
  readonly job: LoadJob;
  readonly request: ChatRequest;
  readonly stream: LoadStream;
  attempt: number;
}

export async function runTenantLoad(
  streams: readonly LoadStream[],
  settings: LoadSettings,
): Promise<LoadResult> {
  const simulator = await startModelSimulator(benchSimulatorOptions(settings));
  const client = benchModelClient(simulator.url, settings, { deferralHorizonMs: 20 * settings.windowMs });
  const queue: Queued[] = [];
  const waiting: Array<(item: Queued | undefined) => void> = [];
  let closed = false;
  const push = (item: Queued): void => {
    if (closed) return;
    const waiter = waiting.shift();
    if (waiter) waiter(item);
    else queue.push(item);
  };
  const take = (): Promise<Queued | undefined> => {
    const item = queue.shift();
    if (item || closed) return Promise.resolve(item);
    return new Promise((resolve) => waiting.push(resolve));
  };
  const jobs: LoadJob[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const startedAt = Date.now();
  let nextId = 0;

  const worker = async (): Promise<void> => {
    for (;;) {
      const item = await take();
      if (!item) return;
      const { job, stream } = item;
      const deadlineAt = job.deadlineAt ?? startedAt + 24 * 3_600_000;
      const callStarted = Date.now();
      try {
        await client.complete(item.request, {
          jobId: String(item.id),
          tenantId: stream.tenantId,
          attempt: item.attempt,
          scheduling: { priority: stream.priority, weight: stream.weight ?? 1, deadlineAt },
        });
        job.calledAt = callStarted;
      } catch (error) {
        const decision = decideModelRetry(error, {
          attempt: item.attempt,
          maxAttempts: 8,
          deadlineAt,
          now: Date.now(),
        });
        if (decision.kind === 'fail') {
          job.failed = decision.reason;
          continue;
        }
        item.attempt = decision.nextAttempt;
        const timer = setTimeout(() => {
          timers.delete(timer);
          push(item);
        }, decision.delayMs);
        timers.add(timer);
      }
    }
  };

  // Evenly spaced arrivals per stream, at its multiple of the quota.
  const arrivals = streams.map((stream) => {
    const cost = quotaCost(request(0, settings.maxTokens), settings.maxTokens) + 15;
    const perMs = (stream.loadFactor * settings.tpm) / 60_000 / cost;
    let sent = 0;
    return () => {
      const elapsed = Math.min(Date.now() - startedAt, settings.submitMs);
      for (; sent < Math.floor(elapsed * perMs); sent += 1) {
        const id = nextId++;
        const body = request(id, settings.maxTokens);
        const now = Date.now();
        const job: LoadJob = {
          tenantId: stream.tenantId,
          priority: stream.priority,
          tokens: quotaCost(body, settings.maxTokens),
          submittedAt: now,
          ...(stream.deadlineMs !== undefined ? { deadlineAt: now + stream.deadlineMs } : {}),
        };
        jobs.push(job);
        push({ id, job, request: body, stream, attempt: 0 });
      }
    };
  });
  const arrivalTimer = setInterval(() => arrivals.forEach((arrive) => arrive()), 10);
  const workers = Array.from({ length: settings.concurrency }, () => worker());
  await new Promise((resolve) => setTimeout(resolve, settings.runMs));
  clearInterval(arrivalTimer);
  closed = true;
  for (const timer of timers) clearTimeout(timer);
  for (const waiter of waiting.splice(0)) waiter(undefined);
  queue.splice(0);
  await Promise.all(workers);
  const { throttled, requests } = simulator.stats().totals;
  client.close();
  await simulator.close();
  return { jobs, startedAt, throttled, requests };
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** Queue waits (ms) of the jobs of a tenant (and priority) submitted from `after` on that were called. */
export function waitsOf(jobs: readonly LoadJob[], tenantId?: string, priority?: string, after = 0): number[] {
  return jobs
    .filter((j) => j.submittedAt >= after)
    .filter(
      (j) =>
        (tenantId === undefined || j.tenantId === tenantId) &&
        (priority === undefined || j.priority === priority),
    )
    .filter((j) => j.calledAt !== undefined)
    .map((j) => j.calledAt! - j.submittedAt);
}

/** Tokens charged for calls a tenant started between `from` and `to` (ms since the start). */
export function tokensOf(result: LoadResult, tenantId: string, from: number, to: number): number {
  return result.jobs
    .filter((j) => j.tenantId === tenantId && j.calledAt !== undefined)
    .filter((j) => j.calledAt! - result.startedAt >= from && j.calledAt! - result.startedAt < to)
    .reduce((sum, j) => sum + j.tokens, 0);
}
