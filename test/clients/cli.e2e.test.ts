/**
 * The command line (clients/typescript/src/cli) as a producer runs it: the client package compiled with
 * its own tsconfig, as published, and its `bin` started as a real `node` process against the whole local
 * stack, with the URL and key from the environment. Submit (flags, a JSON file), wait, get, list, usage,
 * a batch of a small JSONL file (upload, create, follow, download), and refusals exiting 1 with the
 * problem's detail on stderr.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { createLogger } from '../../shared/telemetry/logger.js';
import {
  ADMIN_APP,
  CLIENT_ID,
  TID,
  newSigningKey,
  signToken,
  startJwksServer,
  type JwksServer,
} from '../shared/auth/jwks-server.js';

const root = resolve(import.meta.dirname, '../..');
let dir: string;
let bin: string;
let stack: LocalStack;
let jwks: JwksServer;
let adminToken: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pp-cli-'));
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  const signing = await newSigningKey('cli');
  jwks = await startJwksServer([signing]);
  adminToken = await signToken(signing, { azp: ADMIN_APP, roles: ['Platform.Admin'], oid: 'oid-cli' });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const build = join(root, 'clients', 'typescript', 'tsconfig.build.json');
  const [built] = await Promise.all([
    promisify(execFile)(process.execPath, [tsc, '-p', build, '--outDir', join(dir, 'dist')]),
    startLocalStack({
      port: 0,
      logger: createLogger({ level: 'error' }),
      modelLatency: { timeToFirstTokenMs: 300, perTokenMs: 1 },
      env: {
        BATCH_MIN_WINDOW_SECONDS: '1',
        JOB_WATCH_INTERVAL_MS: '200',
        // Operators: Entra tokens with the admin role, from a local JWKS (docs/security.md).
        ENTRA_TENANT_ID: TID,
        ENTRA_AUDIENCE: CLIENT_ID,
        ENTRA_JWKS_URL: jwks.url,
        ENTRA_TENANT_MAP: JSON.stringify([{ tid: TID, appId: ADMIN_APP, tenantId: 'platform-ops' }]),
      },
    }).then((started) => (stack = started)),
  ]);
  expect(built).toBeDefined();
  bin = join(dir, 'dist', 'cli', 'main.js');
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await jwks?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the binary; `whileRunning` is called every 200 ms until it exits (the batch sweep's timer). */
function cli(args: readonly string[], whileRunning?: () => Promise<void>): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        PROMPT_PIPELINE_URL: stack.apiUrl,
        PROMPT_PIPELINE_API_KEY: stack.apiKey,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let timer: NodeJS.Timeout | undefined;
    if (whileRunning) {
      const tick = () => {
        timer = setTimeout(() => void whileRunning().finally(tick), 200);
      };
      tick();
    }
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

