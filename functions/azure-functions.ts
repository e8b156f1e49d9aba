/**
 * Value imports from `@azure/functions`, in one place. The package is a webpack-built CommonJS bundle
 * whose named exports Node's ESM loader cannot detect, so `import { app } from '@azure/functions'` fails
 * at run time under native ESM (bundlers and vitest hide this). The default import is the whole
 * `module.exports`, which works in the Functions host, the dev host and tests alike.
 */
import azureFunctions from '@azure/functions';
import type * as Types from '@azure/functions';

export const app = azureFunctions.app;

// Each class is re-exported as a value and as its instance type, like a named import would be.
export const HttpRequest = azureFunctions.HttpRequest;
export type HttpRequest = Types.HttpRequest;
export const HttpResponse = azureFunctions.HttpResponse;
export type HttpResponse = Types.HttpResponse;
export const InvocationContext = azureFunctions.InvocationContext;
export type InvocationContext = Types.InvocationContext;
