/**
 * The local stack's live dashboard (http://127.0.0.1:7071/dashboard): the OpenTelemetry data the
 * platform records, exported in process (telemetry.ts), sampled once a second with the emulators' own
 * statistics (sampler.ts), served as a page and JSON by the dev host (http.ts). Local only: it is no
 * function and no part of the Function App. docs/observability.md describes the panels.
 */
import type { ModelSimulator } from '../model-simulator/index.js';
import type { ServiceBusEmulator } from '../servicebus/index.js';
import { DASHBOARD_PREFIX, createDashboardListener, type MountListener } from './http.js';
import { buildOverview, type DeploymentConfig } from './overview.js';
import { Sampler, type SamplerOptions } from './sampler.js';
import { staticFiles } from './static-files.js';
import type { DashboardTelemetry } from './telemetry.js';

export { installDashboardTelemetry, type DashboardTelemetry } from './telemetry.js';
export type { DeploymentConfig } from './overview.js';
export { DASHBOARD_PREFIX } from './http.js';

export interface DashboardOptions {
  readonly telemetry: DashboardTelemetry;
  readonly serviceBus: Pick<ServiceBusEmulator, 'stats'>;
  readonly model: Pick<ModelSimulator, 'stats'>;
  readonly deployments: readonly DeploymentConfig[];
  readonly sampler?: SamplerOptions;
}

export interface Dashboard {
  /** Where the dev host mounts `listener`. */
  readonly prefix: string;
  readonly listener: MountListener;
  readonly sampler: Sampler;
  /** Stops sampling and unregisters the telemetry. */
  close(): Promise<void>;
}

const RECENT_JOBS = 25;

export function startDashboard(options: DashboardOptions): Dashboard {
  const { telemetry } = options;
  const sampler = new Sampler(
    {
      readMetrics: () => telemetry.metrics.read(),
      queues: () => options.serviceBus.stats(),
      deployments: () =>
        Object.fromEntries(
          Object.entries(options.model.stats().deployments).map(([name, stats]) => [
            name,
            { requests: stats.requests, throttled: stats.throttled, chargedTokens: stats.chargedTokens },
          ]),
        ),
    },
    telemetry.latency,
    options.sampler,
  );
  sampler.start();
  const listener = createDashboardListener(
    {
      overview: () =>
        buildOverview({
          now: Date.now(),
          intervalMs: sampler.intervalMs,
          samples: sampler.samples.toArray(),
          latencyPoints: sampler.latencyPoints.toArray(),
          deployments: options.deployments,
          recentJobs: telemetry.traces.recent(RECENT_JOBS),
          traces: { held: telemetry.traces.size, capacity: telemetry.traces.limits.maxTraces },
        }),
      jobs: (query, limit) => telemetry.traces.recent(limit, query),
      trace: (traceId) => telemetry.traces.trace(traceId),
    },
    staticFiles(),
  );
  let closed: Promise<void> | undefined;
  return {
    prefix: DASHBOARD_PREFIX,
    listener,
    sampler,
    close: () =>
      (closed ??= (async () => {
        await sampler.stop();
        await telemetry.uninstall();
      })()),
  };
}
