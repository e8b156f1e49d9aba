/**
 * The logger the dev host writes to. Structurally the same as shared/telemetry's Logger, so the local
 * stack can pass that one; the default writes one JSON line per event to the console.
 */
export type DevHostLogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface DevHostLogger {
  debug(event: string, fields?: DevHostLogFields): void;
  info(event: string, fields?: DevHostLogFields): void;
  warn(event: string, fields?: DevHostLogFields): void;
  error(event: string, fields?: DevHostLogFields): void;
}

function write(level: string, event: string, fields: DevHostLogFields = {}): void {
  const line = JSON.stringify({ time: new Date().toISOString(), level, event, ...fields });
  if (level === 'error' || level === 'warn') console.error(line);
  else console.log(line);
}

export const consoleLogger: DevHostLogger = {
  debug: () => {},
  info: (event, fields) => write('info', event, fields),
  warn: (event, fields) => write('warn', event, fields),
  error: (event, fields) => write('error', event, fields),
};

/** An error's name and message for a log line; never the stack of a request's internals to a client. */
export function describeError(error: unknown): { errorName: string; errorMessage: string } {
  if (error instanceof Error) return { errorName: error.name, errorMessage: error.message };
  return { errorName: typeof error, errorMessage: String(error) };
}
