/**
 * The client package's generated files are current: `npm run client:generate` run now, into a temporary
 * folder, writes exactly the committed clients/typescript/openapi.json and src/schema.d.ts (a route or
 * schema change without regenerating fails here), and the client's sources compile against them.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { writeClientFiles } from '../../clients/typescript/scripts/generate.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const client = join(root, 'clients', 'typescript');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pp-client-'));
  await writeClientFiles(dir);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test.each(['openapi.json', 'src/schema.d.ts'])('%s is what client:generate writes now', async (file) => {
  const fresh = await readFile(join(dir, file), 'utf8');
  const committed = await readFile(join(client, file), 'utf8');
  expect(committed === fresh, `clients/typescript/${file} is stale: run npm run client:generate`).toBe(true);
});

test('the client compiles against the regenerated types (its own tsconfig, as published)', async () => {
  // Every source of the package (the client, its helpers, the command line) beside the fresh schema.
  await cp(join(client, 'src'), join(dir, 'src'), {
    recursive: true,
    filter: (source) => !source.endsWith('schema.d.ts'),
  });
  await cp(join(client, 'tsconfig.build.json'), join(dir, 'tsconfig.build.json'));
  await cp(join(client, 'package.json'), join(dir, 'package.json'));
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.build.json'), '--noEmit'], {
    cwd: dir,
  }).catch((error: { stdout?: string; stderr?: string }) => ({
    stdout: error.stdout ?? '',
    stderr: error.stderr ?? 'failed',
  }));
  expect(`${result.stdout}${result.stderr}`).toBe('');
}, 120_000);
