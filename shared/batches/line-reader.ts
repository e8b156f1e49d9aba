/**
 * The lines of a stored file, read as it streams from Blob Storage: at most one unfinished line is held,
 * never the file (a 200 MB input is read in the download's chunks). Lines are numbered from 1 as OpenAI's
 * `errors.data[].line` counts them; CRLF endings are accepted and a final newline ends the last line.
 */
const NEWLINE = 0x0a;
const decoder = new TextDecoder('utf-8', { fatal: true });

export interface FileLine {
  readonly number: number;
  /** The line as text; undefined when it is not UTF-8. */
  readonly text: string | undefined;
}

export class LineTooLongError extends Error {
  constructor(readonly line: number) {
    super(`line ${line} is longer than the limit`);
  }
}

export async function* readLines(
  source: AsyncIterable<Uint8Array>,
  maxLineBytes: number,
): AsyncGenerator<FileLine> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let number = 0;
  const end = (tail: Buffer): FileLine => {
    const raw = pending.length === 0 ? tail : Buffer.concat([...pending, tail]);
    pending = [];
    pendingBytes = 0;
    number += 1;
    if (raw.length > maxLineBytes) throw new LineTooLongError(number);
    const line = raw.at(-1) === 0x0d ? raw.subarray(0, -1) : raw;
    let text: string | undefined;
    try {
      text = decoder.decode(line);
    } catch {
      text = undefined;
    }
    return { number, text };
  };
  for await (const piece of source) {
    const chunk = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    let start = 0;
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, start)) {
      yield end(chunk.subarray(start, at));
      start = at + 1;
    }
    if (start < chunk.length) {
      pendingBytes += chunk.length - start;
      if (pendingBytes > maxLineBytes) throw new LineTooLongError(number + 1);
      // Copied: the stream may reuse the chunk's memory once we move on.
      pending.push(Buffer.from(chunk.subarray(start)));
    }
  }
  if (pendingBytes > 0) yield end(Buffer.alloc(0));
}