const json = <T>(run: Run): T => {
  expect(run.stderr, run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
};

interface JobOut {
  id: string;
  status: string;
  created?: boolean;
  result?: { content: string };
  metadata?: Record<string, string>;
}

describe('jobs', () => {
  test('submit, then wait, get and list it', async () => {
    const submitted = json<JobOut>(
      await cli([
        'submit',
        'Write a haiku about terminals',
        '--max-tokens',
        '16',
        '--metadata',
        'via=cli',
        '--json',
      ]),
    );
    expect(submitted).toMatchObject({ status: 'queued', created: true, metadata: { via: 'cli' } });
    const waited = json<JobOut>(await cli(['wait', submitted.id, '--json']));
    expect(waited).toMatchObject({
      id: submitted.id,
      status: 'succeeded',
      result: { content: expect.any(String) },
    });

    const got = await cli(['get', submitted.id]);
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(new RegExp(`^id\\s+${submitted.id}$`, 'm'));
    expect(got.stdout).toMatch(/^status\s+succeeded$/m);
    const listed = json<{ jobs: JobOut[] }>(await cli(['list', '--status', 'succeeded', '--json']));
    expect(listed.jobs.map((job) => job.id)).toContain(submitted.id);
    const table = await cli(['list', '--limit', '5']);
    expect(table.stdout).toContain(submitted.id);
  });

  test('submit a JSON file and wait for it; a repeated key finds the same job', async () => {
    const file = join(dir, 'job.json');
    await writeFile(
      file,
      JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'from a file' }],
        max_tokens: 8,
      }),
    );
    const done = json<JobOut>(await cli(['submit', '--file', file, '-k', 'cli-file-1', '--wait', '--json']));
    expect(done.status).toBe('succeeded');
    const again = json<JobOut>(await cli(['submit', '--file', file, '-k', 'cli-file-1', '--json']));
    expect(again).toMatchObject({ id: done.id, created: false });
    const usage = json<{ jobs: number }>(await cli(['usage', '--json']));
    expect(usage.jobs).toBeGreaterThan(0);
  });

  test('refusals exit 1 with the problem on stderr', async () => {
    const badId = await cli(['get', 'job_x']);
    expect(badId.code).toBe(1);
    expect(badId.stdout).toBe('');
    expect(badId.stderr).toMatch(/^Error 400 /);
    expect(badId.stderr).toContain('(path) id');
    expect(badId.stderr).toMatch(/trace id: [0-9a-f]{32}/);

    const missing = await cli(['wait', `job_${'0'.repeat(32)}`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^Error 404 /);

    const bad = await cli(['submit', 'x', '--model', '']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Error 400 .*\n\s+model: /);

    const nothing = await cli(['submit']);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('Nothing to send');

    const anonymous = await new Promise<Run>((done) => {
      const child = spawn(process.execPath, [bin, 'list'], {
        env: {
          PATH: process.env.PATH,
          PROMPT_PIPELINE_URL: stack.apiUrl,
          PROMPT_PIPELINE_API_KEY: 'pp_test_wrong',
        },
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => done({ code, stdout: '', stderr }));
    });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/^Error 401 /);
  });
});

describe('batch', () => {
  test('uploads a small JSONL file, follows the batch to the end and downloads its results', async () => {
    const input = join(dir, 'prompts.jsonl');
    const line = (id: string, content: string) =>
      JSON.stringify({
        custom_id: id,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content }], max_tokens: 8 },
      });
    await writeFile(input, `${line('one', 'first')}\n${line('two', 'second')}\n`);
    const run = await cli(['batch', input, '--interval', '200', '--json'], () =>
      stack.host.runTimer('batchSweep'),
    );
    const batch = json<{
      status: string;
      request_counts: { completed: number };
      downloaded: { output: string };
    }>(run);
    expect(batch).toMatchObject({ status: 'completed', request_counts: { completed: 2 } });
    expect(batch.downloaded.output).toBe(join(dir, 'prompts.output.jsonl'));
    const lines = (await readFile(batch.downloaded.output, 'utf8')).trim().split('\n');
    const ids = lines.map((text) => (JSON.parse(text) as { custom_id: string }).custom_id).sort();
    expect(ids).toEqual(['one', 'two']);
  }, 60_000);
});

describe('operators', () => {
  test('dead letters: list, redrive, purge only with --yes; a tenant key is refused', async () => {
    // The token by flag: the environment's API key is not sent with it.
    const asAdmin = ['--token', adminToken];
    const list = await cli(['dead-letters', 'list', 'invoke', ...asAdmin]);
    expect(list.stderr).toBe('');
    expect(list.stdout).toBe('(none)\n');
    const listed = json<{ deadLetters: unknown[] }>(
      await cli(['dead-letters', 'list', 'invoke', '--json', ...asAdmin]),
    );
    expect(listed.deadLetters).toEqual([]);
    const redriven = json<{ redriven: number; more: boolean }>(
      await cli(['dead-letters', 'redrive', 'intake', '--all', '--json', ...asAdmin]),
    );
    expect(redriven).toMatchObject({ redriven: 0, more: false });
    const unconfirmed = await cli(['dead-letters', 'purge', 'intake', '--all', ...asAdmin]);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain('--yes');
    const purged = json<{ purged: number }>(
      await cli(['dead-letters', 'purge', 'intake', '--all', '--yes', '--json', ...asAdmin]),
    );
    expect(purged.purged).toBe(0);
    const noSelector = await cli(['dead-letters', 'redrive', 'intake', ...asAdmin]);
    expect(noSelector.code).toBe(1);
    expect(noSelector.stderr).toContain('--seq, --reason, --tenant or --all');
    const tenant = await cli(['dead-letters', 'list', 'invoke']);
    expect(tenant.code).toBe(1);
    expect(tenant.stderr).toMatch(/^Error 403 /);
  });
});
