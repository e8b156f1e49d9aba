/**
 * Reads a request body with a byte limit enforced BEFORE and WHILE reading: a declared
 * Content-Length over the limit is refused without reading a byte, and a body that grows past the
 * limit (chunked, or lying about its length) is cancelled at the first chunk that crosses it. Only
 * then is anything parsed. Bytes must be valid UTF-8 (RFC 8259 §8.1 for JSON).
 */
import { PayloadTooLargeError, ValidationError } from '../../shared/errors/index.js';

export type BodySource = AsyncIterable<Uint8Array> | null | undefined;

export async function readBodyWithLimit(
  body: BodySource,
  contentLength: string | null,
  limitBytes: number,
): Promise<Buffer> {
  if (contentLength !== null) {
    const declared = Number(contentLength);
    if (!/^\d+$/.test(contentLength.trim()) || !Number.isSafeInteger(declared)) {
      throw new ValidationError('Content-Length is not a valid length.');
    }
    if (declared > limitBytes) throw tooLarge(limitBytes);
  }
  if (!body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    // Leaving the loop cancels the underlying stream: we stop reading the attacker's bytes now.
    if (total > limitBytes) throw tooLarge(limitBytes);
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(chunks, total);
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new ValidationError('The request body is not valid UTF-8.');
  }
}

function tooLarge(limitBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`The request body exceeds ${limitBytes} bytes.`, limitBytes);
}
