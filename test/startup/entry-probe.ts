/**
 * Loads the entry (functions/index.js of a transpiled app) in a fresh Node process the way the Functions
 * worker does, and reports what happened. The probe stands in for the worker's core API: the worker
 * answers `require('@azure/functions-core')` by patching Module.prototype.require, as the probe does, and
 * `@azure/functions` then registers each function with it. A loader hook records every ES module loaded,
 * and the require cache the CommonJS ones, with markers for "import returned" and "preload finished".
 * Optionally it then invokes one registered function through the callback the host would call.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TranspiledApp } from './transpiled-app.js';

const PROBE = String.raw`
import Module, { register } from 'node:module';
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const registrations = [];
const callbacks = new Map();
const core = {
  setProgrammingModel() {},
  registerFunction(metadata, callback) {
    const trigger = Object.values(metadata.bindings).find((b) => b.direction === 'in' && /Trigger$/.test(b.type));
    registrations.push({ name: metadata.name, type: trigger.type, route: trigger.route, methods: trigger.methods,
      queueName: trigger.queueName, connection: trigger.connection, schedule: trigger.schedule, callback: typeof callback });
    callbacks.set(metadata.name, callback);
    return { dispose() {} };
  },
  registerHook() { return { dispose() {} }; },
  log() {},
};
const require = Module.prototype.require;
Module.prototype.require = function (id) {
  return id === '@azure/functions-core' ? core : require.apply(this, arguments);
};
register('data:text/javascript,' + encodeURIComponent(
  "import { writeSync } from 'node:fs'; export async function load(url, context, next) { writeSync(2, 'LOAD ' + url + '\\n'); return next(url, context); }"));

const entry = await import('./functions/index.js');
const atImport = registrations.length;
// CommonJS modules loaded by require() do not pass the ESM hook: take them from the require cache.
for (const path of Object.keys(Module.createRequire(import.meta.url).cache)) writeSync(2, 'LOAD ' + pathToFileURL(path).href + '\n');
writeSync(2, 'MARK imported\n');
const report = await entry.handlersPreloaded;
writeSync(2, 'MARK preloaded\n');
let invocation;
const name = process.argv[2];
if (name) {
  const { HttpRequest, InvocationContext } = Module.createRequire(import.meta.url)('@azure/functions');
  const request = new HttpRequest({ method: 'GET', url: 'http://localhost/api/probe' });
  try {
    const response = await callbacks.get(name)(request, new InvocationContext({ functionName: name }));
    invocation = { ok: true, status: response?.status };
  } catch (error) {
    invocation = { ok: false, error: String(error), code: error?.code };
  }
}
writeSync(1, JSON.stringify({ registrations, atImport, loaded: report.loaded, failed: report.failed.map((f) => f.group), invocation }));
`;

export interface ProbeResult {
  readonly registrations: ReadonlyArray<{
    name: string;
    type: string;
    route?: string;
    methods?: string[];
    queueName?: string;
    connection?: string;
    schedule?: string;
    callback: string;
  }>;
  /** How many functions were registered when the import returned. */
  readonly atImport: number;
  readonly loaded: string[];
  readonly failed: string[];
  readonly invocation?: { ok: boolean; status?: number; error?: string; code?: string };
  /** Module URLs (relative to the app directory when ours), loaded before the import returned. */
  readonly beforeImport: string[];
  /** The same, up to the end of the preload. */
  readonly byPreload: string[];
  readonly stderr: string;
}

export function runEntryProbe(app: TranspiledApp, invoke?: string): ProbeResult {
  writeFileSync(join(app.dir, 'probe.mjs'), PROBE);
  const child = spawnSync(process.execPath, ['probe.mjs', ...(invoke ? [invoke] : [])], {
    cwd: app.dir,
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (child.status !== 0) throw new Error(`probe failed (${child.status}): ${child.stderr.slice(-2000)}`);
  const lines = child.stderr.split('\n');
  const loads = (to: number): string[] =>
    lines
      .slice(0, to)
      .filter((line) => line.startsWith('LOAD '))
      .map((line) => line.slice(5).replace(`file://${app.dir}/`, ''));
  const imported = lines.indexOf('MARK imported');
  const preloaded = lines.indexOf('MARK preloaded');
  if (imported < 0 || preloaded < imported)
    throw new Error(`probe markers missing: ${child.stderr.slice(-2000)}`);
  const result = JSON.parse(child.stdout) as Omit<ProbeResult, 'beforeImport' | 'byPreload' | 'stderr'>;
  return { ...result, beforeImport: loads(imported), byPreload: loads(preloaded), stderr: child.stderr };
}
