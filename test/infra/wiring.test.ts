/**
 * The function registrations, host.json, the app settings in Bicep and the queue and container definitions
 * agree: every queue a trigger listens to exists, every container the code opens is declared, every
 * connection a binding names is set as identity-based settings, the always-ready entries are exactly the
 * queue-triggered functions, and host.json's lock renewal covers the longest queue lock.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { functionDefinitions } from '../../functions/registry.js';
import { infraDir, listFiles, readBicep, repoRoot, stringLiteral, variables } from './bicep-tree.js';
import { deployedAppSettings } from './app-settings.js';

const queues = (
  JSON.parse(readFileSync(join(infraDir, 'definitions', 'queues.json'), 'utf8')) as {
    queues: { name: string; lockDuration: string }[];
  }
).queues;
const settings = deployedAppSettings();
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

  it('every Service Bus connection a binding names is set, identity-based', () => {
    const connections = bindingConnections();
    expect(connections.length).toBeGreaterThan(0);
    for (const connection of new Set(connections)) {
      expect(settings.has(`${connection}__fullyQualifiedNamespace`), connection).toBe(true);
      expect(settings.get(`${connection}__credential`)?.literal, connection).toBe('managedidentity');
      expect(settings.has(`${connection}__clientId`), connection).toBe(true);
      // A plain connection string would bypass the identity.
      expect(settings.has(connection), connection).toBe(false);
    }
  });

  it('always-ready entries are exactly the queue-triggered functions', () => {
    const main = readBicep(join(infraDir, 'main.bicep'));
    const declaration = main.root.namedChildren.find(
      (node) =>
        node.type === 'parameter_declaration' && node.namedChildren[0]?.text === 'alwaysReadyFunctions',
    );
    const names = (declaration?.namedChildren.at(-1)?.namedChildren ?? []).map(
      (item) => stringLiteral(item) ?? '?',
    );
    expect(names).toEqual(
      expect.arrayContaining(['acceptQueue', 'invoke', 'postprocess', 'persist', 'deliver']),
    );
    const registered = queueFunctions.map((definition) => definition.name);
    for (const name of names) expect(registered, name).toContain(name);
    // And every queue-triggered stage is kept warm: a scaled-to-zero Flex app is slow to see messages.
    for (const name of registered) expect(names, name).toContain(name);
    // The Flex entries are `function:<name>`.
    expect(variables(main).get('alwaysReady')?.text).toContain("'function:${f}'");
  });

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
