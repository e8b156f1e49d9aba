/**
 * A deployment missing one handler module (a broken package, a bad publish): the worker must still start,
 * register every function and serve the others; the preload logs the failure, and an invocation of a
 * function in that group fails with the real import error, on each attempt, instead of crashing the
 * worker at start-up. Run in a plain Node process, as the Functions worker would load the entry.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionManifest, HANDLER_GROUPS } from '../../functions/manifest.js';
import { runEntryProbe, type ProbeResult } from './entry-probe.js';
import { transpileApp, type TranspiledApp } from './transpiled-app.js';

describe('an entry whose usage handler module is missing', () => {
  let app: TranspiledApp;
  let result: ProbeResult;

  beforeAll(() => {
    app = transpileApp();
    rmSync(join(app.dir, 'functions/http/usage.js'));
    result = runEntryProbe(app, 'getUsage');
  });

  afterAll(() => app?.remove());

  it('still registers every function during the import', () => {
    expect(result.atImport).toBe(functionManifest.length);
  });

  it('preloads the other groups and logs the one that failed, without crashing', () => {
    expect(result.failed).toEqual(['usage']);
    expect(result.loaded.sort()).toEqual(HANDLER_GROUPS.filter((group) => group !== 'usage').sort());
    const logged = result.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { event?: string; group?: string; error?: string })
      .filter((line) => line.event === 'functions.preload_failed');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.group).toBe('usage');
    expect(logged[0]?.error).toContain('usage.js');
  });

  it('fails an invocation of that group with the import error (the retry itself: lazy-handlers.test.ts)', () => {
    expect(result.invocation?.ok).toBe(false);
    expect(result.invocation?.code).toBe('ERR_MODULE_NOT_FOUND');
    expect(result.invocation?.error).toContain('usage.js');
  });
});
