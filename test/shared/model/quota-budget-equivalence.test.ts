/**
 * The QuotaBudget keeps its window with running totals and binary searches; the reference is the plain
 * O(n) version it replaced. Both get the same random options and the same random calls, and every answer
 * (and every reservation, which callers read back after a restamp) must be the same.
 *
 * The clock only moves forward and every time passed is at most the current time, as in the model client
 * (reserve at the planning time, restamp with the send time, responses and 429s with the time they came).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  QuotaBudget,
  type QuotaBudgetOptions,
  type Reservation,
} from '../../../shared/model/quota-budget.js';
import type { RateLimitSnapshot } from '../../../shared/model/rate-limit-headers.js';
import { ReferenceQuotaBudget } from './quota-budget-reference.js';

/**
 * Multiples of 10 ms: windows, margins and steps on the same grid make `now` land exactly on a charge's
 * expiry often, where `>` against `>=` matters.
 */
const tens = (min: number, max: number) => fc.integer({ min, max }).map((n) => n * 10);
const windowArbitrary = fc.oneof(
  fc.integer({ min: 50, max: 5_000 }),
  tens(5, 300),
  fc.constantFrom(1_000, 10_000, 60_000),
);

/** Small windows and limits, so that charges expire, limits are reached and the waits are computed. */
const optionsArbitrary: fc.Arbitrary<QuotaBudgetOptions> = fc.record(
  {
    tokensPerMinute: fc.integer({ min: 1, max: 300_000 }),
    requestsPerMinute: fc.integer({ min: 1, max: 6_000 }),
    tokenWindowMs: windowArbitrary,
    requestWindowMs: windowArbitrary,
    share: fc.oneof(fc.constant(1), fc.double({ min: 0.05, max: 1, noNaN: true })),
    expiryMarginMs: fc.oneof(fc.integer({ min: 0, max: 300 }), tens(0, 30)),
  },
  { requiredKeys: ['tokensPerMinute', 'requestsPerMinute', 'tokenWindowMs', 'requestWindowMs', 'share'] },
);

const tokensArbitrary = fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 5_000 }));
/** Which earlier reservation a command refers to (modulo how many there are). */
const pick = fc.nat({ max: 1_000 });
/** Time passing before a command: often none (several calls in the same ms), sometimes a whole window. */
const stepArbitrary = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 20 }),
  fc.integer({ min: 0, max: 400 }),
  fc.integer({ min: 0, max: 3_000 }),
  tens(0, 20),
  tens(0, 300),
);
/** Remaining quota as a share of the per-minute limit, so both small and large external usage show up. */
const remainingArbitrary = fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined });

type Command =
  | { kind: 'wait'; tokens: number; reserveIfFree: boolean }
  | { kind: 'reserve'; tokens: number }
  | { kind: 'restamp'; which: number; back: number }
  | { kind: 'release'; which: number }
  | { kind: 'response'; which: number; tokens: number | undefined; requests: number | undefined }
  | {
      kind: 'throttled';
      which: number;
      retryAfterMs: number | undefined;
      sentAt: 'reservation' | 'none' | number;
    }
  | { kind: 'snapshot' }
  | { kind: 'limits' };

const commandArbitrary: fc.Arbitrary<{ step: number; command: Command }> = fc.record({
  step: stepArbitrary,
  command: fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('wait' as const),
        tokens: tokensArbitrary,
        reserveIfFree: fc.boolean(),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('reserve' as const), tokens: tokensArbitrary }) },
    {
      weight: 3,
      // Sent up to 300 ms before now: before the reservation (nothing to do) or after it (a later stamp).
      arbitrary: fc.record({
        kind: fc.constant('restamp' as const),
        which: pick,
        back: fc.integer({ min: 0, max: 300 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), which: pick }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('response' as const),
        which: pick,
        tokens: remainingArbitrary,
        requests: remainingArbitrary,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('throttled' as const),
        which: pick,
        retryAfterMs: fc.option(fc.integer({ min: 0, max: 5_000 }), { nil: undefined }),
        sentAt: fc.oneof(
          fc.constant('reservation' as const),
          fc.constant('none' as const),
          fc.integer({ min: 0, max: 2_000 }),
        ),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'snapshot' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'limits' as const }) },
  ),
});

