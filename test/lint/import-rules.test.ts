/**
 * `npm run lint` runs dependency-cruiser with .dependency-cruiser.cjs over functions/ and shared/. These
 * tests run the same config on small fixture trees, so a rule that silently stopped matching (a path
 * pattern, an option) fails here rather than letting a cycle or a layering break through.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const run = promisify(execFile);
let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function cruise(files: Record<string, string>): Promise<{ ok: boolean; output: string }> {
  dir = mkdtempSync(join(tmpdir(), 'pp-depcruise-'));
  copyFileSync(join(ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }),
  );
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  try {
    // Only the roots the fixture has: the CLI refuses a folder that does not exist.
    const roots = ['functions', 'shared'].filter((root) =>
      Object.keys(files).some((path) => path.startsWith(`${root}/`)),
    );
    const { stdout } = await run(process.execPath, [CLI, ...roots, '--config', '.dependency-cruiser.cjs'], {
      cwd: dir,
    });
    return { ok: true, output: stdout };
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${stdout ?? ''}${stderr ?? ''}` || String(error) };
  }
}

describe('the import rules npm run lint enforces', () => {
  it('pass a tree without cycles', async () => {
    const result = await cruise({
      'shared/a.ts': "import { b } from './b.js';\nexport const a = b + 1;\n",
      'shared/b.ts': 'export const b = 1;\n',
      'functions/f.ts': "import { a } from '../shared/a.js';\nexport const f = a;\n",
    });
    expect(result.ok, result.output).toBe(true);
  });

  it('fail on a cycle, type-only imports included', async () => {
    const result = await cruise({
      'shared/a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\n",
      'shared/b.ts': "import type { A } from './a.js';\nexport interface B { a?: A }\n",
    });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/no-cycles/);
  });

  it('fail when shared/ or functions/ import local/', async () => {
    const result = await cruise({
      'local/dev.ts': 'export const dev = 1;\n',
      'shared/a.ts': "import { dev } from '../local/dev.js';\nexport const a = dev;\n",
      'functions/f.ts': "import { dev } from '../local/dev.js';\nexport const f = dev;\n",
    });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/shared-without-host/);
    expect(result.output).toMatch(/functions-without-local/);
  });
});
