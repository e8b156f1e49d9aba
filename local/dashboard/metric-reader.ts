/**
 * The dashboard's metric exporter: a pull reader (as the SDK's Prometheus exporter is) that the sampler
 * collects once a tick, flattened to the few cumulative totals the panels read. Cumulative rather than
 * delta, so a missed tick loses no count: rates are differences between samples.
 */
import {
  AggregationTemporality,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { METRIC_NAMES } from '../../shared/telemetry/metrics.js';

export interface MetricTotals {
  readonly accepted: number;
  /** By `job.status`. */
  readonly finished: Readonly<Record<string, number>>;
  /** By `gen_ai.request.model`, then `gen_ai.deployment`, then `pipeline.outcome`. */
  readonly modelCalls: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, number>>>>>>;
}

export const EMPTY_TOTALS: MetricTotals = { accepted: 0, finished: {}, modelCalls: {} };

export class DashboardMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }

  async read(): Promise<MetricTotals> {
    const { resourceMetrics } = await this.collect();
    return totalsOf(resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics));
  }

  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }

  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Sums the points of the metrics the dashboard shows over the attributes it does not (tenant, source). */
export function totalsOf(metrics: readonly MetricData[]): MetricTotals {
  let accepted = 0;
  const finished: Record<string, number> = {};
  const modelCalls: Record<string, Record<string, Record<string, number>>> = {};
  for (const metric of metrics) {
    const points = metric.dataPoints as Array<DataPoint<number | Histogram>>;
    for (const point of points) {
      if (typeof point.value !== 'number') continue;
      const { value, attributes } = point;
      switch (metric.descriptor.name) {
        case METRIC_NAMES.jobsAccepted:
          accepted += value;
          break;
        case METRIC_NAMES.jobsFinished:
          add(finished, String(attributes['job.status']), value);
          break;
        case METRIC_NAMES.modelCalls: {
          const model = String(attributes['gen_ai.request.model']);
          const deployment = String(attributes['gen_ai.deployment']);
          const byDeployment = (modelCalls[model] ??= {});
          add((byDeployment[deployment] ??= {}), String(attributes['pipeline.outcome']), value);
          break;
        }
        default:
          break;
      }
    }
  }
  return { accepted, finished, modelCalls };
}

function add(into: Record<string, number>, key: string, value: number): void {
  into[key] = (into[key] ?? 0) + value;
}
