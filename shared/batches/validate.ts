/**
 * Validation of a batch's input file, the first pass (status `validating`): the file read as it streams,
 * every line parsed and checked, custom_ids checked for duplicates. Problems with the file as a whole
 * (not JSONL, over the limits, empty, duplicate custom_ids, gone) fail the batch with OpenAI's
 * `errors.data[]`; a bad line only counts as failed and goes to the error file at the end.
 *
 * Memory: one line at a time plus one 16-byte digest per custom_id (1.6 MB at 100,000 lines), never the file.
 */
import { createHash } from 'node:crypto';
import type { BatchError } from './batch.js';
import type { BatchDeps } from './deps.js';
import { LineTooLongError, readLines } from './line-reader.js';
import { checkLine, customIdOf } from './lines.js';

export type Validation =
  | { readonly ok: true; readonly total: number; readonly valid: number; readonly invalid: number }
  | { readonly ok: false; readonly errors: BatchError[] };

export async function validateInput(
  deps: Pick<BatchDeps, 'files' | 'settings' | 'knownModel' | 'admission'>,
  tenantId: string,
  fileId: string,
  endpoint: string,
): Promise<Validation> {
  const content = await deps.files.content(tenantId, fileId);
  if (!content) return fail('invalid_file', `The input file ${fileId} no longer exists.`, 'input_file_id');
  const limits = (await deps.admission.tenant(tenantId))?.limits;
  const seen = new Set<string>();
  let total = 0;
  let valid = 0;
  try {
    for await (const line of readLines(content.stream, deps.settings.maxLineBytes)) {
      total = line.number;
      if (total > deps.settings.maxLines)
        return fail(
          'too_many_tasks',
          `The file has more than ${deps.settings.maxLines} requests.`,
          null,
          total,
        );
      const value = parse(line.text);
      if (value === undefined)
        return fail('invalid_json_line', `Line ${line.number} is not valid JSON.`, null, line.number);
      const customId = customIdOf(value);
      if (customId !== null) {
        const digest = createHash('sha256').update(customId).digest('base64').slice(0, 22);
        if (seen.has(digest))
          return fail(
            'duplicate_custom_id',
            `The custom_id ${customId.slice(0, 64)} of line ${line.number} is used by an earlier line; each must be unique.`,
            'custom_id',
            line.number,
          );
        seen.add(digest);
      }
      if (checkLine(value, endpoint, deps.knownModel, limits).ok) valid += 1;
    }
  } catch (error) {
    if (error instanceof LineTooLongError)
      return fail(
        'invalid_json_line',
        `Line ${error.line} is longer than ${deps.settings.maxLineBytes} bytes.`,
        null,
        error.line,
      );
    throw error;
  }
  if (total === 0) return fail('empty_file', 'The input file has no requests.', null);
  return { ok: true, total, valid, invalid: total - valid };
}

/** The JSON of a line; undefined when it is not UTF-8 JSON (an empty line is not JSON either). */
export function parse(text: string | undefined): unknown {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function fail(code: string, message: string, param: string | null, line: number | null = null): Validation {
  return { ok: false, errors: [{ code, message, param, line }] };
}
