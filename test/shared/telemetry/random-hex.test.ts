import { describe, expect, it } from 'vitest';
import { randomHex } from '../../../shared/telemetry/random-hex.js';
import {
  childSpan,
  newTrace,
  parseTraceparent,
  formatTraceparent,
} from '../../../shared/telemetry/trace-context.js';

describe('randomHex (pooled trace and span ids)', () => {
  it('gives lowercase hex of twice the byte count, never the same id twice across pool refills', () => {
    const ids = Array.from({ length: 2_000 }, () => randomHex(16)); // 32 KB: eight refills of the pool
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('serves requests larger than the pool', () => {
    expect(randomHex(5_000)).toMatch(/^[0-9a-f]{10000}$/);
  });

  it('makes valid W3C trace contexts', () => {
    const trace = newTrace();
    const child = childSpan(trace);
    expect(child.traceId).toBe(trace.traceId);
    expect(child.spanId).not.toBe(trace.spanId);
    expect(parseTraceparent(formatTraceparent(child))).toEqual(child);
  });
});
