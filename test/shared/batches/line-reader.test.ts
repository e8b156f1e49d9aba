import { describe, expect, it } from 'vitest';
import { LineTooLongError, readLines } from '../../../shared/batches/line-reader.js';

async function* chunks(...parts: Array<string | Buffer>): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield await Promise.resolve(typeof part === 'string' ? Buffer.from(part) : part);
}

async function all(source: AsyncIterable<Uint8Array>, max = 100) {
  const lines = [];
  for await (const line of readLines(source, max)) lines.push(line);
  return lines;
}

describe('readLines', () => {
  it('numbers lines from 1 across chunk boundaries, with CRLF and without a final newline', async () => {
    expect(await all(chunks('{"a"', ':1}\r\n{"b":2}\n{"c', '":3}'))).toEqual([
      { number: 1, text: '{"a":1}' },
      { number: 2, text: '{"b":2}' },
      { number: 3, text: '{"c":3}' },
    ]);
  });

  it('yields an empty line as such (the caller decides), and nothing after a final newline', async () => {
    expect(await all(chunks('x\n\ny\n'))).toEqual([
      { number: 1, text: 'x' },
      { number: 2, text: '' },
      { number: 3, text: 'y' },
    ]);
  });

  it('gives a line that is not UTF-8 no text', async () => {
    expect(await all(chunks(Buffer.from([0xff, 0xfe, 0x0a])))).toEqual([{ number: 1, text: undefined }]);
  });

  it('stops at a line over the limit, naming it, whether or not it is ended', async () => {
    await expect(all(chunks('ok\n', 'x'.repeat(11), '\n'), 10)).rejects.toEqual(new LineTooLongError(2));
    await expect(all(chunks('ok\n', 'x'.repeat(11)), 10)).rejects.toBeInstanceOf(LineTooLongError);
  });
});
