import { describe, expect, it } from 'vitest';
import { RingBuffer } from '../../../local/dashboard/ring-buffer.js';

describe('the ring buffer', () => {
  it('keeps the newest `capacity` items, oldest first', () => {
    const buffer = new RingBuffer<number>(3);
    expect(buffer.toArray()).toEqual([]);
    expect(buffer.last()).toBeUndefined();
    for (let i = 1; i <= 7; i += 1) buffer.push(i);
    expect(buffer.toArray()).toEqual([5, 6, 7]);
    expect(buffer.size).toBe(3);
    expect(buffer.last()).toBe(7);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new RingBuffer(0)).toThrow(/positive integer/);
    expect(() => new RingBuffer(1.5)).toThrow(/positive integer/);
  });
});
