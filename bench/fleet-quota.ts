/**
 * Fleet quota benchmark: 1, 2, 4 and 8 host instances (worker threads, each with its own model layer
 * and Cosmos DB client, as separate Functions instances have) on one simulated deployment, loaded at 3x
 * its quota in total for a fixed window; each N once with fleet-wide leases (no configured share) and
 * once with today's fixed per-instance share (MODEL_INSTANCE_SHARE, set for the largest fleet as the
 * prod parameters do: 1 / maximum instances). Time is compressed: the simulator and the pacers count
 * over 12 s windows instead of 60 s, and leases renew every second (a twelfth of the window, as 5 s is
 * of 60 s), so coordination costs per token are 5x what they are at the service's real windows. 3 s
 * windows (as bench/model-quota.ts) run four times faster but cost 4 and 8 instances 2-5 % of the quota
 * that the service's windows would not: each instance leaves about half a request of its slice unused
 * per window, and the slices are a quarter as large (docs/model-layer.md#fleet-benchmark).
 *
 *   npm run build && node dist/bench/fleet-quota.js
 * Environment: BENCH_FLEET_INSTANCES (1,2,4,8), BENCH_FLEET_FIXED_SHARES (0.125; a comma list runs
 * several), BENCH_FLEET_WINDOWS (3 measured windows after one warm-up), BENCH_FLEET_WINDOW_MS (12000),
 * BENCH_FLEET_TPM (360000), BENCH_FLEET_LOAD_FACTOR (3).
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ensureCosmosResources, type EmbeddedCosmos } from '../local/cosmos/index.js';
import type { ModelSimulator } from '../local/model-simulator/index.js';
import { startEmulatorThread } from '../local/threads/emulator-thread.js';
import { CosmosClient } from '@azure/cosmos';
import type { InstanceInit, InstanceMessage, InstanceResult } from './fleet-quota-instance.js';
import { printPart, type PartResult } from './lib/report.js';
import { fleetRows, type ScenarioResult } from './fleet-quota-report.js';

interface Settings {
  readonly instances: readonly number[];
  readonly fixedShares: readonly number[];
  readonly windows: number;
  readonly windowMs: number;
  readonly tpm: number;
  readonly loadFactor: number;
}

function settingsFromEnv(): Settings {
  const number = (name: string, fallback: number): number => {
    const value = Number(process.env[name]);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  const list = (name: string, fallback: number[]): number[] => {
    const values = (process.env[name] ?? '')
      .split(',')
      .map(Number)
      .filter((n) => n > 0);
    return values.length > 0 ? values : fallback;
  };
  return {
    instances: list('BENCH_FLEET_INSTANCES', [1, 2, 4, 8]),
    fixedShares: list('BENCH_FLEET_FIXED_SHARES', [0.125]),
    windows: number('BENCH_FLEET_WINDOWS', 3),
    windowMs: number('BENCH_FLEET_WINDOW_MS', 12_000),
    tpm: number('BENCH_FLEET_TPM', 360_000),
    loadFactor: number('BENCH_FLEET_LOAD_FACTOR', 3),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function startInstance(init: InstanceInit): Promise<{ worker: Worker; result: Promise<InstanceResult> }> {
  const worker = new Worker(new URL('./fleet-quota-instance.js', import.meta.url), { workerData: init });
  let resolveResult: (result: InstanceResult) => void = () => undefined;
  const result = new Promise<InstanceResult>((resolve) => (resolveResult = resolve));
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (message: InstanceMessage) => {
      if (message.type === 'ready') resolve({ worker, result });
      else resolveResult(message.result);
    });
  });
}

/**
 * Time-averaged occupancy of the simulator's token window over the measured windows (after one warm-up
 * window), sampled every 20 ms: accepted tokens / (quota x time), as bench/model-quota.ts measures it.
 */
async function measureOccupancy(simulator: ModelSimulator, settings: Settings): Promise<number> {
  await sleep(settings.windowMs);
  let weighted = 0;
  let elapsed = 0;
  let last = Date.now();
  const sampler = setInterval(() => {
    const now = Date.now();
    const { usedTokens, tokenBudget } = simulator.occupancy();
    weighted += (Math.min(usedTokens, tokenBudget) / tokenBudget) * (now - last);
    elapsed += now - last;
    last = now;
  }, 20);
  await sleep(settings.windowMs * settings.windows);
  clearInterval(sampler);
  return elapsed === 0 ? 0 : weighted / elapsed;
}

async function runScenario(
  cosmos: EmbeddedCosmos,
  settings: Settings,
  instances: number,
  mode: 'leases' | number,
): Promise<ScenarioResult> {
  // The service on a thread of its own, as it is remote in Azure: neither the lease store's work nor
  // this thread's sampling delays its quota decisions.
  const thread = await startEmulatorThread({
    model: {
      apiKey: 'bench-key',
      deployments: [{ name: 'bench', model: 'gpt-4o-mini-2024-07-18', tpm: settings.tpm }],
      windowMs: settings.windowMs,
      latency: { timeToFirstTokenMs: 80, perTokenMs: 1 },
      completionTokens: { min: 60, max: 160 },
    },
  });
  const simulator = thread.model!;
  const deployment = `bench-${instances}-${mode}-${Date.now()}`;
  const started = await Promise.all(
    Array.from({ length: instances }, (_, index) =>
      startInstance({
        index,
        modelUrl: simulator.url,
        cosmosEndpoint: cosmos.endpoint,
        cosmosKey: cosmos.key,
        deployment,
        mode,
        tpm: settings.tpm,
        windowMs: settings.windowMs,
        arrivalTpm: (settings.loadFactor * settings.tpm) / instances,
        maxTokens: 200,
        concurrency: 16,
      }),
    ),
  );
  simulator.resetStats();
  for (const { worker } of started) worker.postMessage({ type: 'start' });
  const occupancy = await measureOccupancy(simulator, settings);
  const totals = simulator.stats().totals;
  for (const { worker } of started) worker.postMessage({ type: 'stop' });
  const results = await Promise.all(started.map((s) => s.result));
  await Promise.all(started.map(({ worker }) => worker.terminate()));
  await thread.close();
  return { instances, mode, occupancy, totals, results, load: loadavg()[0] ?? 0 };
}

export async function runFleetQuotaBenchmark(overrides: Partial<Settings> = {}): Promise<PartResult> {
  const settings = { ...settingsFromEnv(), ...overrides };
  const cosmosThread = await startEmulatorThread({ cosmos: {} });
  const cosmos = cosmosThread.cosmos!;
  const admin = new CosmosClient({
    endpoint: cosmos.endpoint,
    key: cosmos.key,
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  await ensureCosmosResources(admin);
  admin.dispose();
  const scenarios: ScenarioResult[] = [];
  try {
    for (const instances of settings.instances) {
      scenarios.push(await runScenario(cosmos, settings, instances, 'leases'));
      for (const share of settings.fixedShares) {
        scenarios.push(await runScenario(cosmos, settings, instances, share));
      }
    }
  } finally {
    await cosmosThread.close();
  }
  return fleetRows(scenarios, settings);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printPart(await runFleetQuotaBenchmark());
  process.exit(0);
}
