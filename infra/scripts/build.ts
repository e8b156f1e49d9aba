// `npm run infra:build`: the real Bicep compiler checks the templates.
//   - bicep build infra/main.bicep            -> infra/.build/main.json (the ARM template, modules inlined)
//   - bicep build-params infra/<env>.bicepparam -> infra/.build/<env>.parameters.json
//   - bicep snapshot infra/<env>.bicepparam   -> infra/.build/<env>.snapshot.json: every resource the
//     deployment would create, its expressions evaluated by the compiler's template engine for that
//     parameter file (runtime values such as reference() stay expressions); the ARM tests read these
//   - bicep lint on every .bicep and .bicepparam file, with bicepconfig.json
// Any warning or error fails the build. A rule may be silenced only in bicepconfig.json (level "off",
// with a `//` comment giving the reason on the same line) or at the line with
// `#disable-next-line <rule> // <reason>`; a suppression without a reason fails the build too.
//
// Run: `npm run infra:build` (compiles this folder's scripts with infra/scripts/tsconfig.json first).
// Options: --if-stale  skip the work when infra/.build matches the current inputs and compiler (tests use
//                      this, so `npm test` after `npm run infra:build` compiles nothing again);
//          --quiet     print only problems.
// Exit codes: 0 ok, 1 diagnostics or a failed step, 127 no compiler found.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOW_TO_GET_IT, findBicep, repoRoot, runBicep, type Bicep } from './bicep.js';

export const infraDir = join(repoRoot, 'infra');
export const buildDir = join(infraDir, '.build');
const stampFile = join(buildDir, 'inputs.json');
const lockDir = join(infraDir, '.build.lock');

export interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly level: string;
  readonly code: string;
  readonly message: string;
}

export interface BuildResult {
  readonly ok: boolean;
  /** True when no compiler was found: nothing was checked. */
  readonly missingCompiler?: boolean;
  /** True when infra/.build already matched the inputs. */
  readonly skipped?: boolean;
  readonly problems: readonly string[];
  readonly bicep?: Bicep;
}

/**
 * The deployment context the snapshots are evaluated in: placeholders, never a real subscription. Tests
 * read these to recognise ids.
 */
export const SNAPSHOT_CONTEXT = {
  tenantId: '11111111-1111-1111-1111-111111111111',
  subscriptionId: '22222222-2222-2222-2222-222222222222',
  location: 'swedencentral',
  deploymentName: 'prompt-pipeline',
};

/** `bicep snapshot` of a parameter file, evaluated offline in SNAPSHOT_CONTEXT (build and tests alike). */
export function snapshotArgs(paramFile: string): string[] {
  return [
    'snapshot',
    paramFile,
    '--mode',
    'overwrite',
    '--tenant-id',
    SNAPSHOT_CONTEXT.tenantId,
    '--subscription-id',
    SNAPSHOT_CONTEXT.subscriptionId,
    '--location',
    SNAPSHOT_CONTEXT.location,
    '--deployment-name',
    SNAPSHOT_CONTEXT.deploymentName,
  ];
}

function listFiles(dir: string, predicate: (name: string) => boolean): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name.startsWith('.')) continue;
      found.push(...listFiles(path, predicate));
    } else if (predicate(entry.name)) found.push(path);
  }
  return found.sort();
}

export function paramFiles(): string[] {
  return listFiles(infraDir, (name) => name.endsWith('.bicepparam')).filter(
    (path) => dirname(path) === infraDir,
  );
}

export function bicepFiles(): string[] {
  return listFiles(infraDir, (name) => name.endsWith('.bicep'));
}

/** Everything the outputs depend on: templates, parameter files, loaded JSON/KQL, the linter config. */
function inputsHash(compilerVersion: string): string {
  const hash = createHash('sha256');
  hash.update(`bicep ${compilerVersion}\n`);
  const files = [
    ...listFiles(infraDir, (name) => /\.(bicep|bicepparam|json|kql|ts)$/.test(name)),
    join(repoRoot, 'bicepconfig.json'),
    join(repoRoot, 'tools', 'bicep', 'bicep.csproj'),
  ];
  for (const file of files) {
    hash.update(`${relative(repoRoot, file)}\n`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

const DIAGNOSTIC =
  /^(?<file>.+?)\((?<line>\d+),(?<column>\d+)\) : (?<level>Error|Warning|Info) (?<code>[\w-]+): (?<message>.*)$/;

/** Compiler output lines that are diagnostics, relative paths. */
export function diagnosticsIn(output: string): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (const text of output.split(/\r?\n/)) {
    const match = DIAGNOSTIC.exec(text.trim());
    if (!match?.groups) continue;
    const { file = '', level = '', code = '', message = '', line = '0' } = match.groups;
    found.push({
      file: relative(repoRoot, resolve(repoRoot, file)),
      line: Number(line),
      level,
      code,
      message,
    });
  }
  return found;
}

/**
 * Suppressions without a written reason: `#disable-next-line` without a `// reason` in .bicep files,
 * and rules turned off in bicepconfig.json without a `//` comment on their line.
 */
export function unexplainedSuppressions(): string[] {
  const problems: string[] = [];
  for (const file of [...bicepFiles(), ...paramFiles()])
    problems.push(...suppressionProblemsIn(readFileSync(file, 'utf8'), relative(repoRoot, file)));
  problems.push(...configSuppressionProblems(readFileSync(join(repoRoot, 'bicepconfig.json'), 'utf8')));
  return problems;
}

/** `#disable-next-line` without a `// reason` of at least a few words, or a whole-file `#disable-diagnostics`. */
export function suppressionProblemsIn(source: string, name: string): string[] {
  const problems: string[] = [];
  source.split(/\r?\n/).forEach((text, index) => {
    const match = /#disable-(next-line|diagnostics)\b(.*)$/.exec(text);
    if (!match) return;
    const reason = /\/\/\s*(\S.*)$/.exec(match[2] ?? '');
    if (match[1] === 'diagnostics') {
      problems.push(
        `${name}:${index + 1}: #disable-diagnostics silences a whole file; use #disable-next-line with a reason`,
      );
    } else if ((reason?.[1] ?? '').trim().length < 10) {
      problems.push(
        `${name}:${index + 1}: #disable-next-line needs a reason: #disable-next-line <rule> // <why>`,
      );
    }
  });
  return problems;
}

/** Rules turned off in bicepconfig.json without a `//` comment on their line saying why. */
export function configSuppressionProblems(config: string): string[] {
  const problems: string[] = [];
  config.split(/\r?\n/).forEach((text, index) => {
    if (!/"level"\s*:\s*"(off|none)"/.test(text)) return;
    const reason = /\/\/\s*(\S.*)$/.exec(text);
    if ((reason?.[1] ?? '').trim().length < 10) {
      problems.push(
        `bicepconfig.json:${index + 1}: a rule turned off needs a reason in a // comment on its line`,
      );
    }
  });
  return problems;
}

function acquireLock(): () => void {
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lockDir);
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than 5 minutes was left by a killed build.
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > 300_000)
          rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // gone already
      }
      if (Date.now() - started > 600_000) throw new Error(`infra build: ${lockDir} held for 10 minutes`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
}

