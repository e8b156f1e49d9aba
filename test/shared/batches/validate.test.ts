import { describe, expect, it } from 'vitest';
import { validateInput } from '../../../shared/batches/validate.js';
import { batchDeps, line, storeInput } from './fakes.js';

const ENDPOINT = '/v1/chat/completions';

describe('validateInput', () => {
  it('counts the lines and the valid ones; a bad line does not fail the file', async () => {
    const deps = batchDeps();
    const file = await storeInput(deps, 't1', [line('a'), line('b', { method: 'GET' }), line('c')]);
    expect(await validateInput(deps, 't1', file.id, ENDPOINT)).toEqual({
      ok: true,
      total: 3,
      valid: 2,
      invalid: 1,
    });
  });

  it('fails on a duplicate custom_id, naming its line (even when the first one was a bad line)', async () => {
    const deps = batchDeps();
    const file = await storeInput(deps, 't1', [line('a', { method: 'GET' }), line('b'), line('a')]);
    expect(await validateInput(deps, 't1', file.id, ENDPOINT)).toEqual({
      ok: false,
      errors: [expect.objectContaining({ code: 'duplicate_custom_id', line: 3, param: 'custom_id' })],
    });
  });

  it('fails on a line that is not JSON, an empty line, too many lines, an empty file, a missing file', async () => {
    const cases: Array<[string, string, number | null]> = [
      [`${line('a')}\nnot json\n`, 'invalid_json_line', 2],
      [`${line('a')}\n\n${line('b')}\n`, 'invalid_json_line', 2],
      [`${line('a')}\n${line('b')}\n${line('c')}\n`, 'too_many_tasks', 3],
      ['', 'empty_file', null],
      [`${'x'.repeat(200)}\n`, 'invalid_json_line', 1],
    ];
    for (const [raw, code, at] of cases) {
      const deps = batchDeps({ maxLines: 2, maxLineBytes: 150 });
      const file = await storeInput(deps, 't1', [], raw);
      expect(await validateInput(deps, 't1', file.id, ENDPOINT), code).toEqual({
        ok: false,
        errors: [expect.objectContaining({ code, line: at })],
      });
    }
    const deps = batchDeps();
    expect(await validateInput(deps, 't1', `file-${'2'.repeat(32)}`, ENDPOINT)).toEqual({
      ok: false,
      errors: [expect.objectContaining({ code: 'invalid_file', param: 'input_file_id' })],
    });
  });

  it("does not read another tenant's file", async () => {
    const deps = batchDeps();
    const file = await storeInput(deps, 't1', [line('a')]);
    expect(await validateInput(deps, 't2', file.id, ENDPOINT)).toMatchObject({ ok: false });
  });
});
