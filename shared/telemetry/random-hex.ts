/**
 * Random hex ids for traces and spans from a pooled CSPRNG buffer. Every submission and stage hop needs
 * two or three of them, and `crypto.randomBytes` per id costs a native job and a fresh buffer each time
 * (visible at a few % of the front door's CPU); refilling one 4 KB pool with `randomFillSync` costs the
 * same entropy once per ~170 ids. The bytes are as random as randomBytes' own.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

/** `bytes` random bytes as lowercase hex (2 x bytes characters); each byte is handed out once. */
export function randomHex(bytes: number): string {
  if (bytes > POOL_BYTES) return randomFillSync(Buffer.alloc(bytes)).toString('hex');
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}
