import { describe, expect, it } from 'vitest';
import { DemandMeter } from '../../../../shared/model/coordination/demand-meter.js';

describe('demand meter', () => {
  // A window of 1 s holding 1,000 tokens and 10 requests of the deployment's quota.
  const meter = () => new DemandMeter(1_000, 1_000, 10);

  it('reports what was asked over the last window, with a fifth more as room to grow', () => {
    const m = meter();
    m.record(250, 0);
    m.record(250, 500);
    expect(m.fraction(600)).toBeCloseTo(0.6);
    expect(m.fraction(1_100)).toBeCloseTo(0.3); // the first ask left the window
    expect(m.fraction(1_500)).toBe(0);
  });

  it('keeps counting a paced call until it is due back, and caps at the whole quota', () => {
    const m = meter();
    m.record(400, 0, 5_000);
    expect(m.fraction(4_000)).toBeCloseTo(0.48);
    expect(m.fraction(5_999)).toBeCloseTo(0.48);
    expect(m.fraction(6_000)).toBe(0);
    for (let i = 0; i < 20; i += 1) m.record(100, 7_000);
    expect(m.fraction(7_000)).toBe(1);
  });

  it('counts requests too, for deployments whose request limit binds first', () => {
    const m = meter();
    for (let i = 0; i < 5; i += 1) m.record(1, 0);
    expect(m.fraction(1)).toBeCloseTo(0.6); // 5 of 10 requests, though only 5 of 1,000 tokens
  });
});
