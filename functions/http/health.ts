/**
 * Liveness for load balancers and the dev host's start-up check. It does not touch dependencies: a slow
 * Cosmos DB should not make every instance look dead at once.
 */
import type { GroupHandlers } from '../manifest.js';
import { json, publicRoute } from './context.js';

const health = publicRoute(() => Promise.resolve(json(200, { status: 'ok' })));

/** Implementations by function name; names and routes are in functions/manifest.ts. */
export const handlers = { health } satisfies GroupHandlers<'health'>;
