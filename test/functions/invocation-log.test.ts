import { InvocationContext, type LogLevel as HostLogLevel } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { invocationLogSink, runInInvocation } from '../../functions/invocation-log.js';
import { createHandlerLoader } from '../../functions/registry.js';
import { createLogger, type LogLevel } from '../../shared/telemetry/logger.js';

/** A real InvocationContext whose log lines are kept, as the host would receive them. */
function recordingContext() {
  const lines: Array<{ level: HostLogLevel; text: string }> = [];
  const context = new InvocationContext({
    invocationId: 'inv-1',
    functionName: 'invoke',
    logHandler: (level, ...args) => lines.push({ level, text: args.join(' ') }),
  });
  return { context, lines };
}

function consoleLines() {
  const lines: Array<{ level: LogLevel; line: string }> = [];
  return { lines, sink: (level: LogLevel, line: string) => lines.push({ level, line }) };
}

describe('invocationLogSink', () => {
  it("writes through the invocation's context at the line's level while the handler runs", async () => {
    const { context, lines } = recordingContext();
    const fallback = consoleLines();
    const logger = createLogger({ level: 'debug', sink: invocationLogSink(fallback.sink) });
    await runInInvocation(context, async () => {
      logger.info('job.accepted', { jobId: 'job_1' });
      await Promise.resolve();
      logger.warn('model.retry_scheduled');
      logger.error('job.failing');
      logger.debug('detail');
    });
    expect(lines.map((line) => line.level)).toEqual(['information', 'warning', 'error', 'debug']);
    expect(JSON.parse(lines[0]!.text)).toMatchObject({
      level: 'info',
      event: 'job.accepted',
      jobId: 'job_1',
    });
    expect(fallback.lines).toEqual([]);
  });

  it('writes to the console outside an invocation, and after the invocation settled', async () => {
    const { context, lines } = recordingContext();
    const fallback = consoleLines();
    const logger = createLogger({ sink: invocationLogSink(fallback.sink) });
    let later: (() => void) | undefined;
    logger.info('host.started');
    await runInInvocation(context, () => {
      // Work the handler leaves running past its return.
      later = () => logger.info('late.line');
      return Promise.resolve();
    });
    later?.();
    expect(lines).toEqual([]);
    expect(fallback.lines.map(({ line }) => (JSON.parse(line) as { event: string }).event)).toEqual([
      'host.started',
      'late.line',
    ]);
  });

  it('keeps concurrent invocations apart', async () => {
    const first = recordingContext();
    const second = recordingContext();
    const logger = createLogger({ sink: invocationLogSink(consoleLines().sink) });
    const tick = () => new Promise((resolve) => setTimeout(resolve, 1));
    await Promise.all([
      runInInvocation(first.context, async () => {
        await tick();
        logger.info('first');
      }),
      runInInvocation(second.context, async () => {
        logger.info('second');
        await tick();
        logger.info('second.again');
      }),
    ]);
    const events = (lines: Array<{ text: string }>) =>
      lines.map((line) => (JSON.parse(line.text) as { event: string }).event);
    expect(events(first.lines)).toEqual(['first']);
    expect(events(second.lines)).toEqual(['second', 'second.again']);
  });

  it('redacts secrets before they reach the host', async () => {
    const { context, lines } = recordingContext();
    const logger = createLogger({ sink: invocationLogSink(consoleLines().sink) });
    await runInInvocation(context, () => {
      logger.error('send.failed', { errorMessage: 'Endpoint=sb://x/;SharedAccessKey=abc123' });
      return Promise.resolve();
    });
    expect(lines[0]!.text).not.toContain('abc123');
  });
});

describe('the registry', () => {
  it('runs every handler with its InvocationContext as the log destination', async () => {
    const fallback = consoleLines();
    const logger = createLogger({ sink: invocationLogSink(fallback.sink) });
    const loader = createHandlerLoader({
      stages: () =>
        Promise.resolve({
          invoke: (_message: unknown, _context: InvocationContext) => {
            logger.info('in.handler');
            return Promise.resolve();
          },
        }),
    });
    const definition = loader.define({
      kind: 'serviceBusQueue',
      name: 'invoke',
      group: 'stages',
      queueName: 'invoke',
    } as never);
    const { context, lines } = recordingContext();
    await (definition.handler as (message: unknown, context: InvocationContext) => Promise<void>)(
      {},
      context,
    );
    expect(lines.map((line) => (JSON.parse(line.text) as { event: string }).event)).toEqual(['in.handler']);
    expect(fallback.lines).toEqual([]);
  });
});
