/**
 * ajv, one instance per tenant schema. ajv keeps a registry of every schema it compiled, by `$id`: with one
 * shared instance a tenant's `$id` made another tenant's schema with the same `$id` fail to compile, and a
 * `$ref` to it resolved to the first tenant's schema. A fresh instance per schema has nothing registered
 * but that schema, no meta-schemas and no loadSchema, so `$ref` reaches nothing else and never the network.
 *
 * ajv is ~80 modules: it loads on the first schema, not when the Functions host imports the registrations
 * (test/cost/startup-imports.test.ts). It is CommonJS, so a synchronous require keeps callers synchronous.
 */
import { createRequire } from 'node:module';
import type * as AjvModule from 'ajv/dist/2020.js';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { canonicalJson } from './canonical-json.js';
import { childSchemas } from './inspect.js';
import { re2RegExpEngine } from './regexp.js';

export type { ValidateFunction };

let ajvModule: typeof AjvModule | undefined;
function ajvClass(): typeof AjvModule.Ajv2020 {
  ajvModule ??= createRequire(import.meta.url)('ajv/dist/2020.js') as typeof AjvModule;
  return ajvModule.Ajv2020;
}

/**
 * Checks schemas against the 2020-12 meta-schema. Shared safely: validateSchema registers nothing, and the
 * meta-schema's own patterns are ours. Compiling the meta-schema costs ~25 ms, once per process.
 */
let metaInstance: Ajv2020 | undefined;
const META_SCHEMA_URIS = new Set([
  'https://json-schema.org/draft/2020-12/schema',
  'https://json-schema.org/draft/2020-12/schema#',
]);
export function metaSchemaErrors(schema: unknown): readonly ErrorObject[] {
  metaInstance ??= new (ajvClass())({ strict: false, allErrors: false, validateFormats: false });
  const declared = (schema as { $schema?: unknown }).$schema;
  // validateSchema would look any other `$schema` up in the instance (and throw): only 2020-12 is there.
  if (declared !== undefined && !META_SCHEMA_URIS.has(declared as string)) {
    return [
      {
        instancePath: '/$schema',
        schemaPath: '',
        keyword: '$schema',
        params: {},
        message: `must be ${[...META_SCHEMA_URIS][0]} (JSON Schema 2020-12) or left out`,
      },
    ];
  }
  if (metaInstance.validateSchema(schema as object) === true) return [];
  return metaInstance.errors ?? [];
}

/**
 * `uniqueItems` in ajv compares items pairwise (O(n²) deep-equal for objects); with outputs of up to
 * max_tokens that is seconds. Canonical JSON in a Set gives JSON Schema's equality in one pass.
 */
function allDistinct(items: readonly unknown[]): boolean {
  const seen = new Set<string>();
  for (const item of items) {
    const key = canonicalJson(item);
    if (seen.has(key)) return false;
    seen.add(key);
  }
  return true;
}

/**
 * Evaluation budget. Validation is not linear in the output in general: `$defs` where each entry is
 * `anyOf: [{$ref: next}, {$ref: next}]` evaluates 2^n subschemas against a single value (20 entries, 1.6 KB
 * of schema: 4.6 s for the string "x"), and recursion does the same per level of output nesting. Every
 * subschema gets a keyword that runs before its others and counts; past the budget validation stops.
 */
const BUDGET_KEYWORD = 'pp:evaluationBudget';
let evaluationsLeft = 0;
export class EvaluationBudgetExceeded extends Error {}

function instrument(schema: unknown): void {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return;
  const object = schema as Record<string, unknown>;
  object[BUDGET_KEYWORD] = true;
  for (const [, child] of childSchemas(object)) instrument(child);
}

/** Subschema evaluations allowed for one output: a fixed allowance plus a share per output character. */
export function evaluationBudgetFor(outputChars: number): number {
  return 100_000 + outputChars;
}

/** Runs a validator from compileIsolated within a budget; throws EvaluationBudgetExceeded past it. */
export function validateWithin(validate: ValidateFunction, value: unknown, budget: number): boolean {
  evaluationsLeft = budget;
  return validate(value);
}

/**
 * Compiles in an instance of its own. Throws ajv's errors (invalid schema, unresolvable `$ref`). Mutates
 * `schema` (adds the budget keyword): pass a private copy.
 */
export function compileIsolated(schema: Record<string, unknown>): ValidateFunction {
  const ajv = new (ajvClass())({
    // strict:false: callers send OpenAI structured-output schemas, which carry keywords ajv does not know.
    strict: false,
    allErrors: false,
    validateFormats: false,
    // No meta-schemas in this instance: a `$ref` to one would be a reference outside the tenant's schema.
    meta: false,
    // The submit check ran the meta-schema with field paths; the instance has none to run anyway.
    validateSchema: false,
    // optimize:false: ajv's code optimisation passes took 2-3x the compile time of large schemas (456 vs
    // 171 ms at 600 properties) for validators that run a few times per job.
    code: { regExp: re2RegExpEngine, optimize: false },
  });
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword({
    keyword: 'uniqueItems',
    type: 'array',
    schemaType: 'boolean',
    validate: (unique: boolean, data: unknown[]) => !unique || allDistinct(data),
  });
  ajv.addKeyword({
    keyword: BUDGET_KEYWORD,
    schemaType: 'boolean',
    // Before `$ref`, the first keyword of the group that runs first: counted before any work is done.
    before: '$ref',
    errors: false,
    validate: () => {
      if (--evaluationsLeft < 0) throw new EvaluationBudgetExceeded('evaluation budget exceeded');
      return true;
    },
  });
  instrument(schema);
  return ajv.compile(schema);
}
