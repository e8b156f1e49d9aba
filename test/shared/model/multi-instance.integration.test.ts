/**
 * Several function instances share one deployment. Each instance is a separate client (separate memory),
 * as separate processes would be; only the service (the simulator) is shared.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startModelSimulator, type ModelSimulator } from '../../../local/model-simulator/index.js';
import type { ChatRequest } from '../../../shared/jobs/schema.js';
import { createModelClient, type RoutedModelClient } from '../../../shared/model/client.js';
import { context, deployment, jobRunner, modelConfig, silentLogger, sleep } from './helpers.js';

let sim: ModelSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const request = (n: number): ChatRequest => ({
  model: 'chat',
  messages: [{ role: 'user', content: `Instance job ${n}: write a short note.` }],
  max_tokens: 60,
});
const runJobs = jobRunner(request);

async function instances(share: number, windowMs = 1_000): Promise<RoutedModelClient[]> {
  // 500 tokens per window (30,000 TPM over 1 s); a job costs ~18 prompt + 60 max_tokens.
  const tpm = (500 * 60_000) / windowMs;
  sim = await startModelSimulator({ deployments: [{ name: 'd', tpm, rpm: 6_000 }], windowMs });
  const config = modelConfig(
    { chat: [deployment({ name: 'd', endpoint: sim.url, tpm, rpm: 6_000, windowMs })] },
    { instanceShare: share },
  );
  const clients = [
    createModelClient(config, { logger: silentLogger }),
    createModelClient(config, { logger: silentLogger }),
  ];
  // Warm instances: the first call of a process pays SDK start-up and a new connection.
  await Promise.all(clients.map((c, i) => c.complete(request(-1 - i), context())));
  return clients;
}

describe('several instances on one deployment', () => {
  it('stays under the quota with a configured per-instance share', async () => {
    // 2 s windows: here a few ms of arrival lag on a busy machine must not decide the outcome.
    const [a, b] = await instances(0.5, 2_000);
    await Promise.all([runJobs(a!, 0, 8), runJobs(b!, 100, 8)]);
    const totals = sim!.stats().totals;
    expect(totals.succeeded).toBe(18);
    // Each instance keeps to half the window; the odd 429 comes from request arrival lagging the send on
    // a busy test machine (the expiry margin then widens). Without coordination about 40% are 429s.
    expect(totals.throttled / totals.requests).toBeLessThanOrEqual(0.15);
  });

  it('stops colliding after the first window when each instance assumes the whole quota', async () => {
    const [a, b] = await instances(1);
    // Both instances burst their first window before either has seen a response: those 429s are the
    // price of not sharing state. From the second window on, the remaining-quota headers and the 429s'
    // retry-after have told each about the other.
    const jobs = Promise.all([runJobs(a!, 0, 8), runJobs(b!, 100, 8)]);
    await sleep(1_100);
    const firstWindow = sim!.stats().totals;
    sim!.resetStats();
    await jobs;
    const later = sim!.stats().totals;
    expect(firstWindow.admitted + later.admitted).toBe(18); // 16 jobs and 2 warm-up calls
    // Typically 7-9 of ~17 calls in the first window are 429s and none of the ~8 after it; allow a stray
    // one or two from arrival lag on a busy machine.
    expect(firstWindow.throttled).toBeGreaterThan(2);
    expect(later.throttled).toBeLessThanOrEqual(2);
  });
});
