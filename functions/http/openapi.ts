/**
 * `GET /api/openapi.json`: the OpenAPI 3.1 document (openapi-document.ts), built once, on first request.
 */
import type { oas31 } from 'zod-openapi';
import { json, publicRoute } from './context.js';
import { buildOpenApiDocument } from './openapi-document.js';

let document: oas31.OpenAPIObject | undefined;

export const openapi = publicRoute(() => {
  document ??= buildOpenApiDocument();
  return Promise.resolve(json(200, document));
});
