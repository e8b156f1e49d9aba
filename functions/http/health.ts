/**
 * Liveness for load balancers and the dev host's start-up check. It does not touch dependencies: a slow
 * Cosmos DB should not make every instance look dead at once.
 */
import type { HttpFunctionDefinition } from '../definitions.js';
import { json, publicRoute } from './context.js';

const health = publicRoute(() => Promise.resolve(json(200, { status: 'ok' })));

export const healthRoutes: readonly HttpFunctionDefinition[] = [
  { kind: 'http', name: 'health', route: 'health', methods: ['GET'], handler: health },
];
