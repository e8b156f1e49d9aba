/**
 * Value imports from `@azure/functions`, in one place. The package is a webpack-built CommonJS bundle
 * whose named exports Node's ESM loader cannot detect, so `import { app } from '@azure/functions'` fails
 * at run time under native ESM (bundlers and vitest hide this). It is loaded with `require`, which returns
 * the whole `module.exports` in the Functions host, the dev host and tests alike, and skips what an ESM
 * `import` of a CommonJS file costs: scanning its 190 KB source for export names (cjs-module-lexer), about
 * 60 ms of every cold start here. Both paths share Node's CommonJS cache: one instance.
 */
import { createRequire } from 'node:module';
import type * as Types from '@azure/functions';

const azureFunctions = createRequire(import.meta.url)('@azure/functions') as typeof Types;

export const app = azureFunctions.app;

// Each class is re-exported as a value and as its instance type, like a named import would be.
export const HttpRequest = azureFunctions.HttpRequest;
export type HttpRequest = Types.HttpRequest;
export const HttpResponse = azureFunctions.HttpResponse;
export type HttpResponse = Types.HttpResponse;
export const InvocationContext = azureFunctions.InvocationContext;
export type InvocationContext = Types.InvocationContext;
