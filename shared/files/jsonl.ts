/**
 * JSONL checked while it streams: every line a JSON object, the file and each line within their limits,
 * lines counted, and the bytes passed on unchanged to storage as they arrive. Memory stays bounded by the
 * longest line (FILES_MAX_LINE_BYTES), never the file: lines are parsed one at a time and dropped.
 * A trailing newline is allowed; CRLF endings are accepted; an empty line anywhere else is an error, as
 * it is not a request.
 */
import { PayloadTooLargeError, ValidationError, type FieldIssue } from '../errors/index.js';
import type { FileLimits } from './file.js';

/** 413 that names the field, like a 400 does (problem+json `errors`). */
export class FileTooLargeError extends PayloadTooLargeError {
  readonly issues: readonly FieldIssue[];
  constructor(detail: string, limitBytes: number) {
    super(detail, limitBytes);
    this.issues = [{ field: 'file', message: detail }];
  }
}

const NEWLINE = 0x0a;
const decoder = new TextDecoder('utf-8', { fatal: true });

export class JsonlValidator {
  bytes = 0;
  lines = 0;
  /** Pieces of the line not yet ended by a newline. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly limits: FileLimits) {}

  /** Passes `source` through, checking it; throws (ending the upload) at the first problem. */
  async *check(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      this.bytes += chunk.byteLength;
      if (this.bytes > this.limits.maxBytes)
        throw new FileTooLargeError(`The file exceeds ${this.limits.maxBytes} bytes.`, this.limits.maxBytes);
      this.scan(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      yield chunk;
    }
    this.finish();
  }

  private scan(chunk: Buffer): void {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      this.endLine(chunk.subarray(start, end));
      start = end + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
  }

  private append(piece: Buffer): void {
    if (piece.length === 0) return;
    this.pendingBytes += piece.length;
    if (this.pendingBytes > this.limits.maxLineBytes)
      throw this.invalid(`line ${this.lines + 1} is longer than ${this.limits.maxLineBytes} bytes`);
    // Copied: the chunk's memory may be reused by the stream once we yield it.
    this.pending.push(Buffer.from(piece));
  }

  /** Ends the current line with `tail` (its last piece, parsed in place when it is the whole line). */
  private endLine(tail: Buffer = Buffer.alloc(0)): void {
    if (this.pendingBytes + tail.length > this.limits.maxLineBytes)
      throw this.invalid(`line ${this.lines + 1} is longer than ${this.limits.maxLineBytes} bytes`);
    const raw = this.pending.length === 0 ? tail : Buffer.concat([...this.pending, tail]);
    this.pending = [];
    this.pendingBytes = 0;
    const line = raw.at(-1) === 0x0d ? raw.subarray(0, -1) : raw;
    this.lines += 1;
    if (this.lines > this.limits.maxLines)
      throw this.invalid(
        `more than ${this.limits.maxLines} lines`,
        `The file has more than ${this.limits.maxLines} lines.`,
      );
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(line));
    } catch {
      throw this.invalid(`line ${this.lines} is not valid JSON`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw this.invalid(`line ${this.lines} is not a JSON object`);
  }

  private finish(): void {
    if (this.pendingBytes > 0) this.endLine();
    if (this.lines === 0) throw this.invalid('the file is empty', 'The file is empty.');
  }

  private invalid(message: string, detail = `The file is not valid JSONL: ${message}.`): ValidationError {
    return new ValidationError(detail, [{ field: 'file', message }]);
  }
}
