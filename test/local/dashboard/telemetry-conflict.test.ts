/**
 * With an SDK registered first (a test's in-memory exporters, as test/e2e/telemetry.test.ts does), the
 * dashboard's install is refused: the other SDK is neither replaced nor silenced.
 */
import { SpanKind } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  TelemetryAlreadyRegisteredError,
  installDashboardTelemetry,
} from '../../../local/dashboard/telemetry.js';
import { inSpan } from '../../../shared/telemetry/tracing.js';
import { recordJobAccepted } from '../../../shared/telemetry/metrics.js';
import { installInMemoryTelemetry } from '../../fakes/in-memory-telemetry.js';

describe("the dashboard's telemetry beside another SDK", () => {
  it('refuses to install over an SDK registered first, which keeps receiving', async () => {
    const other = installInMemoryTelemetry();
    try {
      await expect(installDashboardTelemetry()).rejects.toBeInstanceOf(TelemetryAlreadyRegisteredError);
      await inSpan('process persist', { kind: SpanKind.CONSUMER }, () =>
        inSpan('chat gpt-4o-mini', { kind: SpanKind.CLIENT }, () => Promise.resolve()),
      );
      recordJobAccepted('t-1', 'queue');
      expect(other.spans().map((span) => span.name)).toEqual(['chat gpt-4o-mini', 'process persist']);
      expect(await other.metric('pipeline.jobs.accepted')).toMatchObject([{ value: 1 }]);
    } finally {
      await other.uninstall();
    }
  });
});
