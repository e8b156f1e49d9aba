// Finds the Bicep CLI and runs it. One place decides which compiler the build and the tests use, in this
// order:
//   1. BICEP_PATH: an explicit path to a bicep executable;
//   2. `bicep` on PATH;
//   3. `az bicep` (the Azure CLI's own copy; `az bicep install` fetches it);
//   4. the pinned NuGet package Azure.Bicep.CommandLine.linux-x64 that `dotnet restore tools/bicep`
//      puts in the NuGet packages folder (NUGET_PACKAGES, else ~/.nuget/packages).
// Usage as a command: `npm run bicep -- <bicep arguments...>` (exit code is bicep's);
// `npm run bicep -- --which` prints which compiler was found. Nothing here downloads anything.
// Build tooling, not the platform: it reads the environment directly (PATH, BICEP_PATH, NUGET_PACKAGES).
/* eslint-disable no-restricted-properties */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Bicep {
  readonly command: string;
  /** Arguments before bicep's own (`['bicep']` for `az bicep`). */
  readonly args: readonly string[];
  readonly source: string;
  readonly version: string;
}

export interface BicepRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** This file is infra/scripts/bicep.ts, or dist/infra/scripts/bicep.js once compiled. */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'tools', 'bicep', 'bicep.csproj'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('repository root (tools/bicep/bicep.csproj) not found');
    dir = parent;
  }
  return dir;
}

export const repoRoot = findRepoRoot();

/** The version tools/bicep/bicep.csproj pins: the one CI restores. */
export function pinnedVersion(): string {
  const project = readFileSync(join(repoRoot, 'tools', 'bicep', 'bicep.csproj'), 'utf8');
  const match = /<BicepVersion>([^<]+)<\/BicepVersion>/.exec(project);
  if (!match) throw new Error('tools/bicep/bicep.csproj: no <BicepVersion>');
  return (match[1] ?? '').trim();
}

export const HOW_TO_GET_IT =
  'Install the .NET SDK and run `dotnet restore tools/bicep` (restores the pinned Bicep CLI from NuGet), ' +
  'or install the Bicep CLI / `az bicep install`, or set BICEP_PATH to a bicep executable.';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function nugetPackagesFolder(): string {
  if (process.env.NUGET_PACKAGES) return process.env.NUGET_PACKAGES;
  return join(homedir(), '.nuget', 'packages');
}

/** The restored package's binary for this machine, if `dotnet restore tools/bicep` ran. */
export function restoredBicepPath(version = pinnedVersion()): string {
  const rid =
    process.platform === 'win32'
      ? 'win-x64'
      : process.platform === 'darwin'
        ? process.arch === 'arm64'
          ? 'osx-arm64'
          : 'osx-x64'
        : process.arch === 'arm64'
          ? 'linux-arm64'
          : 'linux-x64';
  const binary = process.platform === 'win32' ? 'bicep.exe' : 'bicep';
  return join(nugetPackagesFolder(), `azure.bicep.commandline.${rid}`, version, 'tools', binary);
}

function works(command: string, args: readonly string[]): string | undefined {
  const result = spawnSync(command, [...args, '--version'], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) return undefined;
  const version = /(\d+\.\d+\.\d+)/.exec(`${result.stdout}${result.stderr}`);
  return version?.[1] ?? 'unknown';
}

/**
 * The compiler to use: `{ command, args, source, version }` where the bicep arguments follow `args`,
 * or undefined when none is found.
 */
export function findBicep(): Bicep | undefined {
  const candidates: Omit<Bicep, 'version'>[] = [];
  if (process.env.BICEP_PATH)
    candidates.push({ command: process.env.BICEP_PATH, args: [], source: 'BICEP_PATH' });
  const onPathBicep = onPath(process.platform === 'win32' ? 'bicep.exe' : 'bicep');
  if (onPathBicep) candidates.push({ command: onPathBicep, args: [], source: 'PATH' });
  const az = onPath(process.platform === 'win32' ? 'az.cmd' : 'az');
  if (az) candidates.push({ command: az, args: ['bicep'], source: 'az bicep' });
  const restored = restoredBicepPath();
  candidates.push({ command: restored, args: [], source: 'NuGet (tools/bicep)' });
  for (const candidate of candidates) {
    if (candidate.source === 'NuGet (tools/bicep)' && !executable(candidate.command)) continue;
    const version = works(candidate.command, candidate.args);
    if (version) return { ...candidate, version };
    if (candidate.source === 'BICEP_PATH') {
      throw new Error(
        `BICEP_PATH=${candidate.command} does not run (\`${candidate.command} --version\` failed)`,
      );
    }
  }
  return undefined;
}

/** Runs bicep with `args`; returns { status, stdout, stderr }. */
export function runBicep(
  bicep: Bicep,
  args: readonly string[],
  options: { cwd?: string; timeout?: number } = {},
): BicepRun {
  const result = spawnSync(bicep.command, [...bicep.args, ...args], {
    encoding: 'utf8',
    cwd: options.cwd ?? repoRoot,
    timeout: options.timeout ?? 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

const self = fileURLToPath(import.meta.url);
const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === self;
if (isMain) {
  const bicep = findBicep();
  if (!bicep) {
    console.error(`No Bicep CLI found. ${HOW_TO_GET_IT}`);
    process.exit(127);
  }
  const args = process.argv.slice(2);
  if (args[0] === '--which') {
    console.log(`${[bicep.command, ...bicep.args].join(' ')} (${bicep.source}, Bicep ${bicep.version})`);
    process.exit(0);
  }
  const result = spawnSync(bicep.command, [...bicep.args, ...args], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
