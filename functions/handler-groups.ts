/**
 * The handler module of each group, imported on demand. These dynamic imports are the only edges from the
 * registrations to the implementations (zod, shared/, the SDKs behind them), which is what keeps the
 * entry's import small (issue 8; test/cost/startup-imports.test.ts guards it).
 */
import { createHandlerLoader, type GroupLoaders } from './lazy-handlers.js';
import type { HandlerGroup } from './manifest.js';

const loaders: GroupLoaders<HandlerGroup> = {
  health: () => import('./http/health.js'),
  openapi: () => import('./http/openapi.js'),
  jobs: () => import('./http/jobs.js'),
  usage: () => import('./http/usage.js'),
  admin: () => import('./http/admin.js'),
  intake: () => import('./queue/intake.js'),
  stages: () => import('./queue/stages.js'),
  webhooks: () => import('./http/webhooks.js'),
  deliver: () => import('./queue/deliver.js'),
};

export const handlerLoader = createHandlerLoader(loaders);

/** Imports every handler module; resolves (never rejects) with what loaded and what failed. */
export const preloadHandlers = (): ReturnType<typeof handlerLoader.preload> => handlerLoader.preload();
