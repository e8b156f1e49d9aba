/**
 * Structured log lines: one JSON object per event, with the active span's trace and span ids, so
 * Application Insights (or a terminal) can follow a job across stages and join a line to its span. Field
 * values are ids, states and numbers; request content and secrets are never logged (callers pass no user
 * data, and `redact` guards known secret shapes).
 */
import { context, isSpanContextValid, trace } from '@opentelemetry/api';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

// Shapes that must never reach a log sink even if a caller slips: API keys, SAS, bearer tokens, whsec_.
const SECRET_PATTERNS: readonly RegExp[] = [
  /SharedAccessKey=[^;]+/gi,
  /AccountKey=[^;]+/gi,
  /sig=[^&\s]+/gi,
  /Bearer\s+[A-Za-z0-9._~+/=-]+/g,
  /whsec_[A-Za-z0-9+/=]+/g,
  /\bpp_[a-z]+_[A-Za-z0-9]+_[A-Za-z0-9_-]+/g,
];

export function redact(text: string): string {
  return SECRET_PATTERNS.reduce((value, pattern) => value.replace(pattern, '[redacted]'), text);
}

export type LogSink = (level: LogLevel, line: string) => void;

export const consoleSink: LogSink = (level, line) => {
  if (level === 'error' || level === 'warn') console.error(line);
  else console.log(line);
};

export function createLogger(options: { level?: LogLevel; sink?: LogSink; fields?: LogFields } = {}): Logger {
  const minimum = LEVEL_ORDER[options.level ?? 'info'];
  const sink = options.sink ?? consoleSink;
  const base = options.fields ?? {};
  const write = (level: LogLevel, event: string, fields: LogFields = {}) => {
    if (LEVEL_ORDER[level] < minimum) return;
    const active = trace.getSpanContext(context.active());
    const span =
      active && isSpanContextValid(active) ? { traceId: active.traceId, spanId: active.spanId } : {};
    const record = { time: new Date().toISOString(), level, event, ...span, ...base, ...fields };
    // Each value on its own: a pattern run over the whole line could swallow the quotes after a secret.
    sink(
      level,
      JSON.stringify(record, (_key, value: unknown) => (typeof value === 'string' ? redact(value) : value)),
    );
  };
  return {
    debug: (event, fields) => write('debug', event, fields),
    info: (event, fields) => write('info', event, fields),
    warn: (event, fields) => write('warn', event, fields),
    error: (event, fields) => write('error', event, fields),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

export function errorFields(error: unknown): LogFields {
  if (error instanceof Error) return { errorName: error.name, errorMessage: redact(error.message) };
  return { errorMessage: redact(String(error)) };
}
