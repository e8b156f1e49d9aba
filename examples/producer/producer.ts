/**
 * Example producer: submits prompts with the typed client (`@prompt-pipeline/client`, here from the
 * repository's clients/typescript), waits for each job, prints the answers and what they cost.
 *
 * What a producer should do:
 * 1. Give each job an Idempotency-Key derived from what it is for (an order id, a document hash): a retry
 *    after a timeout then finds the job it already created (`created: false`) instead of paying twice.
 * 2. Handle refusals by status: 400 names the fields (`problem.errors`), 429 says when to come back
 *    (Retry-After), 5xx is safe to retry with the same key.
 * 3. Wait without hammering the API: `waitForJob` long-polls (`GET /v1/jobs/{id}?wait=60`, answered as
 *    soon as the job ends), `jobEvents` follows its event stream; or register a webhook endpoint instead.
 */
import { createHash } from 'node:crypto';
import { createClient, PromptPipelineError, type Job } from '../../clients/typescript/src/index.js';

export interface ProducerOptions {
  /** The API's base, with `/api`: `http://127.0.0.1:7071/api` for `npm start`. */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly model?: string;
}

/** Submits one job per prompt (keyed by the prompt's hash), then waits for all of them. */
export async function runPrompts(options: ProducerOptions, prompts: readonly string[]): Promise<Job[]> {
  const client = createClient({ baseUrl: options.baseUrl, apiKey: options.apiKey });
  const submitted = await Promise.all(
    prompts.map((prompt) =>
      client.submitJob(
        {
          model: options.model ?? 'gpt-4o-mini',
          messages: [{ role: 'user', content: prompt }],
          max_tokens: 256,
          metadata: { source: 'example-producer' },
        },
        { idempotencyKey: `example-${createHash('sha256').update(prompt).digest('hex').slice(0, 32)}` },
      ),
    ),
  );
  return Promise.all(submitted.map(({ job }) => client.waitForJob(job.id, { timeoutMs: 300_000 })));
}

/** `PP_API_URL=... PP_API_KEY=... node dist/examples/producer/producer.js "prompt" ["prompt" ...]` */
async function main(): Promise<void> {
  // eslint-disable-next-line no-restricted-properties -- an example program, not platform code: env is its config.
  const env = process.env;
  const prompts = process.argv.slice(2);
  if (!env.PP_API_KEY || prompts.length === 0) {
    throw new Error('Set PP_API_KEY (and PP_API_URL) and pass one or more prompts as arguments');
  }
  try {
    const jobs = await runPrompts(
      { baseUrl: env.PP_API_URL ?? 'http://127.0.0.1:7071/api', apiKey: env.PP_API_KEY },
      prompts,
    );
    for (const job of jobs) {
      const answer = job.result?.content ?? job.error?.message ?? '';
      console.log(`${job.id} ${job.status} $${job.usage?.costUsd ?? 0}: ${answer}`);
    }
  } catch (error) {
    if (!(error instanceof PromptPipelineError)) throw error;
    const fields = error.problem?.errors?.map((e) => `${e.field}: ${e.message}`).join('; ') ?? '';
    console.error(`${error.message}${fields ? ` (${fields})` : ''} [trace ${error.traceId ?? '-'}]`);
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
