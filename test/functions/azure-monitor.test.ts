import { afterAll, describe, expect, it } from 'vitest';
import { clientIdOf, startAzureMonitor } from '../../functions/azure-monitor.js';
import { SpanKind, trace, type ProxyTracerProvider } from '@opentelemetry/api';
import { startIngestionStub, type IngestionStub } from '../../bench/lib/ingestion-stub.js';

describe('clientIdOf', () => {
  it("reads the managed identity's client id from the host's Entra ID authentication string", () => {
    expect(clientIdOf('ClientId=1f2e;Authorization=AAD')).toBe('1f2e');
    expect(clientIdOf('authorization=aad; clientid=abc')).toBe('abc');
  });

  it('gives none without an authentication string or when it does not ask for Entra ID', () => {
    expect(clientIdOf(undefined)).toBeUndefined();
    expect(clientIdOf('ClientId=1f2e')).toBeUndefined();
  });
});

describe('startAzureMonitor', () => {
  let stub: IngestionStub | undefined;
  afterAll(async () => {
    await stub?.close();
  });

  it('records and exports our spans though the tracing module was loaded before the distro', async () => {
    // Loaded first, as in Azure: the handlers preload while the distro (seconds to import) is loading.
    const tracing = await import('../../shared/telemetry/tracing.js');
    const before = await tracing.inSpan('before', { kind: SpanKind.INTERNAL }, (span) =>
      Promise.resolve(span.isRecording()),
    );
    expect(before).toBe(false);
    // The stand-in for the ingestion endpoint serves a self-signed certificate; loopback only.
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    stub = await startIngestionStub();
    await startAzureMonitor({ connectionString: stub.connectionString, tracesPerSecond: 1000 });
    const after = await tracing.inSpan('process invoke', { kind: SpanKind.CONSUMER }, (span) =>
      Promise.resolve(span.isRecording()),
    );
    expect(after).toBe(true);
    const provider = trace.getTracerProvider() as ProxyTracerProvider;
    await (provider.getDelegate() as unknown as { forceFlush(): Promise<void> }).forceFlush();
    expect(stub.items()).toBeGreaterThan(0);
  }, 30_000);
});
