/**
 * The Bicep compiler's own output, for the ARM tests: infra/.build/main.json (the ARM template with every
 * module inlined) and, per parameter file, <env>.parameters.json and <env>.snapshot.json (every resource
 * the deployment would create, expressions evaluated for that parameter file by the compiler's template
 * engine; only run-time values such as reference() stay expressions).
 *
 * Importing this module compiles on demand (infra/scripts/build.ts, skipped when infra/.build matches the
 * sources). Without a Bicep CLI: under CI=true that is an error (CI must run these checks); elsewhere the
 * checks are skipped and a notice says how to get the compiler.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOW_TO_GET_IT, findBicep, runBicep } from '../../infra/scripts/bicep.js';
import {
  SNAPSHOT_CONTEXT,
  snapshotArgs,
  buildDir,
  buildInfra,
  infraDir,
  type BuildResult,
} from '../../infra/scripts/build.js';

export { SNAPSHOT_CONTEXT, buildDir, infraDir };

export interface ArmResource {
  id: string;
  type: string;
  name: string;
  apiVersion: string;
  location?: string;
  tags?: Record<string, unknown>;
  kind?: string;
  sku?: Record<string, unknown>;
  identity?: Record<string, unknown>;
  properties?: Record<string, unknown>;
}

export interface Snapshot {
  predictedResources: ArmResource[];
  outputs: Record<string, unknown>;
  diagnostics: unknown[];
}

export interface ArmTemplate {
  parameters?: Record<string, { type: string; defaultValue?: unknown; allowedValues?: unknown[] }>;
  resources: unknown;
  outputs?: Record<string, { type: string; value: unknown }>;
  [key: string]: unknown;
}

function build(): { available: boolean; result?: BuildResult } {
  const result = buildInfra({ ifStale: true, log: () => {} });
  if (!result.missingCompiler) return { available: true, result };
  const notice = `Bicep compile checks were NOT run: no Bicep CLI found. ${HOW_TO_GET_IT}`;
  if (process.env.CI === 'true')
    throw new Error(`${notice} (CI=true: CI must run them; .ci/run restores it)`);
  console.warn(`\n*** ${notice}\n`);
  return { available: false };
}

const built = build();

/** False on a machine without a Bicep CLI (outside CI): the compiled-JSON checks skip. */
export const compilerAvailable = built.available;
/** The build's verdict: problems are warnings, errors, failed steps or unexplained suppressions. */
export const buildResult = built.result;

function readJson<T>(name: string): T {
  const path = join(buildDir, name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run infra:build and read its problems`);
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export const ENVIRONMENTS = ['dev', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

export const mainTemplate = (): ArmTemplate => readJson<ArmTemplate>('main.json');
export const snapshotOf = (env: string): Snapshot => readJson<Snapshot>(`${env}.snapshot.json`);
export const parametersOf = (env: string): { parameters: Record<string, { value: unknown }> } =>
  readJson(`${env}.parameters.json`);

/** A JSON value as a Bicep literal. */
export function toBicep(value: unknown, indent = ''): string {
  const inner = `${indent}  `;
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => `${inner}${toBicep(item, inner)}`).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([key, item]) => `${inner}'${key}': ${toBicep(item, inner)}`).join('\n')}\n${indent}}`;
}

/**
 * A snapshot of main.bicep for parameters given here (a scenario the checked-in files do not cover, e.g.
 * producers and admins set), compiled into infra/.build/scenarios and cached by content.
 */
export function scenarioSnapshot(params: Record<string, unknown>): Snapshot {
  const body = Object.entries(params)
    .map(([name, value]) => `param ${name} = ${toBicep(value)}`)
    .join('\n');
  const source = `using '../../../main.bicep'\n\n${body}\n`;
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = join(buildDir, 'scenarios', hash);
  const snapshot = join(dir, 'scenario.snapshot.json');
  if (!existsSync(snapshot)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'scenario.bicepparam'), source);
    const bicep = findBicep();
    if (!bicep) throw new Error('no Bicep CLI');
    const run = runBicep(bicep, snapshotArgs(join(dir, 'scenario.bicepparam')));
    if (run.status !== 0) throw new Error(`snapshot failed:\n${run.stderr}${run.stdout}`);
  }
  return JSON.parse(readFileSync(snapshot, 'utf8')) as Snapshot;
}

/** Runs the compiler on a parameter file's text (its `using` relative to a folder under infra/.build). */
export function buildParamsText(source: string): { status: number; output: string } {
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = join(buildDir, 'scenarios', `params-${hash}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'check.bicepparam'), source);
  const bicep = findBicep();
  if (!bicep) throw new Error('no Bicep CLI');
  const run = runBicep(bicep, ['build-params', join(dir, 'check.bicepparam'), '--stdout']);
  return { status: run.status, output: `${run.stderr}\n${run.stdout}` };
}

export const byType = (snapshot: Snapshot, type: string): ArmResource[] =>
  snapshot.predictedResources.filter((resource) => resource.type.toLowerCase() === type.toLowerCase());

/** A deep copy to break on purpose. */
export const clone = <T>(value: T): T => structuredClone(value);

/** Every string anywhere in a JSON value, with its path. */
export function strings(value: unknown, path = '$'): Array<{ path: string; text: string }> {
  if (typeof value === 'string') return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((item, index) => strings(item, `${path}[${index}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => [
      { path: `${path}.${key}#key`, text: key },
      ...strings(item, `${path}.${key}`),
    ]);
  }
  return [];
}

/** The app settings the deployment writes (the `appsettings` config resource), as compiled. */
export function appSettingsOf(snapshot: Snapshot): Record<string, unknown> {
  const config = byType(snapshot, 'Microsoft.Web/sites/config').find((resource) =>
    resource.name.endsWith('/appsettings'),
  );
  if (!config) throw new Error('no Microsoft.Web/sites/config appsettings resource');
  return config.properties ?? {};
}
