/**
 * The OpenTelemetry SDK for the local stack's dashboard, registered globally as Azure Monitor is in
 * Azure: every span the platform ends goes to the trace store and the stage latency, and the metrics
 * to a pull reader the sampler collects. Opt-in (`startLocalStack({ dashboard: true })`, which
 * `npm start` sets): without it the stack leaves the global API alone, so a test's own SDK (the
 * in-memory exporters) keeps receiving. If one is registered already, installing fails rather than
 * replacing it or exporting nothing.
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { DashboardMetricReader } from './metric-reader.js';
import { StageLatency } from './stage-latency.js';
import { TraceStore, stageTiming, type TraceStoreLimits } from './trace-store.js';

/** Hands each finished span to the stores, in process and at once: nothing is batched or sent anywhere. */
export class DashboardSpanExporter implements SpanExporter {
  constructor(
    private readonly traces: TraceStore,
    private readonly latency: StageLatency,
  ) {}

  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    for (const span of spans) {
      this.traces.add(span);
      const timing = stageTiming(span);
      if (timing) this.latency.record(timing);
    }
    done({ code: 0 }); // ExportResultCode.SUCCESS
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface DashboardTelemetry {
  readonly traces: TraceStore;
  readonly latency: StageLatency;
  readonly metrics: DashboardMetricReader;
  /** Unregisters the providers this install registered, and only those. */
  uninstall(): Promise<void>;
}

export class TelemetryAlreadyRegisteredError extends Error {
  constructor(what: string) {
    super(
      `An OpenTelemetry ${what} is registered already: the dashboard does not replace it. ` +
        'Start the stack without `dashboard`, or uninstall the other SDK first.',
    );
    this.name = 'TelemetryAlreadyRegisteredError';
  }
}

export async function installDashboardTelemetry(limits?: TraceStoreLimits): Promise<DashboardTelemetry> {
  const traces = new TraceStore(limits);
  const latency = new StageLatency();
  const reader = new DashboardMetricReader();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new DashboardSpanExporter(traces, latency))],
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const contextManager = new AsyncLocalStorageContextManager();

  // Each set* answers false, and changes nothing, when another one holds the slot; undo only ours.
  const undo: Array<() => void> = [];
  const register = (what: string, set: () => boolean, disable: () => void) => {
    if (!set()) {
      for (const step of undo.reverse()) step();
      throw new TelemetryAlreadyRegisteredError(what);
    }
    undo.push(disable);
  };
  register(
    'context manager',
    () => context.setGlobalContextManager(contextManager.enable()),
    () => context.disable(),
  );
  register(
    'tracer provider',
    () => trace.setGlobalTracerProvider(tracerProvider),
    () => trace.disable(),
  );
  register(
    'meter provider',
    () => metrics.setGlobalMeterProvider(meterProvider),
    () => metrics.disable(),
  );
  // The Azure SDKs' own spans (Cosmos DB, Service Bus) as dependencies in the waterfall, wired as
  // functions/azure-monitor.ts does in Azure. Loaded here: only the dashboard pays for its import.
  const [{ useInstrumenter }, { createOpenTelemetryInstrumenter }] = await Promise.all([
    import('@azure/core-tracing'),
    import('@azure/opentelemetry-instrumentation-azure-sdk'),
  ]);
  useInstrumenter(createOpenTelemetryInstrumenter());

  let uninstalled: Promise<void> | undefined;
  return {
    traces,
    latency,
    metrics: reader,
    uninstall: () =>
      (uninstalled ??= (async () => {
        await tracerProvider.shutdown();
        await meterProvider.shutdown();
        for (const step of undo.reverse()) step();
      })()),
  };
}
