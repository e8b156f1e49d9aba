/**
 * The chaos suite at CI size (bench/chaos/): 200 jobs through the local stack over HTTP and the intake
 * queue under every injected fault at once, then the end-of-run checks. `npm run chaos` is the full
 * 1,000-job run (docs/reliability.md).
 */
import { describe, expect, it } from 'vitest';
import { formatResult, runChaos } from '../../bench/chaos/run.js';

const JOBS = Number(process.env.CHAOS_CI_JOBS ?? 200);

/**
 * The checks that must hold in CI: all of them. A host instance killed between the model's answer and
 * keeping it leaves a charge nobody saw; the charge check accepts it only when the job counts the call as
 * an attempt and flags it (usage.unseenCalls; docs/reliability.md, finding 1).
 */
const CI_CHECKS = [
  'every job terminal within the bound',
  'none lost',
  'exactly one terminal state per job',
  'at most one model charge per job attempt, each recorded or flagged unseen',
  'every webhook duplicate carries the same webhook-id',
  'usage totals equal the sum over jobs',
  'no dead letter left unexplained',
];

describe('chaos (CI size)', () => {
  it(`keeps every one of ${JOBS} jobs under many faults at once`, async () => {
    const result = await runChaos({
      jobs: JOBS,
      seed: 20_240_615,
      rate: 20,
      settleBoundMs: 60_000,
      // As it happens: a run slower than the test's timeout still shows how far it got.
      log: (line) => console.log(line),
    });
    console.log(formatResult(result).join('\n'));
    const byName = new Map(result.checks.map((check) => [check.name, check]));
    for (const name of CI_CHECKS) {
      expect({ name, evidence: byName.get(name)?.evidence }).toEqual({ name, evidence: [] });
    }
    // The run itself; closing the stack after it takes a few seconds more.
    expect(result.runMs).toBeLessThan(100_000);
  }, 150_000);
});
