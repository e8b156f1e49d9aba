/**
 * uploadFile over an in-memory store: JSONL checked line by line as it streams (whatever the chunking),
 * small configured limits refused with the field named, and nothing stored when a check fails.
 */
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, ValidationError } from '../../../shared/errors/index.js';
import { uploadFile, type FilesDeps } from '../../../shared/files/upload.js';
import { MemoryFileStore } from '../../fakes/memory-file-store.js';

const limits = { maxBytes: 1000, maxLines: 3, maxLineBytes: 100 };

function deps(): FilesDeps & { files: MemoryFileStore } {
  return { files: new MemoryFileStore(), limits, clock: () => 1_700_000_000_000 };
}

/** The text in chunks of `size` bytes, so lines and even characters are cut across chunks. */
async function* chunks(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += size) {
    await Promise.resolve();
    yield bytes.subarray(at, at + size);
  }
}

const upload = (text: string, size = 7, purpose: string | undefined = 'batch') => ({
  tenantId: 't1',
  filename: 'in.jsonl',
  purpose: { now: () => undefined, final: () => Promise.resolve(purpose) },
  content: chunks(text, size),
});

async function refusal(d: FilesDeps, text: string, size = 7, purpose?: string) {
  return uploadFile(d, upload(text, size, purpose ?? 'batch')).then(
    () => undefined,
    (error: unknown) => error as ValidationError,
  );
}

describe('uploadFile', () => {
  it.each([1, 2, 7, 1000])(
    'stores a valid file whatever the chunk size (%i), counting lines',
    async (size) => {
      const d = deps();
      const text = '{"a":1}\r\n{"b":"é"}\n{"c":[1,2]}\n';
      const file = await uploadFile(d, upload(text, size));
      expect(file).toMatchObject({
        tenantId: 't1',
        purpose: 'batch',
        bytes: Buffer.byteLength(text),
        lines: 3,
      });
      expect(file.createdAt).toBe(1_700_000_000);
      expect(d.files.files.get(`t1/${file.id}`)?.content.toString()).toBe(text);
    },
  );

  it('accepts a last line without a newline', async () => {
    expect((await uploadFile(deps(), upload('{"a":1}\n{"b":2}'))).lines).toBe(2);
  });

  it.each([
    ['not JSON', '{"a":1}\nnope\n', 'line 2 is not valid JSON'],
    ['an array line', '[1]\n', 'line 1 is not a JSON object'],
    ['a string line', '"x"\n', 'line 1 is not a JSON object'],
    ['an empty line in the middle', '{"a":1}\n\n{"b":2}\n', 'line 2 is not valid JSON'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d, 0x0a]).toString('latin1'), 'line 1'],
    ['an empty file', '', 'the file is empty'],
  ])('refuses %s, naming the file field, and stores nothing', async (_label, text, message) => {
    const d = deps();
    const error = await refusal(d, text);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error?.issues[0]).toMatchObject({ field: 'file' });
    expect(error?.issues[0]?.message).toContain(message);
    expect(d.files.files.size).toBe(0);
  });

  it('refuses more lines than the configured limit', async () => {
    const error = await refusal(deps(), '{}\n{}\n{}\n{}\n');
    expect(error?.issues).toEqual([{ field: 'file', message: 'more than 3 lines' }]);
  });

  it('refuses a line longer than the configured limit before reading it whole', async () => {
    const error = await refusal(deps(), `{"a":"${'x'.repeat(200)}"}\n`);
    expect(error?.issues[0]?.message).toContain('longer than 100 bytes');
  });

  it('refuses a file over the byte limit with 413, naming the file field', async () => {
    const line = `{"a":"${'x'.repeat(80)}"}\n`;
    const error = await refusal({ ...deps(), limits: { ...limits, maxLines: 100 } }, line.repeat(20), 64);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as unknown as { issues: unknown[] }).issues).toEqual([
      { field: 'file', message: expect.any(String) },
    ]);
  });

  it('refuses a purpose other than batch, sent before or after the file', async () => {
    const d = deps();
    expect((await refusal(d, '{}\n', 7, 'fine-tune'))?.issues).toEqual([
      { field: 'purpose', message: 'must be one of: batch' },
    ]);
    const early = await uploadFile(d, {
      ...upload('{}\n'),
      purpose: { now: () => 'batch_output', final: () => Promise.resolve('batch_output') },
    }).then(
      () => undefined,
      (error: unknown) => error as ValidationError,
    );
    expect(early?.issues[0]).toMatchObject({ field: 'purpose' });
    expect(d.files.files.size).toBe(0);
  });
});
