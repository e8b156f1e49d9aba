/**
 * OpenTelemetry to Application Insights, for the Functions host in OpenTelemetry mode (host.json
 * `telemetryMode`): `@azure/monitor-opentelemetry` registers the SDK (traces, metrics, logs) and
 * `@azure/functions-opentelemetry-instrumentation` runs each handler in the host's trace context and tells
 * the host the worker sends its own telemetry, so the host's spans and ours join and nothing is sent twice.
 *
 * Loaded only when APPLICATIONINSIGHTS_CONNECTION_STRING is set, by dynamic import after the entry's
 * import (functions/index.ts): these packages take over a second to import.
 */
import * as azureFunctions from '@azure/functions';

export interface AzureMonitorSettings {
  readonly connectionString: string;
  /** `ClientId=<id>;Authorization=AAD` (infra/modules/functionapp.bicep): export with that identity. */
  readonly authenticationString?: string;
  /**
   * Traces started per second per instance (the distro's rate-limited sampler, 5 by default); a job's
   * spans follow its first one's decision, so a trace is kept or dropped whole. Metrics are never sampled.
   */
  readonly tracesPerSecond?: number;
}

/** The managed identity's client id from the host's authentication string, if it asks for Entra ID. */
export function clientIdOf(authenticationString: string | undefined): string | undefined {
  if (!authenticationString) return undefined;
  const fields = new Map(
    authenticationString.split(';').map((pair) => {
      const [key = '', ...rest] = pair.split('=');
      return [key.trim().toLowerCase(), rest.join('=').trim()] as const;
    }),
  );
  return fields.get('authorization')?.toUpperCase() === 'AAD' ? fields.get('clientid') : undefined;
}

export async function startAzureMonitor(settings: AzureMonitorSettings): Promise<void> {
  const [monitor, functionsInstrumentation, coreTracing, azureSdk, identity] = await Promise.all([
    import('@azure/monitor-opentelemetry'),
    import('@azure/functions-opentelemetry-instrumentation'),
    import('@azure/core-tracing'),
    import('@azure/opentelemetry-instrumentation-azure-sdk'),
    import('@azure/identity'),
  ]);
  const clientId = clientIdOf(settings.authenticationString);
  monitor.useAzureMonitor({
    azureMonitorExporterOptions: {
      connectionString: settings.connectionString,
      // Keyless ingestion: the app's user-assigned identity holds Monitoring Metrics Publisher.
      ...(clientId ? { credential: new identity.ManagedIdentityCredential({ clientId }) } : {}),
    },
    tracesPerSecond: settings.tracesPerSecond ?? 5,
    enableLiveMetrics: true,
    instrumentationOptions: {
      azureSdk: { enabled: true },
      // Our own client spans cover the model and webhook calls (with GenAI attributes); the generic
      // HTTP ones would duplicate them.
      http: { enabled: false },
    },
  });
  // ESM imports never pass the require hooks the two instrumentations patch through, so wire them by hand.
  coreTracing.useInstrumenter(azureSdk.createOpenTelemetryInstrumenter());
  // The entry already declared the capability while setup was open; setup refuses changes by now.
  const { AzureFunctionsInstrumentationESM } = functionsInstrumentation.default;
  new AzureFunctionsInstrumentationESM().registerAzFunc({
    ...azureFunctions,
    app: { ...azureFunctions.app, setup: () => undefined },
  });
}
