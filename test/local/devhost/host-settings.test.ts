import { describe, expect, test } from 'vitest';
import { parseTimeSpanMs, readHostSettings, toHostSettings } from '../../../local/devhost/index.js';

describe('host settings', () => {
  test('reads the project host.json', () => {
    expect(readHostSettings()).toEqual({
      routePrefix: 'api',
      serviceBus: {
        maxConcurrentCalls: 32,
        autoCompleteMessages: true,
        maxAutoLockRenewalDurationMs: 5 * 60_000,
        prefetchCount: 0,
        clientRetry: {
          mode: 'exponential',
          delayMs: 800,
          maxDelayMs: 60_000,
          maxRetries: 3,
          tryTimeoutMs: 60_000,
        },
      },
    });
  });

  test('falls back to the Functions runtime defaults', () => {
    expect(toHostSettings({ version: '2.0' })).toEqual({
      routePrefix: 'api',
      serviceBus: {
        maxConcurrentCalls: 16,
        autoCompleteMessages: true,
        maxAutoLockRenewalDurationMs: 300_000,
        prefetchCount: 0,
        clientRetry: {
          mode: 'exponential',
          delayMs: 800,
          maxDelayMs: 60_000,
          maxRetries: 3,
          tryTimeoutMs: 60_000,
        },
      },
    });
    expect(toHostSettings({ extensions: { http: { routePrefix: '' } } }).routePrefix).toBe('');
  });

  test('rejects settings of the wrong type', () => {
    expect(() => toHostSettings({ extensions: { serviceBus: { maxConcurrentCalls: 'many' } } })).toThrow();
  });

  test('parses .NET TimeSpan text', () => {
    expect(parseTimeSpanMs('00:05:00')).toBe(300_000);
    expect(parseTimeSpanMs('00:00:00.80')).toBe(800);
    expect(parseTimeSpanMs('1.02:03:04.5')).toBe(((26 * 60 + 3) * 60 + 4.5) * 1000);
    expect(() => parseTimeSpanMs('5 minutes')).toThrow(/TimeSpan/);
  });
});
