/**
 * Heavy input: the worst inputs a tenant may send within each limit, each run alone through
 * the whole local stack, beside an ordinary job in the same run. For each: the main thread's event-loop
 * busy time (performance.eventLoopUtilization: the dev host, every stage and the SDK clients run there;
 * the emulators and the heavy-work pool have threads of their own) and its longest single stall, then
 * `/api/health` latency sampled every 10 ms while the same input runs again.
 *
 *   node dist/bench/heavy-input.js
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { LocalStack } from '../local/stack.js';
import { createLogger } from '../shared/telemetry/logger.js';
import { OffThreadClient } from './lib/off-thread-client.js';
import { startBenchStack } from './lib/pipeline.js';
import { printPart, type PartResult } from './lib/report.js';
import { round, withBaseline, type BenchRow } from './lib/rows.js';
import { median, percentile } from './lib/stats.js';
import { worstSchemaRequest } from './lib/worst-schema.js';

const MiB = 1024 * 1024;
const EVENT_LOOP_MS_PER_MIB = 50;
const HEALTH_P99_MS = 100;

interface Input {
  readonly name: string;
  /** The JSON body, built once. */
  readonly body: string;
  /** What the submit should answer: 202 for a job, 400 for input over a limit. */
  readonly expect: 202 | 400;
}

const chat = (content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], max_tokens: 16, ...extra });

/** A body as close to the 1 MiB request limit as `unit` repeated allows. */
function fillToLimit(unit: string): string {
  const empty = chat('');
  const unitBytes = Buffer.byteLength(JSON.stringify(unit)) - 2;
  return chat(unit.repeat(Math.floor((MiB - empty.length - 64) / unitBytes)));
}

/** CJK characters in a varied order: dense text, about one token a character, no repeated pre-tokens. */
function denseText(chars: number): string {
  return Array.from({ length: chars }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20_000))).join(
    '',
  );
}

function inputs(): Input[] {
  return [
    {
      name: 'ordinary job',
      body: chat('Summarise why queues decouple producers from consumers.'),
      expect: 202,
    },
    { name: '1 MiB of one repeated character', body: fillToLimit('a'), expect: 202 },
    { name: '1 MiB of spaces', body: fillToLimit(' '), expect: 202 },
    // Three UTF-8 bytes a character.
    { name: '1 MiB of dense CJK text', body: chat(denseText(Math.floor((MiB - 256) / 3))), expect: 202 },
    {
      name: '10,000 messages (over the 256 limit)',
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: Array.from({ length: 10_000 }, () => ({ role: 'user', content: 'hi' })),
      }),
      expect: 400,
    },
    { name: 'largest allowed schema, worst allowed pattern', body: worstSchemaRequest(), expect: 202 },
  ];
}

const slug = (name: string) => name.replace(/[^A-Za-z0-9]+/g, '-');

async function submit(
  stack: LocalStack,
  client: OffThreadClient,
  input: Input,
  key: string,
): Promise<string | undefined> {
  const response = await client.request(`${stack.apiUrl}/v1/jobs`, {
    method: 'POST',
    headers: { 'api-key': stack.apiKey, 'content-type': 'application/json', 'idempotency-key': key },
    body: input.name,
  });
  if (response.status !== input.expect) {
    throw new Error(
      `${input.name}: expected ${input.expect}, got ${response.status} ${response.text.slice(0, 300)}`,
    );
  }
  return response.status === 202 ? (JSON.parse(response.text) as { id: string }).id : undefined;
}

/**
 * Terminal states as persist logs them: waiting this way reads nothing, so the figures are the job's
 * own work and not a poller's reads of a 1 MiB document.
 */
const finished = new Map<string, string>();
const finishLogger = createLogger({
  level: 'info',
  sink: (level, line) => {
    if (line.includes('"event":"job.completed"')) {
      const { jobId, status } = JSON.parse(line) as { jobId: string; status: string };
      finished.set(jobId, status);
    } else if (level === 'error') process.stderr.write(`${line}\n`);
  },
});

