/**
 * listJobs hands out opaque continuation tokens bound to the tenant and the filter, and refuses any other
 * value before the store is asked.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/errors/index.js';
import { listJobs } from '../../../shared/pipeline/reads.js';
import { sealContinuationToken } from '../../../shared/jobs/continuation-token.js';
import { acceptedInvokeMessage } from '../../fakes/job-fixtures.js';
import { fakeStage } from '../../fakes/stage-deps.js';

async function withJobs(count: number) {
  const deps = fakeStage();
  for (let i = 0; i < count; i += 1) {
    deps.now += 1_000;
    await acceptedInvokeMessage(deps);
  }
  return deps;
}

const fieldsOf = (error: unknown) => (error as ValidationError).issues.map((i) => i.field);

describe('listJobs continuation tokens', () => {
  it('pages through every job once with tokens that reveal nothing of the store’s', async () => {
    const deps = await withJobs(5);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await listJobs(deps.jobs, 't1', {
        limit: 2,
        ...(token ? { continuationToken: token } : {}),
      });
      seen.push(...page.jobs.map((j) => j.id));
      token = page.continuationToken;
      if (token) expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    } while (token);
    expect(new Set(seen).size).toBe(5);
  });

  it.each([
    ['garbage', 'garbage'],
    ['JSON', '{"token":"x"}'],
    ['a store token as is', '2'],
    ['another tenant’s', sealContinuationToken('2', { tenantId: 't2', filter: '' })],
    ['another filter’s', sealContinuationToken('2', { tenantId: 't1', filter: 'status=queued' })],
    ['a truncated check', sealContinuationToken('2', { tenantId: 't1', filter: '' }).slice(0, -1)],
  ])('refuses %s before the store is asked', async (_label, continuationToken) => {
    const deps = await withJobs(3);
    const queries = deps.jobs.operations.queries;
    const error = await listJobs(deps.jobs, 't1', { limit: 2, continuationToken }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(fieldsOf(error)).toEqual(['continuationToken']);
    expect(deps.jobs.operations.queries).toBe(queries);
  });

  it('a well-formed token whose store token the store refuses is the same 400', async () => {
    const deps = await withJobs(3);
    const forged = sealContinuationToken('{}', { tenantId: 't1', filter: '' });
    const error = await listJobs(deps.jobs, 't1', { limit: 2, continuationToken: forged }).catch(
      (e: unknown) => e,
    );
    expect(fieldsOf(error)).toEqual(['continuationToken']);
  });
});
