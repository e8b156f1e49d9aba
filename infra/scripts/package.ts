// `npm run package`: the deployable zip for the function app (Flex Consumption, `az functionapp deploy`
// or `azd deploy`), with the compiled code and the production dependencies only:
//   dist/functions/**, dist/shared/** (compiled by `npm run build`; no tests, benches, local stack, maps)
//   host.json, package.json (name, version, type, main, dependencies)
//   node_modules/**: exactly the packages `npm ls --omit=dev --parseable --all` lists, copied from this
//   checkout's node_modules (no registry access, no npm install), nested node_modules kept per package.
// Output: .package/app/ (the unpacked tree) and .package/prompt-pipeline.zip, plus .package/inputs.json
// recording what it was built from, so a test can tell whether the zip is current.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync, type Zippable } from 'fflate';
import { repoRoot } from './bicep.js';

export const packageDir = join(repoRoot, '.package');
export const appDir = join(packageDir, 'app');
export const zipPath = join(packageDir, 'prompt-pipeline.zip');
const inputsPath = join(packageDir, 'inputs.json');

/** Compiled folders the app needs at run time (package.json `main` is dist/functions/index.js). */
const CODE_DIRS = ['dist/functions', 'dist/shared'];

function filesUnder(dir: string, skip: (path: string) => boolean = () => false): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (skip(path)) continue;
    if (entry.isDirectory()) found.push(...filesUnder(path, skip));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

/** Product sources (functions/, shared/; no tests), relative to the repository root. */
export function codeSources(): string[] {
  return CODE_DIRS.map((dir) => dir.replace(/^dist\//, ''))
    .flatMap((dir) => filesUnder(join(repoRoot, dir)))
    .filter((path) => path.endsWith('.ts') && !path.endsWith('.test.ts') && !path.endsWith('.d.ts'))
    .map((path) => relative(repoRoot, path))
    .sort();
}

/** What the zip is made from: sources, manifests and the lock file. */
export function packageInputsHash(): string {
  const hash = createHash('sha256');
  const sources = codeSources().map((path) => join(repoRoot, path));
  for (const file of [
    ...sources,
    ...['package.json', 'package-lock.json', 'host.json'].map((f) => join(repoRoot, f)),
  ]) {
    hash.update(`${relative(repoRoot, file)}\n`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

/** True when .package/prompt-pipeline.zip was built from the current sources. */
export function packageIsCurrent(): boolean {
  if (!existsSync(zipPath) || !existsSync(inputsPath)) return false;
  const recorded = JSON.parse(readFileSync(inputsPath, 'utf8')) as { hash?: string };
  return recorded.hash === packageInputsHash();
}

/** Production dependency folders, relative to the repository root (node_modules/...). */
export function productionDependencies(): string[] {
  const result = spawnSync('npm', ['ls', '--omit=dev', '--parseable', '--all'], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    shell: process.platform === 'win32',
  });
  const paths = result.stdout
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => relative(repoRoot, line))
    .filter((path) => path.startsWith(`node_modules${sep}`));
  if (paths.length === 0) throw new Error(`npm ls --omit=dev listed no dependencies:\n${result.stderr}`);
  for (const path of paths)
    if (!existsSync(join(repoRoot, path))) throw new Error(`${path} is not installed: run npm ci`);
  return paths.sort();
}

/**
 * The lock file cut to the production tree: the same pinned versions for a remote build (`azd deploy`
 * runs npm install on the server from the zip's package.json; see azure.yaml).
 */
export function productionLock(slim: Record<string, unknown>): Record<string, unknown> {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean; [key: string]: unknown }>;
    [key: string]: unknown;
  };
  const packages: Record<string, unknown> = {
    '': { name: slim.name, version: slim.version, dependencies: slim.dependencies, engines: slim.engines },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev || entry.devOptional) continue;
    packages[path] = entry;
  }
  return { ...lock, packages };
}

export interface PackageReport {
  readonly zip: string;
  readonly files: number;
  readonly bytes: number;
  readonly dependencies: number;
}

/** Stages .package/app from dist/ and node_modules and zips it. Run `npm run build` first. */
export function buildPackage(): PackageReport {
  for (const dir of CODE_DIRS)
    if (!existsSync(join(repoRoot, dir, dir.endsWith('functions') ? 'index.js' : '')))
      throw new Error(`${dir} is missing: run npm run build first`);
  rmSync(packageDir, { recursive: true, force: true });
  mkdirSync(appDir, { recursive: true });

  // The compiled file of every current source (dist/ may still hold files of moved or deleted sources).
  for (const source of codeSources()) {
    const compiled = join(repoRoot, 'dist', source.replace(/\.ts$/, '.js'));
    if (!existsSync(compiled))
      throw new Error(`${relative(repoRoot, compiled)} is missing: run npm run build`);
    mkdirSync(dirname(join(appDir, 'dist', source)), { recursive: true });
    cpSync(compiled, join(appDir, 'dist', source.replace(/\.ts$/, '.js')));
  }
  cpSync(join(repoRoot, 'host.json'), join(appDir, 'host.json'));
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const slim = {
    name: manifest.name,
    version: manifest.version,
    private: true,
    type: manifest.type,
    main: manifest.main,
    engines: manifest.engines,
    dependencies: manifest.dependencies,
  };
  writeFileSync(join(appDir, 'package.json'), `${JSON.stringify(slim, null, 2)}\n`);
  writeFileSync(join(appDir, 'package-lock.json'), `${JSON.stringify(productionLock(slim), null, 2)}\n`);

  const dependencies = productionDependencies();
  for (const dependency of dependencies) {
    const source = join(repoRoot, dependency);
    // Nested node_modules are listed as dependencies of their own when they are production ones.
    cpSync(source, join(appDir, dependency), {
      recursive: true,
      dereference: true,
      filter: (path) => path === source || !relative(source, path).split(sep).includes('node_modules'),
    });
  }

  const tree: Zippable = {};
  const files = filesUnder(appDir);
  let bytes = 0;
  for (const file of files) {
    const data = readFileSync(file);
    bytes += data.length;
    tree[relative(appDir, file).split(sep).join('/')] = [data, { level: 6 }];
  }
  writeFileSync(zipPath, zipSync(tree));
  writeFileSync(
    inputsPath,
    `${JSON.stringify({ hash: packageInputsHash(), files: files.length }, null, 2)}\n`,
  );
  return { zip: zipPath, files: files.length, bytes, dependencies: dependencies.length };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const report = buildPackage();
  const size = statSync(report.zip).size;
  console.log(
    `package: ${relative(repoRoot, report.zip)} (${(size / 1e6).toFixed(1)} MB zipped, ${report.files} files, ` +
      `${(report.bytes / 1e6).toFixed(1)} MB unpacked, ${report.dependencies} production packages); ` +
      `deploy with az functionapp deploy --src-path ${relative(repoRoot, report.zip)} --type zip`,
  );
}
