/**
 * The deployable zip (`npm run package`): unpacked into an empty folder, its entry (package.json `main`)
 * imports under a stand-in for the Functions worker's core API, registers every function of the manifest
 * and loads every handler module from the zip's own node_modules: nothing is missing from the package, and
 * nothing of the development tree (tests, dev dependencies, local stack) is in it.
 *
 * The worker provides `@azure/functions-core` to the app by hooking Node's module loader; the stand-in
 * does the same in a child process (a --require preload), recording setProgrammingModel, registerFunction
 * and registerHook. The zip is built here when it is missing or older than the sources (CI builds it
 * before the tests).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionManifest } from '../../functions/manifest.js';
import { repoRoot } from '../../infra/scripts/bicep.js';
import { packageIsCurrent, zipPath } from '../../infra/scripts/package.js';

const STAND_IN = `
const Module = require('node:module');
const recorded = { model: undefined, functions: [], hooks: [] };
const core = {
  setProgrammingModel(model) { recorded.model = model.name; },
  getProgrammingModel() { return undefined; },
  registerFunction(metadata) { recorded.functions.push({ name: metadata.name, bindings: metadata.bindings }); return { dispose() {} }; },
  registerHook(name) { recorded.hooks.push(name); return { dispose() {} }; },
  log() {},
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === '@azure/functions-core' ? core : load.call(this, request, ...rest);
};
globalThis.__functionsCore = recorded;
`;

const RUN = `
const manifest = JSON.parse(await (await import('node:fs/promises')).readFile('package.json', 'utf8'));
const entry = await import(new URL(manifest.main, 'file://' + process.cwd() + '/').href);
const report = await entry.handlersPreloaded;
const failed = report.failed.map(({ group, error }) => group + ': ' + (error && error.message));
process.stdout.write(JSON.stringify({ ...globalThis.__functionsCore, loaded: report.loaded, failed }));
`;

interface Recorded {
  model: string;
  functions: Array<{
    name: string;
    bindings: Record<string, { type: string; queueName?: string; route?: string }>;
  }>;
  hooks: string[];
  loaded: string[];
  failed: string[];
}

describe('the deployable zip', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-package-'));
  let files: string[] = [];
  let recorded: Recorded;

  beforeAll(() => {
    if (!packageIsCurrent()) {
      const run = spawnSync('npm', ['run', 'package', '--silent'], { cwd: repoRoot, encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`npm run package failed:\n${run.stderr}${run.stdout}`);
    }
    const entries = unzipSync(new Uint8Array(readFileSync(zipPath)));
    files = Object.keys(entries);
    for (const [name, data] of Object.entries(entries)) {
      if (name.endsWith('/')) continue;
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), data);
    }
    writeFileSync(join(dir, '..', `${dir.split('/').at(-1)}-core.cjs`), STAND_IN);
    const child = spawnSync(
      process.execPath,
      ['--require', join(dir, '..', `${dir.split('/').at(-1)}-core.cjs`), '--input-type=module', '-e', RUN],
      // A clean environment: the entry must import without configuration (config loads on first use).
      { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '' } },
    );
    if (child.status !== 0) throw new Error(`importing the entry failed:\n${child.stderr}`);
    recorded = JSON.parse(child.stdout) as Recorded;
  }, 180_000);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(dir, '..', `${dir.split('/').at(-1)}-core.cjs`), { force: true });
  });

  it('holds the entry, host.json and package.json at its root', () => {
    expect(files).toEqual(expect.arrayContaining(['host.json', 'package.json', 'dist/functions/index.js']));
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      main: string;
      devDependencies?: unknown;
    };
    expect(manifest.main).toBe('dist/functions/index.js');
    expect(manifest.devDependencies).toBeUndefined();
  });

  it('carries a production-only lock file with the same pinned versions, for a remote build', () => {
    const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; dev?: boolean }>;
    };
    const full = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as typeof lock;
    const paths = Object.keys(lock.packages).filter((path) => path !== '');
    expect(paths.length).toBeGreaterThan(50);
    for (const path of paths) {
      expect(lock.packages[path]?.dev, path).toBeUndefined();
      expect(lock.packages[path]?.version, path).toBe(full.packages[path]?.version);
    }
    expect(paths).not.toContain('node_modules/vitest');
  });

  it('holds compiled code and production dependencies only', () => {
    const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const top = new Set(
      files
        .filter((f) => f.startsWith('node_modules/'))
        .map((f) =>
          f
            .split('/')
            .slice(1, f.startsWith('node_modules/@') ? 3 : 2)
            .join('/'),
        ),
    );
    for (const name of Object.keys(root.dependencies)) expect(top, name).toContain(name);
    for (const name of ['vitest', 'typescript', 'eslint', 'prettier', 'fast-check', 'fflate'])
      expect(top, name).not.toContain(name);
    expect(
      files.filter(
        (f) =>
          /^(test|bench|local|infra|functions|shared)\//.test(f) ||
          /^dist\/(test|bench|local|infra)\//.test(f),
      ),
    ).toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/') && (f.endsWith('.ts') || f.endsWith('.map')))).toEqual(
      [],
    );
  });

  it('registers every function of the manifest with the worker', () => {
    expect(recorded.model).toBe('@azure/functions');
    expect(recorded.functions.map((f) => f.name).sort()).toEqual(functionManifest.map((e) => e.name).sort());
    for (const entry of functionManifest) {
      const registered = recorded.functions.find((f) => f.name === entry.name);
      const trigger = Object.values(registered?.bindings ?? {}).find((b) => /Trigger$/.test(b.type));
      if (entry.kind === 'http')
        expect(trigger, entry.name).toMatchObject({ type: 'httpTrigger', route: entry.route });
      else if (entry.kind === 'timer')
        expect(trigger, entry.name).toMatchObject({ type: 'timerTrigger', schedule: entry.schedule });
      else
        expect(trigger, entry.name).toMatchObject({ type: 'serviceBusTrigger', queueName: entry.queueName });
    }
    expect(recorded.hooks).toContain('appTerminate');
  });

  it('loads every handler module from the zip alone', () => {
    expect(recorded.failed).toEqual([]);
    expect(recorded.loaded.length).toBeGreaterThan(0);
  });
});