/** Runs the commands on both budgets, asserting after each one that they answered alike. */
function runBoth(options: QuotaBudgetOptions, commands: readonly { step: number; command: Command }[]): void {
  const budget = new QuotaBudget(options);
  const reference = new ReferenceQuotaBudget(options);
  const reservations: { actual: Reservation; expected: Reservation }[] = [];
  const reserve = (tokens: number, now: number) => {
    const actual = budget.reserve(tokens, now);
    const expected = reference.reserve(tokens, now);
    expect(actual).toEqual(expected);
    reservations.push({ actual, expected });
  };
  let now = 1_000_000;
  for (const { step, command } of commands) {
    now += step;
    const chosen =
      'which' in command ? reservations[command.which % Math.max(1, reservations.length)] : undefined;
    switch (command.kind) {
      case 'wait': {
        const wait = budget.waitMs(command.tokens, now);
        expect(wait).toBe(reference.waitMs(command.tokens, now));
        // As the client does: reserve only when the budget admits the request now.
        if (wait === 0 && command.reserveIfFree) reserve(command.tokens, now);
        break;
      }
      case 'reserve':
        reserve(command.tokens, now);
        break;
      case 'restamp':
        if (!chosen) break;
        budget.restamp(chosen.actual, now - command.back);
        reference.restamp(chosen.expected, now - command.back);
        break;
      case 'release':
        if (!chosen) break;
        budget.release(chosen.actual);
        reference.release(chosen.expected);
        break;
      case 'response': {
        if (!chosen) break;
        const rateLimit: RateLimitSnapshot = {
          ...(command.tokens === undefined
            ? {}
            : { remainingTokens: Math.round(command.tokens * options.tokensPerMinute) }),
          ...(command.requests === undefined
            ? {}
            : { remainingRequests: Math.round(command.requests * options.requestsPerMinute) }),
        };
        budget.onResponse(chosen.actual, rateLimit, now);
        reference.onResponse(chosen.expected, rateLimit, now);
        break;
      }
      case 'throttled': {
        const sentAt =
          command.sentAt === 'none'
            ? undefined
            : command.sentAt === 'reservation'
              ? chosen?.expected.at
              : now - command.sentAt;
        budget.onThrottled(command.retryAfterMs, now, sentAt);
        reference.onThrottled(command.retryAfterMs, now, sentAt);
        break;
      }
      case 'snapshot':
        expect(budget.snapshot(now)).toEqual(reference.snapshot(now));
        break;
      case 'limits':
        expect(budget.limits()).toEqual(reference.limits());
        break;
    }
    // Callers read a reservation's `at` back (onThrottled's sentAt), so restamps must move the same ones.
    if (chosen) expect(chosen.actual.at).toBe(chosen.expected.at);
  }
  expect(budget.snapshot(now)).toEqual(reference.snapshot(now));
  expect(reservations.map((r) => r.actual)).toEqual(reservations.map((r) => r.expected));
}

describe('QuotaBudget against the O(n) reference', () => {
  it('answers every call of short random sequences exactly as the reference does', () => {
    fc.assert(fc.property(optionsArbitrary, fc.array(commandArbitrary, { maxLength: 150 }), runBoth), {
      numRuns: 3_000,
    });
  });

  it('answers alike over long sequences, where thousands of charges are live and the window compacts', () => {
    // Short steps and a long token window keep many charges live; the longer steps make them expire.
    const longCommands = fc.array(
      fc.record({
        step: fc.oneof(fc.integer({ min: 0, max: 15 }), stepArbitrary),
        command: commandArbitrary.map((c) => c.command),
      }),
      { minLength: 2_000, maxLength: 4_000 },
    );
    fc.assert(fc.property(optionsArbitrary, longCommands, runBoth), {
      numRuns: 15,
      // Shrinking thousands of commands against the O(n) reference takes minutes; the short test shrinks.
      endOnFailure: true,
    });
  });
});
