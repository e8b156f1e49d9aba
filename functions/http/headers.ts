/**
 * Header limits, checked before authentication or parsing. Node already caps the header block at
 * 16 KB by default (--max-http-header-size), but the Functions host and proxies in front may allow
 * more, and we do not want to depend on the host for it.
 */
import { PayloadTooLargeError } from '../../shared/errors/index.js';

export interface HeaderLimits {
  readonly maxCount: number;
  readonly maxBytes: number;
}

export function checkHeaderLimits(headers: Iterable<[string, string]>, limits: HeaderLimits): void {
  let count = 0;
  let bytes = 0;
  for (const [name, value] of headers) {
    count += 1;
    // name + ": " + value + CRLF, as on the wire.
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 4;
    if (count > limits.maxCount) {
      throw new PayloadTooLargeError(
        `Too many request headers (at most ${limits.maxCount}).`,
        limits.maxBytes,
      );
    }
    if (bytes > limits.maxBytes) {
      throw new PayloadTooLargeError(`Request headers exceed ${limits.maxBytes} bytes.`, limits.maxBytes);
    }
  }
}
