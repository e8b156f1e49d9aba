/**
 * The function registrations, host.json, the app settings in Bicep and the queue and container definitions
 * agree: every queue a trigger listens to exists, every container the code opens is declared, every
 * connection a binding names is set as identity-based settings, the always-ready entries are exactly the
 * queue-triggered functions, and host.json's lock renewal covers the longest queue lock.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { functionDefinitions } from '../../functions/registry.js';
import { appSettingsOf, byType, compilerAvailable, infraDir, snapshotOf } from './compiled.js';

const repoRoot = join(infraDir, '..');

function listFiles(dir: string, extension: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(extension))
    .map((entry) => join(entry.parentPath, entry.name));
}

const queues = (
  JSON.parse(readFileSync(join(infraDir, 'definitions', 'queues.json'), 'utf8')) as {
    queues: { name: string; lockDuration: string }[];
  }
).queues;
const queueFunctions = functionDefinitions.filter((definition) => definition.kind === 'serviceBusQueue');

/** The `connection` names the Azure registration passes to app.serviceBusQueue (functions/index.ts). */
function bindingConnections(): string[] {
  const source = readFileSync(join(repoRoot, 'functions', 'index.ts'), 'utf8');
  const constants = new Map([...source.matchAll(/const\s+(\w+)\s*=\s*'([^']+)'/g)].map((m) => [m[1], m[2]]));
  return [...source.matchAll(/connection:\s*([\w']+)\s*,/g)].map((m) => {
    const value = m[1] ?? '';
    return value.startsWith("'") ? value.slice(1, -1) : (constants.get(value) ?? `<unresolved ${value}>`);
  });
}

/** ISO 8601 durations of the forms used here (PT5M, PT30S) and host.json's hh:mm:ss, in seconds. */
function seconds(duration: string): number {
  const iso = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(duration);
  if (iso) return Number(iso[1] ?? 0) * 3600 + Number(iso[2] ?? 0) * 60 + Number(iso[3] ?? 0);
  const clock = /^(\d+):(\d+):(\d+)(?:\.\d+)?$/.exec(duration);
  if (clock) return Number(clock[1]) * 3600 + Number(clock[2]) * 60 + Number(clock[3]);
  throw new Error(`unparsed duration ${duration}`);
}

/** Cosmos DB containers the code opens (`database.container('<name>')`) in functions/ and shared/. */
function containersUsedByCode(): Map<string, string> {
  const used = new Map<string, string>();
  const sources = [
    ...listFiles(join(repoRoot, 'functions'), '.ts'),
    ...listFiles(join(repoRoot, 'shared'), '.ts'),
  ];
  for (const path of sources.filter((candidate) => !candidate.endsWith('.test.ts'))) {
    for (const match of readFileSync(path, 'utf8').matchAll(/\.container\(\s*'([^']+)'\s*\)/g)) {
      used.set(match[1] ?? '', path.slice(repoRoot.length + 1));
    }
  }
  return used;
}

describe('function registrations and infrastructure', () => {
  it('every queue a trigger listens to is declared in queues.json', () => {
    expect(queueFunctions.length).toBeGreaterThan(0);
    const declared = queues.map((queue) => queue.name);
    for (const definition of queueFunctions)
      expect(declared, definition.name).toContain(definition.queueName);
  });

  it('every Cosmos DB container the code uses is declared in cosmos.json', () => {
    const declared = (
      JSON.parse(readFileSync(join(infraDir, 'definitions', 'cosmos.json'), 'utf8')) as {
        containers: { name: string }[];
      }
    ).containers.map((container) => container.name);
    const used = containersUsedByCode();
    expect(used.size).toBeGreaterThan(0);
    for (const [name, file] of used) expect(declared, `${file} uses ${name}`).toContain(name);
  });

  it.skipIf(!compilerAvailable)('every Service Bus connection a binding names is set, identity-based', () => {
    const settings = appSettingsOf(snapshotOf('prod'));
    const connections = bindingConnections();
    expect(connections.length).toBeGreaterThan(0);
    for (const connection of new Set(connections)) {
      expect(settings, connection).toHaveProperty(`${connection}__fullyQualifiedNamespace`);
      expect(settings[`${connection}__credential`], connection).toBe('managedidentity');
      expect(settings, connection).toHaveProperty(`${connection}__clientId`);
      // A plain connection string would bypass the identity.
      expect(settings, connection).not.toHaveProperty(connection);
    }
  });

  it.skipIf(!compilerAvailable)(
    'always-ready entries are exactly the queue-triggered functions (prod)',
    () => {
      const site = byType(snapshotOf('prod'), 'Microsoft.Web/sites')[0];
      const entries = (
        site?.properties?.functionAppConfig as { scaleAndConcurrency: { alwaysReady: { name: string }[] } }
      ).scaleAndConcurrency.alwaysReady.map((entry) => entry.name);
      // The Flex entries are `function:<name>`, plus the `http` group.
      expect(entries).toContain('http');
      const names = entries.filter((name) => name !== 'http').map((name) => name.replace(/^function:/, ''));
      expect(entries.filter((name) => name !== 'http').every((name) => name.startsWith('function:'))).toBe(
        true,
      );
      const registered = queueFunctions.map((definition) => definition.name);
      expect(names.sort()).toEqual([...registered].sort());
    },
  );

  it('host.json renews locks for at least the longest queue lock, within the 5 minute maximum', () => {
    const host = JSON.parse(readFileSync(join(repoRoot, 'host.json'), 'utf8')) as {
      extensionBundle: { version: string };
      extensions: { serviceBus: { maxAutoLockRenewalDuration: string } };
    };
    expect(host.extensionBundle.version).toBe('[4.*, 5.0.0)');
    const renewal = seconds(host.extensions.serviceBus.maxAutoLockRenewalDuration);
    const longestLock = Math.max(...queues.map((queue) => seconds(queue.lockDuration)));
    expect(longestLock).toBeLessThanOrEqual(300);
    expect(renewal).toBeGreaterThanOrEqual(longestLock);
  });
});
