/**
 * `npm run infra:build` fails on what it guards against: a compiler warning (an API version the linter
 * calls stale, a property the resource type does not have) and a suppression without a written reason.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBicep, repoRoot, runBicep } from '../../infra/scripts/bicep.js';
import {
  configSuppressionProblems,
  diagnosticsIn,
  suppressionProblemsIn,
} from '../../infra/scripts/build.js';
import { compilerAvailable } from './compiled.js';

describe('suppressions need a written reason', () => {
  it.each([
    ['#disable-next-line no-unused-params', 1],
    ['#disable-next-line no-unused-params // ok', 1],
    ['#disable-diagnostics', 1],
    ['#disable-next-line no-unused-params // the parameter is part of the module contract for azd', 0],
  ])('%s', (line, count) => {
    expect(suppressionProblemsIn(`param x string\n${line}\nparam y string\n`, 'x.bicep')).toHaveLength(count);
  });

  it('a rule turned off in bicepconfig.json needs a // reason on its line', () => {
    expect(configSuppressionProblems('"no-unused-vars": { "level": "off" },')).toHaveLength(1);
    expect(
      configSuppressionProblems(
        '"no-unused-vars": { "level": "off" }, // generated variables are kept for readers',
      ),
    ).toEqual([]);
    expect(configSuppressionProblems(readFileSync(join(repoRoot, 'bicepconfig.json'), 'utf8'))).toEqual([]);
  });
});

describe.skipIf(!compilerAvailable)('the compiler reports a broken template', () => {
  const dir = mkdtempSync(join(tmpdir(), 'infra-broken-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a stale API version and an unknown property are warnings, which fail the build', () => {
    cpSync(join(repoRoot, 'infra'), join(dir, 'infra'), {
      recursive: true,
      filter: (path) => !path.includes('.build'),
    });
    cpSync(join(repoRoot, 'bicepconfig.json'), join(dir, 'bicepconfig.json'));
    const module = join(dir, 'infra', 'modules', 'servicebus.bicep');
    writeFileSync(
      module,
      readFileSync(module, 'utf8')
        .replace(
          "'Microsoft.ServiceBus/namespaces@2026-01-01'",
          "'Microsoft.ServiceBus/namespaces@2022-10-01-preview'",
        )
        .replace('disableLocalAuth: true', 'disableLocalAuth: true\n    disableLocalAuthh: true'),
    );
    const bicep = findBicep();
    if (!bicep) throw new Error('no compiler');
    const run = runBicep(bicep, ['lint', module]);
    const codes = diagnosticsIn(`${run.stdout}\n${run.stderr}`).map((d) => `${d.level} ${d.code}`);
    expect(codes).toContain('Warning use-recent-api-versions');
    expect(codes.some((code) => /^Warning BCP\d+$/.test(code))).toBe(true);
  });
});
