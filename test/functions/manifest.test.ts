/**
 * The manifest (what the host indexes) and the handler modules (what runs) describe the same functions:
 * every group module, loaded for real, exports a handler under each name the manifest gives its group
 * and none under another group's names, and the definitions both hosts run carry the manifest's trigger
 * facts. The types enforce the first at compile time (GroupHandlers in registry.ts); this checks the
 * modules as they load.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HttpFunctionDefinition } from '../../functions/definitions.js';
import { functionManifest, HANDLER_GROUPS, type GroupHandlers } from '../../functions/manifest.js';
import { functionDefinitions, handlerLoader } from '../../functions/registry.js';
import { ROOT } from '../startup/transpiled-app.js';

describe('the function manifest', () => {
  it('names each function once, and each HTTP route + method once', () => {
    const names = functionManifest.map((entry) => entry.name);
    expect(new Set(names).size).toBe(names.length);
    const routes = functionManifest.flatMap((entry) =>
      entry.kind === 'http' ? entry.methods.map((method) => `${method} ${entry.route}`) : [],
    );
    expect(new Set(routes).size).toBe(routes.length);
  });

  it('listens only to queues declared in infra/definitions/queues.json', () => {
    const declared = (
      JSON.parse(readFileSync(join(ROOT, 'infra/definitions/queues.json'), 'utf8')) as {
        queues: { name: string }[];
      }
    ).queues.map((queue) => queue.name);
    for (const entry of functionManifest) {
      if (entry.kind === 'serviceBusQueue') expect(declared, entry.name).toContain(entry.queueName);
    }
  });

  it.each(HANDLER_GROUPS)(
    'group %s: its module exports each of its manifest names as a function, and none of another group',
    async (group) => {
      const module = await handlerLoader.load(group);
      const expected = functionManifest.filter((entry) => entry.group === group).map((entry) => entry.name);
      expect(expected.length, `group ${group} has no function`).toBeGreaterThan(0);
      for (const name of expected) expect(typeof module[name], name).toBe('function');
      const others: string[] = functionManifest.filter((e) => e.group !== group).map((e) => e.name);
      expect(Object.keys(module).filter((name) => others.includes(name))).toEqual([]);
    },
  );

  it('every manifest entry resolves to its implementation', async () => {
    for (const entry of functionManifest) {
      const module = await handlerLoader.load(entry.group);
      await expect(handlerLoader.resolve(entry), entry.name).resolves.toBe(module[entry.name]);
    }
  });

  it('the definitions both hosts run carry the manifest facts, in the same order', () => {
    const facts = functionDefinitions.map((definition) =>
      definition.kind === 'http'
        ? {
            kind: definition.kind,
            name: definition.name,
            route: definition.route,
            methods: definition.methods,
            ...(definition.requestBody ? { requestBody: definition.requestBody } : {}),
          }
        : definition.kind === 'timer'
          ? { kind: definition.kind, name: definition.name, schedule: definition.schedule }
          : { kind: definition.kind, name: definition.name, queueName: definition.queueName },
    );
    expect(facts).toEqual(
      functionManifest.map(({ group: _group, ...entry }) => ({
        ...entry,
        ...(entry.kind === 'http' ? { methods: [...entry.methods] } : {}),
      })),
    );
    for (const definition of functionDefinitions) expect(typeof definition.handler).toBe('function');
  });

  it('types group modules: a missing, extra or misnamed handler does not compile (checked by tsc)', () => {
    const handler: HttpFunctionDefinition['handler'] = () => ({ status: 204 });
    const exact = { usage: handler } as const;
    // @ts-expect-error -- the usage group's functions are getUsage and getDailyUsage, not usage.
    const misnamed = { usage: handler } satisfies GroupHandlers<'usage'>;
    // @ts-expect-error -- health is not an admin function, and the admin functions are missing.
    const extra = { health: handler } satisfies GroupHandlers<'admin'>;
    const right = { getUsage: handler, getDailyUsage: handler } satisfies GroupHandlers<'usage'>;
    expect([misnamed, extra, right].map((value) => Object.keys(value))).toEqual([
      Object.keys(exact),
      ['health'],
      ['getUsage', 'getDailyUsage'],
    ]);
  });
});