async function untilTerminal(id: string | undefined): Promise<string> {
  if (id === undefined) return 'refused';
  const deadline = Date.now() + 120_000;
  while (!finished.has(id)) {
    if (Date.now() > deadline) throw new Error(`job ${id} not finished after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return finished.get(id)!;
}

interface Measured {
  readonly status: string;
  /** Event-loop busy time of the submit request alone (POST until its answer is read). */
  readonly submitBusyMs: number;
  readonly busyMs: number;
  readonly longestStallMs: number;
  readonly health: readonly number[];
}

async function measure(
  stack: LocalStack,
  client: OffThreadClient,
  input: Input,
  round: number,
): Promise<Measured> {
  // Pass 1: event-loop busy time and the longest stall, with nothing else running.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const before = performance.eventLoopUtilization();
  const id = await submit(stack, client, input, `${slug(input.name)}-${round}-a`);
  const submitted = performance.eventLoopUtilization(before);
  const status = await untilTerminal(id);
  const busy = performance.eventLoopUtilization(before);
  delay.disable();
  // Pass 2: the same input again while /api/health is asked every 10 ms.
  const health: number[] = [];
  let done = false;
  const work = (async () => {
    await untilTerminal(await submit(stack, client, input, `${slug(input.name)}-${round}-b`));
  })().finally(() => (done = true));
  while (!done) {
    const started = performance.now();
    await (await fetch(`${stack.apiUrl}/health`)).arrayBuffer();
    health.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await work;
  return {
    status,
    submitBusyMs: submitted.active,
    busyMs: busy.active,
    longestStallMs: delay.max / 1e6,
    health,
  };
}

const ROUNDS = 3;

/** Medians over ROUNDS runs (the box is shared with the emulators' threads); health samples pooled. */
async function measureRounds(stack: LocalStack, client: OffThreadClient, input: Input): Promise<Measured> {
  const runs: Measured[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) runs.push(await measure(stack, client, input, round));
  return {
    status: runs.map((run) => run.status).join('/'),
    submitBusyMs: median(runs.map((run) => run.submitBusyMs)),
    busyMs: median(runs.map((run) => run.busyMs)),
    longestStallMs: Math.max(...runs.map((run) => run.longestStallMs)),
    health: runs.flatMap((run) => run.health),
  };
}

export async function runHeavyInputBenchmark(): Promise<PartResult> {
  const stack = await startBenchStack({ logger: finishLogger });
  const client = new OffThreadClient();
  const rows: BenchRow[] = [];
  const lines: string[] = [];
  try {
    const all = inputs();
    for (const input of all) await client.setBody(input.name, input.body);
    // Warm-up: one ordinary job and one large prompt, so the pool's thread and the JIT are warm.
    await measure(stack, client, all[0]!, 0);
    await measure(stack, client, all[1]!, 0);
    const ordinary = await measureRounds(stack, client, all[0]!);
    for (const input of all) {
      const result = input === all[0] ? ordinary : await measureRounds(stack, client, input);
      const mib = Buffer.byteLength(input.body) / MiB;
      const perMiB = result.busyMs / Math.max(1, mib);
      const p99 = percentile(result.health, 99);
      const submitPerMiB = result.submitBusyMs / Math.max(1, mib);
      const perMiBRow = (what: string, value: number, baseline: number): BenchRow =>
        withBaseline(
          {
            part: 'heavy input',
            metric: `${input.name}: ${what}, event-loop ms per MiB (under 1 MiB counted as 1)`,
            value: round(value, 1),
            unit: 'ms',
            target: `< ${EVENT_LOOP_MS_PER_MIB}`,
            met: value < EVENT_LOOP_MS_PER_MIB,
          },
          'ordinary job',
          round(baseline, 1),
        );
      rows.push(
        perMiBRow('submit request', submitPerMiB, ordinary.submitBusyMs),
        perMiBRow('whole job, every stage', perMiB, ordinary.busyMs),
        withBaseline(
          {
            part: 'heavy input',
            metric: `${input.name}: /api/health p99 while it runs`,
            value: round(p99, 1),
            unit: 'ms',
            target: `< ${HEALTH_P99_MS}`,
            met: p99 < HEALTH_P99_MS,
          },
          'ordinary job',
          round(percentile(ordinary.health, 99), 1),
        ),
      );
      lines.push(
        `| ${input.name} | ${round(mib, 3)} | ${result.status} | ${round(result.submitBusyMs, 1)} | ${round(result.busyMs, 1)} | ${round(result.longestStallMs, 1)} | ${result.health.length} | ${round(percentile(result.health, 50), 1)} | ${round(p99, 1)} | ${round(Math.max(...result.health), 1)} |`,
      );
    }
  } finally {
    await client.close();
    await stack.close();
  }
  const details = [
    '### Heavy input',
    '',
    "Each input submitted over HTTP (by a client on its own thread) and followed to its end (or refusal) alone, then again while `/api/health` is asked every 10 ms; three rounds, medians of the busy times, the longest stall of any round, health samples of all rounds. Submit busy is the main thread's event-loop active time (`performance.eventLoopUtilization`) from sending the POST until its answer arrives; whole job busy runs on to the terminal write, every stage included (the end is seen in persist's log line, so no poller reads the job). The dev host, the functions and the SDK clients run on the main thread; the emulators and the heavy-work pool on threads of their own.",
    '',
    '| input | body MiB | outcome | submit busy ms | whole job busy ms | longest stall ms | health samples | health p50 ms | health p99 ms | health max ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...lines,
  ].join('\n');
  return { rows, details };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printPart(await runHeavyInputBenchmark());
  process.exit(0);
}
