/**
 * Every function of the app, in one list: registered with Azure by index.ts, run locally by the dev host.
 * The trigger facts come from manifest.ts; each handler imports its group module on first use (or when
 * preloadHandlers() has run), so importing this module loads no handler code: the dynamic imports below
 * are the only edges from the registrations to the implementations (zod, shared/, the SDKs behind them),
 * which keeps the entry's import small (test/cost/startup-imports.test.ts guards it).
 *
 * A failed import is not remembered: the next invocation imports again and the error reaches the caller
 * (an HTTP 500 from the host, an abandoned message), so a worker whose preload failed still starts and
 * says why on each request instead of crashing.
 */
import type {
  FunctionDefinition,
  HttpFunctionDefinition,
  QueueFunctionDefinition,
  TimerFunctionDefinition,
} from './definitions.js';
import { runInInvocation } from './invocation-log.js';
import {
  functionManifest,
  type FunctionManifestEntry,
  type GroupHandlers,
  type HandlerGroup,
} from './manifest.js';

type AnyHandler =
  HttpFunctionDefinition['handler'] | QueueFunctionDefinition['handler'] | TimerFunctionDefinition['handler'];

/** A group module as loaded: its exports, handlers among them under their function names. */
export type HandlerModule = Readonly<Record<string, unknown>>;

export type GroupLoaders<G extends string> = Readonly<Record<G, () => Promise<HandlerModule>>>;

export interface PreloadReport {
  readonly loaded: readonly string[];
  readonly failed: ReadonlyArray<{ readonly group: string; readonly error: unknown }>;
}

export interface HandlerLoader<G extends string> {
  /** The group's module, imported once; a rejected import is forgotten so the next call retries. */
  load(group: G): Promise<HandlerModule>;
  /** The implementation of one manifest entry; rejects if the module fails or lacks the name. */
  resolve(entry: { readonly name: string; readonly group: G }): Promise<AnyHandler>;
  /** Imports every group at once; never rejects (failures are reported, and retried on use). */
  preload(): Promise<PreloadReport>;
  /** A definition with the entry's trigger facts and a handler that loads the implementation on first use. */
  define(entry: FunctionManifestEntry<G>): FunctionDefinition;
}

/** Each group's module; `satisfies` makes a handler missing from its module a compile error. */
const loaders = {
  health: () => import('./http/health.js'),
  openapi: () => import('./http/openapi.js'),
  jobs: () => import('./http/jobs.js'),
  usage: () => import('./http/usage.js'),
  admin: () => import('./http/admin.js'),
  intake: () => import('./queue/intake.js'),
  stages: () => import('./queue/stages.js'),
  webhooks: () => import('./http/webhooks.js'),
  deliver: () => import('./queue/deliver.js'),
  recovery: () => import('./timer/reconcile.js'),
  operations: () => import('./http/dead-letters.js'),
  files: () => import('./http/files.js'),
  batches: () => import('./http/batches.js'),
  batchSweep: () => import('./timer/batch-sweep.js'),
  capacitySweep: () => import('./timer/capacity-sweep.js'),
} satisfies { readonly [G in HandlerGroup]: () => Promise<GroupHandlers<G>> };

export const handlerLoader: HandlerLoader<HandlerGroup> = createHandlerLoader<HandlerGroup>(loaders);

export const functionDefinitions: readonly FunctionDefinition[] = functionManifest.map((entry) =>
  handlerLoader.define(entry),
);

/** Imports every handler module; resolves (never rejects) with what loaded and what failed. */
export const preloadHandlers = (): Promise<PreloadReport> => handlerLoader.preload();

export function createHandlerLoader<G extends string>(groups: GroupLoaders<G>): HandlerLoader<G> {
  const pending = new Map<G, Promise<HandlerModule>>();

  function load(group: G): Promise<HandlerModule> {
    const known = pending.get(group);
    if (known) return known;
    const loading = groups[group]();
    pending.set(group, loading);
    loading.catch(() => {
      if (pending.get(group) === loading) pending.delete(group);
    });
    return loading;
  }

  async function resolve(entry: { readonly name: string; readonly group: G }): Promise<AnyHandler> {
    const module = await load(entry.group);
    const handler = Object.hasOwn(module, entry.name) ? module[entry.name] : undefined;
    if (typeof handler !== 'function') {
      throw new Error(`Handler module "${entry.group}" has no handler named "${entry.name}"`);
    }
    return handler as AnyHandler;
  }

  async function preload(): Promise<PreloadReport> {
    const names = Object.keys(groups) as G[];
    const results = await Promise.allSettled(names.map((group) => load(group)));
    const loaded: string[] = [];
    const failed: Array<{ group: string; error: unknown }> = [];
    results.forEach((result, index) => {
      const group = names[index] ?? '?';
      if (result.status === 'fulfilled') loaded.push(group);
      else failed.push({ group, error: result.reason });
    });
    return { loaded, failed };
  }

  /**
   * The handler that loads the implementation on its first call; after that the implementation is called
   * directly: no import, no extra await.
   */
  function lazyHandler<H extends AnyHandler>(entry: { readonly name: string; readonly group: G }): H {
    let handler: ((...args: unknown[]) => unknown) | undefined;
    const call = async (...args: unknown[]): Promise<unknown> => {
      handler ??= (await resolve(entry)) as (...args: unknown[]) => unknown;
      const run = handler;
      // Every trigger's second argument is its InvocationContext: the invocation's log destination.
      return runInInvocation(args[1], () => Promise.resolve(run(...args)));
    };
    return call as H;
  }

  function define(entry: FunctionManifestEntry<G>): FunctionDefinition {
    switch (entry.kind) {
      case 'http':
        return {
          kind: 'http',
          name: entry.name,
          route: entry.route,
          methods: entry.methods,
          ...(entry.requestBody ? { requestBody: entry.requestBody } : {}),
          handler: lazyHandler<HttpFunctionDefinition['handler']>(entry),
        };
      case 'serviceBusQueue':
        return {
          kind: 'serviceBusQueue',
          name: entry.name,
          queueName: entry.queueName,
          handler: lazyHandler<QueueFunctionDefinition['handler']>(entry),
        };
      case 'timer':
        return {
          kind: 'timer',
          name: entry.name,
          schedule: entry.schedule,
          handler: lazyHandler<TimerFunctionDefinition['handler']>(entry),
        };
    }
  }

  return { load, resolve, preload, define };
}
