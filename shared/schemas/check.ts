/**
 * Tenant JSON schemas: checked once at submit (limits, patterns, references, the 2020-12 meta-schema, then
 * compiled), with every problem named by its path inside the schema, and the compiled validator cached by
 * content hash so postprocess does not compile it again. The cache is bounded by entries and by the size
 * of the schemas it holds: memory does not grow with the number of distinct schemas tenants send.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { compileIsolated, metaSchemaErrors, type ValidateFunction } from './compile.js';
import { inspectSchema, nestsDeeperThan, resolveUri, type SchemaIssue, type SchemaShape } from './inspect.js';
import { HEAVY_SCHEMA, SCHEMA_LIMITS } from './limits.js';
import { compilePattern } from './regexp.js';

export type { SchemaIssue };
export type SchemaVerdict =
  | { readonly ok: true; readonly validate: ValidateFunction }
  | { readonly ok: false; readonly issues: readonly SchemaIssue[] };

export const SCHEMA_CACHE_BOUNDS = { entries: 256, serializedChars: 8 * 1024 * 1024 } as const;

interface Entry {
  readonly verdict: SchemaVerdict;
  readonly chars: number;
}
const cache = new Map<string, Entry>();
let cachedChars = 0;

/** How many schemas the cache holds and their total size, for tests and metrics. */
export function schemaCacheStats(): { entries: number; serializedChars: number } {
  return { entries: cache.size, serializedChars: cachedChars };
}

/** Checks and compiles a schema, or returns its problems; both outcomes are cached by content hash. */
export function checkSchema(schema: Record<string, unknown>): SchemaVerdict {
  if (nestsDeeperThan(schema, SCHEMA_LIMITS.maxJsonDepth)) {
    return fail([], `nests more than ${SCHEMA_LIMITS.maxJsonDepth} levels of objects and arrays`);
  }
  const canonical = canonicalJson(schema);
  if (canonical.length > SCHEMA_LIMITS.maxSerializedChars) {
    return fail([], `is ${canonical.length} characters as JSON; at most ${SCHEMA_LIMITS.maxSerializedChars}`);
  }
  const key = createHash('sha256').update(canonical).digest('hex');
  const hit = cache.get(key);
  if (hit) {
    // Map iteration order is insertion order: re-inserting marks the entry most recently used.
    cache.delete(key);
    cache.set(key, hit);
    return hit.verdict;
  }
  // Compile a private copy: the validator keeps references into its schema (enum and const values).
  const verdict = checkUncached(JSON.parse(canonical) as Record<string, unknown>);
  remember(key, { verdict, chars: canonical.length });
  return verdict;
}

/** Problems with a schema, each with its path inside the schema: what the submit check reports. */
export function schemaIssues(schema: Record<string, unknown>): readonly SchemaIssue[] {
  const verdict = checkSchema(schema);
  return verdict.ok ? [] : verdict.issues;
}

/**
 * What the event loop checks of a schema at submit. A light schema is checked in full here, in a few ms.
 * Of a heavy one only what is cheap is checked here (nesting and size, and the limits on counts when it
 * is under 16 KiB); the rest, including the walk of a large one (~45 ms for 60 KB of nested anyOf,
 * measured by the route fuzz), is left to schemaIssues on the heavy-work pool
 * (shared/pipeline/submitted-schema.ts).
 */
export function submitIssues(schema: Record<string, unknown>): readonly SchemaIssue[] {
  const size = sizeOf(schema);
  if (size.issue) return [size.issue];
  if (size.serializedChars > HEAVY_SCHEMA.serializedChars) return [];
  // Under 16 KiB the walk costs a few ms; what it finds is refused here, and a schema heavy by its
  // counts (100 small patterns compile in ~150 ms) still goes to the pool.
  const { issues } = walked(schema);
  if (issues.length > 0) return issues;
  return schemaCost(schema).heavy ? [] : schemaIssues(schema);
}

export interface SchemaCost {
  readonly serializedChars: number;
  /** Absent when the size alone made the schema heavy and it was not walked. */
  readonly subschemas?: number;
  readonly patterns?: number;
  /** Worth counting against a tenant's concurrent heavy work (compiling costs up to tens of ms). */
  readonly heavy: boolean;
}

/**
 * How expensive a schema is to check and compile, without compiling it: linear in its size, and safe on
 * unchecked input (a schema over the nesting or size limit reports as heavy without being walked).
 */
export function schemaCost(schema: Record<string, unknown>): SchemaCost {
  const size = sizeOf(schema);
  // Past the size threshold a schema is heavy whatever its shape: no need to walk it (postprocess asks
  // this of every structured-output job, and a walk of 1,000 properties costs ~8 ms).
  if (size.issue || size.serializedChars > HEAVY_SCHEMA.serializedChars) {
    return { serializedChars: size.serializedChars, heavy: true };
  }
  const { shape } = walked(schema);
  const patterns = shape.patterns.length;
  const heavy = shape.subschemas > HEAVY_SCHEMA.subschemas || patterns > HEAVY_SCHEMA.patterns;
  return { serializedChars: size.serializedChars, subschemas: shape.subschemas, patterns, heavy };
}

