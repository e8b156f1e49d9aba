/**
 * Checks model output against the JSON schema the job asked for. Compiled validators are cached by schema
 * text (bounded), because the same product sends the same schema with every job and compiling costs ms.
 */
import { createRequire } from 'node:module';
import type * as AjvModule from 'ajv/dist/2020.js';
import type { Ajv2020 as Ajv2020Type, ValidateFunction } from 'ajv/dist/2020.js';
import { canonicalJson } from '../jobs/ids.js';

const MAX_CACHED_SCHEMAS = 256;

/**
 * Created on the first job that asks for a schema: ajv is ~80 modules, and loading it when the Functions
 * host imports the registrations would cost every cold start (bench/startup.ts). ajv is CommonJS, so a
 * synchronous require keeps checkAgainstSchema synchronous.
 */
let ajvInstance: Ajv2020Type | undefined;
function ajv(): Ajv2020Type {
  if (!ajvInstance) {
    const { Ajv2020 } = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof AjvModule;
    // strict:false: callers send OpenAI structured-output schemas, which carry keywords ajv does not know.
    ajvInstance = new Ajv2020({ strict: false, allErrors: false, validateFormats: false });
  }
  return ajvInstance;
}
const cache = new Map<string, { readonly validate: ValidateFunction; readonly schema: object }>();

export type SchemaCheck = { readonly ok: true } | { readonly ok: false; readonly problem: string };

export function checkAgainstSchema(schema: Record<string, unknown>, value: unknown): SchemaCheck {
  let validate: ValidateFunction;
  try {
    validate = validatorFor(schema);
  } catch (error) {
    return { ok: false, problem: `the requested JSON schema is not valid: ${(error as Error).message}` };
  }
  if (validate(value)) return { ok: true };
  const first = validate.errors?.[0];
  const where = first?.instancePath ? first.instancePath : '(root)';
  return { ok: false, problem: `${where} ${first?.message ?? 'does not match the schema'}` };
}

function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  const key = canonicalJson(schema);
  const cached = cache.get(key);
  if (cached) {
    // Refresh recency: Map iteration order is insertion order, so re-insert to mark as recently used.
    cache.delete(key);
    cache.set(key, cached);
    return cached.validate;
  }
  const validate = ajv().compile(schema);
  cache.set(key, { validate, schema });
  if (cache.size > MAX_CACHED_SCHEMAS) {
    const [oldestKey, oldest] = cache.entries().next().value ?? [];
    if (oldestKey !== undefined && oldest) {
      cache.delete(oldestKey);
      // ajv keeps its own reference per schema object; drop it too or memory grows with every schema.
      ajv().removeSchema(oldest.schema);
    }
  }
  return validate;
}