/** Runs the whole build; returns { ok, skipped, problems, steps }. */
export function buildInfra({
  ifStale = false,
  log = console.log,
}: { ifStale?: boolean; log?: (line: string) => void } = {}): BuildResult {
  const bicep = findBicep();
  if (!bicep) return { ok: false, missingCompiler: true, problems: [`No Bicep CLI found. ${HOW_TO_GET_IT}`] };
  const release = acquireLock();
  try {
    const hash = inputsHash(bicep.version);
    if (ifStale && existsSync(stampFile)) {
      const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as { hash?: string; ok?: boolean };
      if (stamp.hash === hash && stamp.ok) return { ok: true, skipped: true, problems: [], bicep };
    }
    log(`Bicep ${bicep.version} from ${bicep.source}: ${[bicep.command, ...bicep.args].join(' ')}`);
    rmSync(buildDir, { recursive: true, force: true });
    mkdirSync(buildDir, { recursive: true });
    const problems: string[] = [];
    const diagnostics: Diagnostic[] = [];
    const step = (label: string, args: string[], expectOutput?: string): boolean => {
      const result = runBicep(bicep, args);
      diagnostics.push(...diagnosticsIn(`${result.stdout}\n${result.stderr}`));
      if (result.status !== 0 || (expectOutput && !existsSync(expectOutput))) {
        problems.push(`${label} failed (exit ${result.status}):\n${result.stderr || result.stdout}`);
        return false;
      }
      log(`  ok  ${label}`);
      return true;
    };

    step(
      'build main.bicep',
      ['build', join(infraDir, 'main.bicep'), '--outfile', join(buildDir, 'main.json')],
      join(buildDir, 'main.json'),
    );
    for (const file of paramFiles()) {
      const name = basename(file, '.bicepparam');
      const parameters = join(buildDir, `${name}.parameters.json`);
      step(`build-params ${name}.bicepparam`, ['build-params', file, '--outfile', parameters], parameters);
      // snapshot writes <name>.snapshot.json beside the parameter file; it is moved into .build.
      const written = join(infraDir, `${name}.snapshot.json`);
      rmSync(written, { force: true });
      const snapshotOk = step(`snapshot ${name}.bicepparam`, snapshotArgs(file));
      if (snapshotOk) {
        if (existsSync(written)) renameSync(written, join(buildDir, `${name}.snapshot.json`));
        else problems.push(`snapshot ${name}.bicepparam wrote no ${relative(repoRoot, written)}`);
      }
    }
    step('lint **/*.bicep', ['lint', '--pattern', 'infra/**/*.bicep']);
    step('lint *.bicepparam', ['lint', '--pattern', 'infra/*.bicepparam']);

    const seen = new Set();
    for (const d of diagnostics) {
      if (d.level === 'Info') continue;
      const text = `${d.file}:${d.line}: ${d.level} ${d.code}: ${d.message}`;
      if (seen.has(text)) continue;
      seen.add(text);
      problems.push(text);
    }
    problems.push(...unexplainedSuppressions());
    const ok = problems.length === 0;
    writeFileSync(stampFile, `${JSON.stringify({ hash, ok, bicep: bicep.version }, null, 2)}\n`);
    return { ok, skipped: false, problems, bicep };
  } finally {
    release();
  }
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const quiet = process.argv.includes('--quiet');
  const result = buildInfra({
    ifStale: process.argv.includes('--if-stale'),
    log: quiet ? () => {} : console.log,
  });
  if (result.missingCompiler) {
    console.error(result.problems[0] ?? 'no compiler');
    process.exit(127);
  }
  if (!result.ok) {
    console.error(`infra:build: ${result.problems.length} problem(s):`);
    for (const problem of result.problems) console.error(`  ${problem}`);
    process.exit(1);
  }
  if (!quiet) {
    console.log(
      result.skipped
        ? 'infra:build: up to date (infra/.build matches the sources)'
        : `infra:build: ok, zero warnings; ARM JSON in ${relative(repoRoot, buildDir)}/`,
    );
  }
}