interface Size {
  readonly serializedChars: number;
  /** Set when nesting or size alone refuses the schema. */
  readonly issue?: SchemaIssue;
}

/**
 * Memoised per schema object: the submit check, accept and the pool adapter all ask about the same
 * parsed schema, and each answer costs a pass over it.
 */
function memoisedPerObject<T>(compute: (schema: Record<string, unknown>) => T) {
  const known = new WeakMap<object, T>();
  return (schema: Record<string, unknown>): T => {
    if (known.has(schema)) return known.get(schema) as T;
    const value = compute(schema);
    known.set(schema, value);
    return value;
  };
}

const sizeOf = memoisedPerObject(measure);
const walked = memoisedPerObject(inspectSchema);

function measure(schema: Record<string, unknown>): Size {
  if (nestsDeeperThan(schema, SCHEMA_LIMITS.maxJsonDepth)) {
    const message = `nests more than ${SCHEMA_LIMITS.maxJsonDepth} levels of objects and arrays`;
    return { serializedChars: Number.POSITIVE_INFINITY, issue: { path: [], message } };
  }
  const serializedChars = JSON.stringify(schema).length;
  if (serializedChars > SCHEMA_LIMITS.maxSerializedChars) {
    // Refused for its size alone, before any walk: walking first cost ~80 ms of event loop for 120 KB of
    // nested anyOf (found by test/security/fuzz-routes.test.ts), the very work the limit bounds.
    const message = `is ${serializedChars} characters as JSON; at most ${SCHEMA_LIMITS.maxSerializedChars}`;
    return { serializedChars, issue: { path: [], message } };
  }
  return { serializedChars };
}

function checkUncached(schema: Record<string, unknown>): SchemaVerdict {
  const { shape, issues } = inspectSchema(schema);
  if (issues.length > 0) return { ok: false, issues };
  let program = 0;
  for (const { path, pattern } of shape.patterns) {
    // Stop compiling once over the total: the remaining patterns would cost what the limit prevents.
    if (program > SCHEMA_LIMITS.maxTotalPatternProgram) break;
    const result = compilePattern(pattern);
    if (!result.ok) issues.push({ path, message: `pattern ${result.reason}` });
    else program += result.re2.programSize();
  }
  if (program > SCHEMA_LIMITS.maxTotalPatternProgram) {
    issues.push({
      path: [],
      message: `has patterns of ${program}+ RE2 instructions together; at most ${SCHEMA_LIMITS.maxTotalPatternProgram}`,
    });
  }
  for (const { path, ref, base } of shape.refs) {
    const problem = refProblem(ref, base, shape);
    if (problem) issues.push({ path, message: problem });
  }
  if (issues.length > 0) return { ok: false, issues };
  const [metaError] = metaSchemaErrors(schema);
  if (metaError) {
    const message =
      metaError.keyword === '$schema'
        ? (metaError.message ?? '')
        : `is not valid JSON Schema: ${metaError.message ?? ''}`;
    return fail(fromPointer(metaError.instancePath), message);
  }
  try {
    return { ok: true, validate: compileIsolated(schema) };
  } catch (error) {
    // What is left: references to pointers that do not exist, and the like. ajv's message names them.
    return fail([], `cannot be compiled: ${error instanceof Error ? error.message : 'unknown error'}`);
  }
}

/** A `$ref` may name only a subschema of this schema: never another tenant's, never a document to fetch. */
function refProblem(ref: string, base: string, shape: SchemaShape): string | undefined {
  const hashAt = ref.indexOf('#');
  const document = hashAt < 0 ? ref : ref.slice(0, hashAt);
  let fragment = '';
  try {
    fragment = hashAt < 0 ? '' : decodeURIComponent(ref.slice(hashAt + 1));
  } catch {
    return 'is not a valid URI reference';
  }
  const target = document === '' ? base : resolveUri(document, base);
  if (target === undefined || (document !== '' && !shape.ids.has(target))) {
    return (
      'refers outside this schema; references resolve within the schema only ' +
      '(e.g. "#/$defs/name", or an $id declared in it) and are never fetched'
    );
  }
  if (!shape.targets.has(`${target}#${fragment}`)) {
    return 'does not point at a subschema of this schema (e.g. "#/$defs/name")';
  }
  return undefined;
}

function fail(path: readonly (string | number)[], message: string): SchemaVerdict {
  return { ok: false, issues: [{ path, message }] };
}

/** RFC 6901 pointer (`/properties/a~1b/type`) to path segments. */
function fromPointer(pointer: string): string[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function remember(key: string, entry: Entry): void {
  cache.set(key, entry);
  cachedChars += entry.chars;
  while (cache.size > SCHEMA_CACHE_BOUNDS.entries || cachedChars > SCHEMA_CACHE_BOUNDS.serializedChars) {
    const oldest = cache.keys().next();
    if (oldest.done) break;
    cachedChars -= cache.get(oldest.value)?.chars ?? 0;
    // Dropping the entry drops its ajv instance with it: nothing else refers to a compiled schema.
    cache.delete(oldest.value);
  }
}
