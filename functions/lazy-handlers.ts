/**
 * Handlers that load on first use (issue 8: start-up). A definition's handler imports its group module on
 * the first invocation, memoised per group, and calls the implementation; preload() imports every group
 * ahead of traffic. A failed import is not remembered: the next invocation imports again and the error
 * reaches the caller (an HTTP 500 from the host, an abandoned message), so a worker whose preload failed
 * still starts and says why on each request instead of crashing.
 */
import type { FunctionDefinition, HttpFunctionDefinition, QueueFunctionDefinition } from './definitions.js';
import type { FunctionManifestEntry } from './manifest.js';

type AnyHandler = HttpFunctionDefinition['handler'] | QueueFunctionDefinition['handler'];

/** A group module's shape: its implementations by function name (see GroupHandlers in manifest.ts). */
export interface HandlerModule {
  readonly handlers: Readonly<Record<string, AnyHandler>>;
}

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

export function createHandlerLoader<G extends string>(loaders: GroupLoaders<G>): HandlerLoader<G> {
  const pending = new Map<G, Promise<HandlerModule>>();

  function load(group: G): Promise<HandlerModule> {
    const known = pending.get(group);
    if (known) return known;
    const loading = loaders[group]();
    pending.set(group, loading);
    loading.catch(() => {
      if (pending.get(group) === loading) pending.delete(group);
    });
    return loading;
  }

  async function resolve(entry: { readonly name: string; readonly group: G }): Promise<AnyHandler> {
    const module = await load(entry.group);
    const handler = Object.hasOwn(module.handlers, entry.name) ? module.handlers[entry.name] : undefined;
    if (typeof handler !== 'function') {
      throw new Error(`Handler module "${entry.group}" has no handler named "${entry.name}"`);
    }
    return handler;
  }

  async function preload(): Promise<PreloadReport> {
    const groups = Object.keys(loaders) as G[];
    const results = await Promise.allSettled(groups.map((group) => load(group)));
    const loaded: string[] = [];
    const failed: Array<{ group: string; error: unknown }> = [];
    results.forEach((result, index) => {
      const group = groups[index] ?? '?';
      if (result.status === 'fulfilled') loaded.push(group);
      else failed.push({ group, error: result.reason });
    });
    return { loaded, failed };
  }

  function define(entry: FunctionManifestEntry<G>): FunctionDefinition {
    switch (entry.kind) {
      case 'http': {
        // After the first call the implementation is called directly: no import, no extra await.
        let handler: HttpFunctionDefinition['handler'] | undefined;
        return {
          kind: 'http',
          name: entry.name,
          route: entry.route,
          methods: entry.methods,
          handler: async (request, context) => {
            handler ??= (await resolve(entry)) as HttpFunctionDefinition['handler'];
            return handler(request, context);
          },
        };
      }
      case 'serviceBusQueue': {
        let handler: QueueFunctionDefinition['handler'] | undefined;
        return {
          kind: 'serviceBusQueue',
          name: entry.name,
          queueName: entry.queueName,
          handler: async (message, context) => {
            handler ??= (await resolve(entry)) as QueueFunctionDefinition['handler'];
            return handler(message, context);
          },
        };
      }
    }
  }

  return { load, resolve, preload, define };
}
