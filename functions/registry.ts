/**
 * Every function of the app, in one list: registered with Azure by index.ts, run locally by the dev host.
 * The trigger facts come from manifest.ts; each handler imports its implementation on first use (or when
 * preloadHandlers() has run), so importing this module loads no handler code.
 */
import type { FunctionDefinition } from './definitions.js';
import { handlerLoader } from './handler-groups.js';
import { functionManifest } from './manifest.js';

export { preloadHandlers } from './handler-groups.js';

export const functionDefinitions: readonly FunctionDefinition[] = functionManifest.map((entry) =>
  handlerLoader.define(entry),
);
