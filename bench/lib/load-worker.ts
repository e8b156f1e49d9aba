/**
 * Open-loop load generator on its own thread (worker_threads), so that generating load does not take
 * event-loop time from the stack under test: POSTs a job every 1/rate seconds, on schedule, whether
 * or not earlier requests have answered (a steady offered load, not a closed loop).
 */
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

async function post(plan: LoadPlan, at: number): Promise<Submission> {
  const started = performance.now();
  try {
    const response = await fetch(plan.url, {
      method: 'POST',
      headers: { 'api-key': plan.apiKey, 'content-type': 'application/json' },
      body: plan.body,
    });
    const text = await response.text();
    const id = response.status === 202 ? (JSON.parse(text) as { id?: string }).id : undefined;
    return { at, latencyMs: performance.now() - started, status: response.status, ...(id ? { id } : {}) };
  } catch {
    return { at, latencyMs: performance.now() - started, status: 0 };
  }
}

async function run(plan: LoadPlan): Promise<Submission[]> {
  const interval = 1000 / plan.ratePerSecond;
  const total = Math.floor((plan.durationMs / 1000) * plan.ratePerSecond);
  const start = Date.now();
  const pending: Array<Promise<Submission>> = [];
  for (let index = 0; index < total; index += 1) {
    const due = start + index * interval;
    const wait = due - Date.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(post(plan, due));
  }
  return Promise.all(pending);
}

if (parentPort) {
  const port = parentPort;
  run(workerData as LoadPlan).then(
    (submissions) => port.postMessage({ submissions }),
    (error: unknown) => port.postMessage({ error: String(error) }),
  );
}
