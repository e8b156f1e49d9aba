/**
 * Azure OpenAI Global Batch jobs: `validating → in_progress → finalizing → completed`, or `failed` (a bad
 * file, or the deployment's enqueued-token limit: `token_limit_exceeded`), `expired` (the completion
 * window closed first), `cancelling → cancelled`. Lines are answered progressively over `processingMs`,
 * so a cancel or an expiry keeps what was done; output and error files have OpenAI's line shape. Time is
 * configurable (`GlobalBatchTiming`) so tests see a "24h" window close in seconds.
 */
import { randomBytes } from 'node:crypto';
import { BatchLineAnswers, type LineAnswer } from './batch-answers.js';
import { parseBatchInput, type BatchLine, type InputError } from './batch-input.js';
import type { SimulatedFiles } from './batch-files.js';
import type { PendingTimers } from './http.js';
import type { GlobalBatchStats, GlobalBatchTiming } from './types.js';

export const DEFAULT_GLOBAL_BATCH_TIMING: GlobalBatchTiming = {
  validatingMs: 200,
  processingMs: 1_000,
  finalizingMs: 200,
  cancellingMs: 100,
  windowMs: 86_400_000,
};

export interface BatchDeployment {
  readonly name: string;
  readonly model: string;
  /** The deployment's enqueued-token quota: prompt tokens of its batches not yet finished. */
  readonly enqueuedTokens: number;
}

type Status =
  | 'validating'
  | 'failed'
  | 'in_progress'
  | 'finalizing'
  | 'completed'
  | 'expired'
  | 'cancelling'
  | 'cancelled';

interface Job {
  readonly id: string;
  readonly inputFileId: string;
  readonly endpoint: string;
  readonly completionWindow: string;
  readonly metadata: Record<string, string> | null;
  readonly createdAt: number;
  status: Status;
  lines: BatchLine[];
  deployment?: BatchDeployment;
  enqueuedTokens: number;
  answers: Array<{ line: BatchLine; answer: LineAnswer }>;
  errors: InputError[] | null;
  stamps: Partial<Record<'in_progress_at' | 'finalizing_at' | 'completed_at' | 'failed_at', number>> &
    Partial<Record<'expired_at' | 'cancelling_at' | 'cancelled_at', number>>;
  outputFileId: string | null;
  errorFileId: string | null;
}

const TICK_MS = 50;
const seconds = (ms: number) => Math.floor(ms / 1000);

export class SimulatedBatches {
  private readonly jobs = new Map<string, Job>();
  readonly stats: GlobalBatchStats = emptyBatchStats();
  timing: GlobalBatchTiming = DEFAULT_GLOBAL_BATCH_TIMING;

  constructor(
    private readonly files: SimulatedFiles,
    private readonly answers: BatchLineAnswers,
    private readonly timers: PendingTimers,
    private readonly deploymentNamed: (name: string) => BatchDeployment | undefined,
  ) {}

