/**
 * Open-loop load generator on its own thread (worker_threads), so that generating load does not take
 * event-loop time from the stack under test: POSTs a job every 1/rate seconds, on schedule, whether
 * or not earlier requests have answered (a steady offered load, not a closed loop).
 */
import { Agent, request as httpRequest } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

export interface LoadPlan {
  readonly url: string;
  readonly apiKey: string;
  readonly body: string;
  readonly ratePerSecond: number;
  readonly durationMs: number;
}

export interface Submission {
  /** When the request was due to be sent (ms since epoch). */
  readonly at: number;
  readonly latencyMs: number;
  readonly status: number;
  readonly id?: string;
}

/**
 * node:http with a keep-alive agent rather than `fetch`: the generator shares the machine's two cores
 * with the stack under test, and undici's fetch costs about twice the CPU per request (web streams, a
 * wasm parser), which the stack would pay for in the latency we measure.
 */
function post(plan: LoadPlan, agent: Agent, at: number): Promise<Submission> {
  const started = performance.now();
  const failed = (): Submission => ({ at, latencyMs: performance.now() - started, status: 0 });
  return new Promise((resolve) => {
    const request = httpRequest(
      plan.url,
      {
        method: 'POST',
        agent,
        headers: {
          'api-key': plan.apiKey,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(plan.body),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', () => resolve(failed()));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          const latencyMs = performance.now() - started;
          const id = status === 202 ? acceptedJobId(Buffer.concat(chunks).toString()) : undefined;
          resolve({ at, latencyMs, status, ...(id ? { id } : {}) });
        });
      },
    );
    request.on('error', () => resolve(failed()));
    request.end(plan.body);
  });
}

function acceptedJobId(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { id?: string }).id;
  } catch {
    return undefined;
  }
}

async function run(plan: LoadPlan): Promise<Submission[]> {
  const interval = 1000 / plan.ratePerSecond;
  const total = Math.floor((plan.durationMs / 1000) * plan.ratePerSecond);
  const start = Date.now();
  // Enough sockets for every request in flight at once: an open loop must not queue in the client.
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const pending: Array<Promise<Submission>> = [];
  for (let index = 0; index < total; index += 1) {
    const due = start + index * interval;
    const wait = due - Date.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(post(plan, agent, due));
  }
  const submissions = await Promise.all(pending);
  agent.destroy();
  return submissions;
}

if (parentPort) {
  const port = parentPort;
  run(workerData as LoadPlan).then(
    (submissions) => port.postMessage({ submissions }),
    (error: unknown) => port.postMessage({ error: String(error) }),
  );
}
