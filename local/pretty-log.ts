/**
 * Human-readable log lines for `npm start`: one short line per job event, so a newcomer watches a job
 * move through its states. `LOG_FORMAT=json` prints the structured lines Azure gets instead.
 */
import type { LogSink } from '../shared/telemetry/logger.js';

const SHOWN: Readonly<Record<string, string>> = {
  'job.accepted': 'accepted',
  'model.completed': 'model answered',
  'model.retry_scheduled': 'retry scheduled',
  'job.postprocessed': 'postprocessed',
  'job.completed': 'finished',
  'job.cancelled': 'cancelled',
  'job.expired': 'expired',
  'job.rejected': 'rejected',
  'job.failing': 'failing',
  'message.dead_lettered': 'dead-lettered',
  'webhook.delivered': 'webhook delivered',
  'webhook.retry_scheduled': 'webhook retry scheduled',
};

export function prettySink(write: (line: string) => void = (line) => console.log(line)): LogSink {
  return (level, line) => {
    const record = JSON.parse(line) as Record<string, unknown>;
    const event = String(record.event);
    const label = SHOWN[event];
    if (!label && level !== 'warn' && level !== 'error') return;
    const time = String(record.time).slice(11, 23);
    const details = [
      'status',
      'reason',
      'deployment',
      'promptTokens',
      'completionTokens',
      'durationMs',
      'delayMs',
      'errorMessage',
    ]
      .filter((key) => record[key] !== undefined)
      .map((key) => `${key}=${String(record[key])}`)
      .join(' ');
    const stage = typeof record.stage === 'string' ? record.stage.padEnd(11) : ''.padEnd(11);
    const job = typeof record.jobId === 'string' ? record.jobId : '';
    write(`${time} ${stage} ${(label ?? `${level}: ${event}`).padEnd(16)} ${job} ${details}`.trimEnd());
  };
}
