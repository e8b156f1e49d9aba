/**
 * Producer commands on jobs: submit (from flags or a JSON file), get, wait (a spinner showing where the
 * job is, following its event stream), list, cancel, usage.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { createSpinner } from 'nanospinner';
import type { Job, PromptPipelineClient, SubmitChatJobRequest } from '../index.js';
import { action, interactive, printJson, printRecord, printTable, type Output } from './output.js';
import { clientFrom, type GlobalOptions } from './settings.js';

type Options = GlobalOptions & Record<string, string | string[] | boolean | undefined>;
const globals = (command: Command): Options => command.optsWithGlobals<Options>();

/** A job for people: what it is and how it ended. */
export function printJob(job: Job, output: Output): void {
  if (output.json) return printJson(job);
  printRecord({
    id: job.id,
    status: job.status,
    model: job.model,
    created: job.createdAt,
    completed: job.completedAt,
    attempts: job.attempts,
    tokens: job.usage ? `${job.usage.promptTokens} in, ${job.usage.completionTokens} out` : undefined,
    cost: job.usage ? `$${job.usage.costUsd}` : undefined,
    error: job.error ? `${job.error.code}: ${job.error.message}` : undefined,
    trace: job.traceId,
  });
  if (job.result?.content) process.stdout.write(`\n${job.result.content}\n`);
}

