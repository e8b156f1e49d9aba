/**
 * Every function of the app, in one list: registered with Azure by index.ts, run locally by the dev host.
 */
import type { FunctionDefinition } from './definitions.js';
import { adminRoutes } from './http/admin.js';
import { healthRoutes } from './http/health.js';
import { jobRoutes } from './http/jobs.js';
import { openApiRoutes } from './http/openapi.js';
import { usageRoutes } from './http/usage.js';
import { intakeFunctions } from './queue/intake.js';
import { stageFunctions } from './queue/stages.js';
import { deliverFunctions } from './queue/deliver.js';
import { webhookRoutes } from './http/webhooks.js';

export const functionDefinitions: readonly FunctionDefinition[] = [
  ...healthRoutes,
  ...openApiRoutes,
  ...jobRoutes,
  ...usageRoutes,
  ...adminRoutes,
  ...intakeFunctions,
  ...stageFunctions,
  ...webhookRoutes,
  ...deliverFunctions,
];
