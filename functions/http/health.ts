/**
 * Liveness for load balancers and the dev host's start-up check. It does not touch dependencies: a slow
 * Cosmos DB should not make every instance look dead at once.
 */
import { json, publicRoute } from './context.js';

export const health = publicRoute(() => Promise.resolve(json(200, { status: 'ok' })));
