import type { DevHostLogFields, DevHostLogger } from '../../../local/devhost/index.js';

export interface LogLine {
  readonly level: string;
  readonly event: string;
  readonly fields: DevHostLogFields;
}

/** Keeps the host's log lines so tests can assert on what was logged. */
export function memoryLogger(): DevHostLogger & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (event: string, fields: DevHostLogFields = {}) =>
      void lines.push({ level, event, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
