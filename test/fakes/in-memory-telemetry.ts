/**
 * The OpenTelemetry SDK with in-memory exporters, registered globally for one test file (vitest runs each
 * file in its own worker): spans finished so far, metrics collected on demand, and the async context
 * manager that makes a stage's span the parent of what it calls.
 */
import { useInstrumenter } from '@azure/core-tracing';
import { createOpenTelemetryInstrumenter } from '@azure/opentelemetry-instrumentation-azure-sdk';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context, metrics, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface MetricPoint {
  readonly attributes: Readonly<Record<string, unknown>>;
  /** A counter's sum, or a histogram's sum. */
  readonly value: number;
  /** A histogram's count; 1 for counters' points. */
  readonly count: number;
}

export interface InMemoryTelemetry {
  spans(): ReadableSpan[];
  /** The points of one metric by name, cumulative since install. */
  metric(name: string): Promise<MetricPoint[]>;
  uninstall(): Promise<void>;
}

export function installInMemoryTelemetry(): InMemoryTelemetry {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  // The Azure SDKs' own spans (Cosmos DB, Service Bus), as functions/azure-monitor.ts wires them in Azure.
  useInstrumenter(createOpenTelemetryInstrumenter());
  return {
    spans: () => exporter.getFinishedSpans(),
    async metric(name) {
      const { resourceMetrics } = await reader.collect();
      const data: MetricData[] = resourceMetrics.scopeMetrics.flatMap((scope) =>
        scope.metrics.filter((metric) => metric.descriptor.name === name),
      );
      return data.flatMap((metric) =>
        (metric.dataPoints as Array<DataPoint<number | Histogram>>).map((point) =>
          typeof point.value === 'number'
            ? { attributes: point.attributes, value: point.value, count: 1 }
            : { attributes: point.attributes, value: point.value.sum ?? 0, count: point.value.count },
        ),
      );
    },
    async uninstall() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      trace.disable();
      metrics.disable();
      context.disable();
    },
  };
}
