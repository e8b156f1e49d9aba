import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../../../shared/telemetry/logger.js';
import { inSpan } from '../../../shared/telemetry/tracing.js';
import { installInMemoryTelemetry, type InMemoryTelemetry } from '../../fakes/in-memory-telemetry.js';

function capture() {
  const records: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'debug',
    sink: (_level: LogLevel, line: string) => records.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, records };
}

describe('createLogger', () => {
  let telemetry: InMemoryTelemetry;
  beforeAll(() => {
    telemetry = installInMemoryTelemetry();
  });
  afterAll(() => telemetry.uninstall());

  it("attaches the active span's trace and span ids to each line", async () => {
    const { logger, records } = capture();
    await inSpan('process invoke', { kind: SpanKind.CONSUMER }, (span) => {
      logger.info('model.completed', { jobId: 'job_1' });
      expect(records[0]).toMatchObject({
        event: 'model.completed',
        jobId: 'job_1',
        traceId: span.spanContext().traceId,
        spanId: span.spanContext().spanId,
      });
      return Promise.resolve();
    });
  });

  it('writes no ids outside a span', () => {
    const { logger, records } = capture();
    logger.info('host.started');
    expect(records[0]).not.toHaveProperty('traceId');
    expect(records[0]).not.toHaveProperty('spanId');
  });

  it('never writes a secret shape, whatever field carries it', () => {
    const { logger, records } = capture();
    logger.error('send.failed', {
      errorMessage: 'Endpoint=sb://ns/;SharedAccessKeyName=x;SharedAccessKey=s3cr3t',
      header: 'Bearer eyJhbGciOi.abc.def',
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    });
    const line = JSON.stringify(records[0]);
    for (const secret of ['s3cr3t', 'eyJhbGciOi', 'MfKQ9r8GKYq']) expect(line).not.toContain(secret);
  });
});
