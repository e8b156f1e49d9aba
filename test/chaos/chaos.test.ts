/**
 * The chaos suite at CI size (bench/chaos/): 200 jobs through the local stack over HTTP and the intake
 * queue under every injected fault at once, then the end-of-run checks. `npm run chaos` is the full
 * 1,000-job run (docs/reliability.md).
 */
import { describe, expect, it } from 'vitest';
import { formatResult, runChaos, type ChaosResult } from '../../bench/chaos/run.js';

const JOBS = Number(process.env.CHAOS_CI_JOBS ?? 200);

describe('chaos (CI size)', () => {
  let result: ChaosResult;

  it(`keeps every one of ${JOBS} jobs under many faults at once`, async () => {
    result = await runChaos({
      jobs: JOBS,
      seed: 20_240_615,
      rate: 20,
      settleBoundMs: 60_000,
      log: () => undefined,
    });
    console.log(formatResult(result).join('\n'));
    const byName = new Map(result.checks.map((check) => [check.name, check]));
    for (const name of [
      'every job terminal within the bound',
      'none lost',
      'exactly one terminal state per job',
      'at most one model charge per job attempt, each recorded',
      'every webhook duplicate carries the same webhook-id',
      'usage totals equal the sum over jobs',
      'no dead letter left unexplained',
    ]) {
      expect({ name, evidence: byName.get(name)?.evidence }).toEqual({ name, evidence: [] });
    }
    expect(result.durationMs).toBeLessThan(110_000);
  }, 150_000);
});