async function readJson(path: string): Promise<unknown> {
  const text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
  return JSON.parse(text) as unknown;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function metadataOf(pairs: readonly string[]): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) throw new Error(`--metadata wants key=value, got "${pair}"`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

async function requestOf(prompt: string | undefined, options: Options): Promise<SubmitChatJobRequest> {
  const base = options.file ? ((await readJson(String(options.file))) as Partial<SubmitChatJobRequest>) : {};
  const messages = [
    ...(options.system ? [{ role: 'system' as const, content: String(options.system) }] : []),
    ...(prompt !== undefined ? [{ role: 'user' as const, content: prompt }] : []),
  ];
  const metadata = metadataOf((options.metadata as string[] | undefined) ?? []);
  const request = {
    ...base,
    model: (options.model as string | undefined) ?? base.model ?? 'gpt-4o-mini',
    messages: messages.length > 0 ? [...(base.messages ?? []), ...messages] : (base.messages ?? []),
    ...(options.maxTokens !== undefined ? { max_tokens: Number(options.maxTokens) } : {}),
    ...(metadata ? { metadata: { ...base.metadata, ...metadata } } : {}),
  };
  if (request.messages.length === 0)
    throw new Error('Nothing to send: pass a prompt or --file with messages.');
  return request;
}

/** Follows the job's events to its result; a spinner shows its status and how long it has been. */
export async function waitWithSpinner(
  client: PromptPipelineClient,
  jobId: string,
  output: Output,
): Promise<Job> {
  const spinner = interactive(output)
    ? createSpinner(`${jobId}: waiting`, { stream: process.stderr }).start()
    : undefined;
  const started = Date.now();
  let status = 'queued';
  const tick = setInterval(() => {
    spinner?.update({ text: `${jobId}: ${status} (${Math.round((Date.now() - started) / 1000)} s)` });
  }, 250);
  try {
    for await (const event of client.jobEvents(jobId)) {
      if (event.type === 'status') status = event.status.status;
      else {
        if (event.job.status === 'succeeded') spinner?.success({ text: `${jobId}: succeeded` });
        else spinner?.error({ text: `${jobId}: ${event.job.status}` });
        return event.job;
      }
    }
    throw new Error(`The event stream of ${jobId} ended without a result.`);
  } catch (error) {
    spinner?.stop();
    throw error;
  } finally {
    clearInterval(tick);
  }
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function jobCommands(program: Command): void {
  program
    .command('submit')
    .description('Submit a job: a prompt, and/or a JSON request (--file, - for stdin)')
    .argument('[prompt]', 'the user message')
    .option('-f, --file <path>', 'a SubmitJob JSON body (model, messages, tools, ...)')
    .option('-m, --model <alias>', 'model alias (default gpt-4o-mini)')
    .option('-s, --system <text>', 'a system message before the prompt')
    .option('--max-tokens <n>', 'completion token limit')
    .option('--metadata <key=value>', 'metadata, repeatable', collect)
    .option('-k, --idempotency-key <key>', 'names the job: a repeat returns the same job')
    .option('-w, --wait', 'wait for the result')
    .action(
      action(async (prompt: string | undefined, _options: unknown, command: Command) => {
        const options = globals(command);
        const client = clientFrom(options);
        const output = { json: options.json === true };
        const key = options.idempotencyKey as string | undefined;
        const { job, created } = await client.submitJob(
          await requestOf(prompt, options),
          key ? { idempotencyKey: key } : {},
        );
        if (options.wait) return printJob(await waitWithSpinner(client, job.id, output), output);
        if (output.json) return printJson({ ...job, created });
        process.stdout.write(`${job.id} ${created ? 'accepted' : 'already submitted'} (${job.status})\n`);
      }),
    );

  program
    .command('get')
    .description('Read a job')
    .argument('<id>')
    .option('--wait <seconds>', 'long poll: answer when it ends, or after this long (at most 60)')
    .action(
      action(async (id: string, _options: unknown, command: Command) => {
        const options = globals(command);
        const wait = options.wait === undefined ? {} : { wait: Number(options.wait) };
        printJob(await clientFrom(options).getJob(id, wait), { json: options.json === true });
      }),
    );

  program
    .command('wait')
    .description('Wait for a job to end, showing its status; exits 1 unless it succeeded')
    .argument('<id>')
    .action(
      action(async (id: string, _options: unknown, command: Command) => {
        const options = globals(command);
        const output = { json: options.json === true };
        const job = await waitWithSpinner(clientFrom(options), id, output);
        printJob(job, output);
        if (job.status !== 'succeeded') process.exitCode = 1;
      }),
    );

  program
    .command('list')
    .description("List the tenant's jobs, newest first")
    .option('--status <status>', 'queued, succeeded, failed, cancelled or expired')
    .option('--limit <n>', 'page size (1-100)', '25')
    .option('--continuation-token <token>', 'the next page, as the previous one printed it')
    .action(
      action(async (_options: unknown, command: Command) => {
        const options = globals(command);
        const page = await clientFrom(options).listJobs({
          limit: Number(options.limit),
          ...(options.status ? { status: options.status as Job['status'] } : {}),
          ...(options.continuationToken ? { continuationToken: String(options.continuationToken) } : {}),
        });
        if (options.json) return printJson(page);
        printTable(
          ['id', 'status', 'model', 'created', 'cost'],
          page.jobs.map((job) => [job.id, job.status, job.model, job.createdAt, job.usage?.costUsd]),
        );
        if (page.continuationToken)
          process.stdout.write(`next: --continuation-token '${page.continuationToken}'\n`);
      }),
    );

  program
    .command('cancel')
    .description('Cancel a queued job')
    .argument('<id>')
    .action(
      action(async (id: string, _options: unknown, command: Command) => {
        const options = globals(command);
        printJob(await clientFrom(options).cancelJob(id), { json: options.json === true });
      }),
    );

  program
    .command('usage')
    .description("The tenant's tokens and cost (--daily: per day and model)")
    .option('--since <time>', 'ISO 8601 (a date with --daily)')
    .option('--until <time>', 'ISO 8601 (a date with --daily)')
    .option('--daily', 'daily rollups (needs --since)')
    .action(
      action(async (_options: unknown, command: Command) => {
        const options = globals(command);
        const client = clientFrom(options);
        const range = {
          ...(options.since ? { since: String(options.since) } : {}),
          ...(options.until ? { until: String(options.until) } : {}),
        };
        if (options.daily) {
          if (!range.since) throw new Error('--daily needs --since YYYY-MM-DD');
          const daily = await client.getDailyUsage({ ...range, since: range.since });
          if (options.json) return printJson(daily);
          return printTable(
            ['day', 'model', 'status', 'jobs', 'tokens', 'cost'],
            daily.days.flatMap((day) =>
              day.rows.map((m) => [day.day, m.model, m.status, m.jobs, m.totalTokens, m.costUsd]),
            ),
          );
        }
        const usage = await client.getUsage(range);
        if (options.json) return printJson(usage);
        printRecord(usage);
      }),
    );
}