  create(input: Record<string, unknown>): Job {
    const text = (key: string) => (typeof input[key] === 'string' ? input[key] : '');
    const file = this.files.get(text('input_file_id'));
    if (!file) throw new Error(`File with id ${text('input_file_id')} not found.`);
    const endpoint = text('endpoint');
    if (!['/chat/completions', '/v1/chat/completions'].includes(endpoint)) {
      throw new Error(`The endpoint ${endpoint} is not supported.`);
    }
    if (input['completion_window'] !== '24h') throw new Error('The completion_window must be 24h.');
    const job: Job = {
      id: `batch_${randomBytes(16).toString('hex')}`,
      inputFileId: file.id,
      endpoint,
      completionWindow: '24h',
      metadata: (input['metadata'] as Record<string, string> | undefined) ?? null,
      createdAt: Date.now(),
      status: 'validating',
      lines: [],
      enqueuedTokens: 0,
      answers: [],
      errors: null,
      stamps: {},
      outputFileId: null,
      errorFileId: null,
    };
    this.jobs.set(job.id, job);
    this.stats.created += 1;
    this.timers.later(this.timing.validatingMs, () => this.validate(job, file.content));
    return job;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  list(): Job[] {
    return [...this.jobs.values()].sort((a, b) => b.createdAt - a.createdAt);
  }

  cancel(job: Job): void {
    if (!['validating', 'in_progress', 'finalizing'].includes(job.status)) return;
    job.status = 'cancelling';
    job.stamps.cancelling_at = Date.now();
    this.timers.later(this.timing.cancellingMs, () => this.finish(job, 'cancelled'));
  }

  private validate(job: Job, content: string): void {
    if (job.status !== 'validating') return;
    const parsed = parseBatchInput(content, job.endpoint, this.deploymentNamed);
    if ('errors' in parsed) return this.fail(job, parsed.errors);
    const tokens = parsed.lines.reduce((sum, line) => sum + BatchLineAnswers.promptTokensOf(line.body), 0);
    const limit = parsed.deployment.enqueuedTokens;
    if (this.enqueuedOn(parsed.deployment.name) + tokens > limit) {
      this.stats.tokenLimitRefusals += 1;
      return this.fail(job, [
        {
          code: 'token_limit_exceeded',
          message:
            `The number of enqueued tokens has surpassed the configured limit of ${limit} for the deployment ` +
            `'${parsed.deployment.name}'. Please either increase the limit or try again once the current jobs have finished.`,
          line: null,
          param: null,
        },
      ]);
    }
    Object.assign(job, { lines: parsed.lines, deployment: parsed.deployment, enqueuedTokens: tokens });
    job.status = 'in_progress';
    job.stamps.in_progress_at = Date.now();
    this.timers.later(TICK_MS, () => this.progress(job));
  }

  /** Answers the lines due by now; expires the batch when its window closed first. */
  private progress(job: Job): void {
    if (job.status !== 'in_progress') return;
    const now = Date.now();
    const startedAt = job.stamps.in_progress_at ?? now;
    const due = Math.min(
      job.lines.length,
      Math.floor((job.lines.length * (now - startedAt)) / Math.max(1, this.timing.processingMs)),
    );
    while (job.answers.length < due) {
      const line = job.lines[job.answers.length]!;
      const deployment = job.deployment!;
      job.answers.push({ line, answer: this.answers.answer(line.body, deployment.name, deployment.model) });
      this.stats.linesAnswered += 1;
    }
    if (job.answers.length === job.lines.length) {
      job.status = 'finalizing';
      job.stamps.finalizing_at = now;
      this.timers.later(this.timing.finalizingMs, () => this.finish(job, 'completed'));
      return;
    }
    if (now - job.createdAt >= this.timing.windowMs) return this.finish(job, 'expired');
    this.timers.later(TICK_MS, () => this.progress(job));
  }

  private fail(job: Job, errors: InputError[]): void {
    job.status = 'failed';
    job.errors = errors;
    job.stamps.failed_at = Date.now();
    this.stats.failed += 1;
  }

  private finish(job: Job, status: 'completed' | 'expired' | 'cancelled'): void {
    if (status === 'completed' && job.status !== 'finalizing') return;
    const answered = new Set(job.answers.map((a) => a.line.customId));
    const unfinished = job.lines.filter((line) => !answered.has(line.customId));
    const output: string[] = [];
    const errors: string[] = [];
    for (const { line, answer } of job.answers) {
      const entry = {
        id: `batch_req_${randomBytes(12).toString('hex')}`,
        custom_id: line.customId,
        response: {
          status_code: answer.statusCode,
          request_id: randomBytes(16).toString('hex'),
          body: answer.body,
        },
        error: null,
      };
      (answer.statusCode === 200 ? output : errors).push(JSON.stringify(entry));
    }
    const code = status === 'cancelled' ? 'batch_cancelled' : 'batch_expired';
    const message =
      status === 'cancelled'
        ? 'This request was not executed because the batch was cancelled.'
        : 'This request could not be executed before the completion window expired.';
    for (const line of unfinished) {
      const entry = { id: `batch_req_${randomBytes(12).toString('hex')}`, custom_id: line.customId };
      errors.push(JSON.stringify({ ...entry, response: null, error: { code, message } }));
    }
    if (output.length > 0) job.outputFileId = this.outputFile(job, output).id;
    if (errors.length > 0) job.errorFileId = this.outputFile(job, errors).id;
    job.status = status;
    job.stamps[
      status === 'completed' ? 'completed_at' : status === 'expired' ? 'expired_at' : 'cancelled_at'
    ] = Date.now();
    job.enqueuedTokens = 0;
    this.stats[status] += 1;
  }

  private outputFile(job: Job, lines: string[]) {
    return this.files.add(`${job.id}_output.jsonl`, 'batch_output', `${lines.join('\n')}\n`);
  }

  private enqueuedOn(deployment: string): number {
    let sum = 0;
    for (const job of this.jobs.values()) {
      if (job.deployment?.name === deployment && !isTerminal(job.status)) sum += job.enqueuedTokens;
    }
    return sum;
  }
}

function isTerminal(status: Status): boolean {
  return ['failed', 'completed', 'expired', 'cancelled'].includes(status);
}

export function emptyBatchStats(): GlobalBatchStats {
  return {
    created: 0,
    completed: 0,
    failed: 0,
    expired: 0,
    cancelled: 0,
    tokenLimitRefusals: 0,
    linesAnswered: 0,
  };
}

/** The Batch object as Azure OpenAI returns it (OpenAI's fields; times in Unix seconds). */
export function toBatchObject(job: Job): Record<string, unknown> {
  const answered = job.answers;
  const ok = answered.filter((a) => a.answer.statusCode === 200).length;
  const terminal = isTerminal(job.status);
  const total = job.lines.length;
  const stamp = (ms: number | undefined) => (ms === undefined ? null : seconds(ms));
  return {
    id: job.id,
    object: 'batch',
    endpoint: job.endpoint,
    errors: job.errors ? { object: 'list', data: job.errors } : null,
    input_file_id: job.inputFileId,
    completion_window: job.completionWindow,
    status: job.status,
    output_file_id: job.outputFileId,
    error_file_id: job.errorFileId,
    created_at: seconds(job.createdAt),
    in_progress_at: stamp(job.stamps.in_progress_at),
    expires_at: seconds(job.createdAt) + 86_400,
    finalizing_at: stamp(job.stamps.finalizing_at),
    completed_at: stamp(job.stamps.completed_at),
    failed_at: stamp(job.stamps.failed_at),
    expired_at: stamp(job.stamps.expired_at),
    cancelling_at: stamp(job.stamps.cancelling_at),
    cancelled_at: stamp(job.stamps.cancelled_at),
    request_counts: { total, completed: ok, failed: terminal ? total - ok : answered.length - ok },
    metadata: job.metadata,
  };
}
