/**
 * One pass over a tenant schema, before ajv sees it: measures it against SCHEMA_LIMITS and finds what must
 * be checked by field path (patterns, references). Runs on input that passed no other check, so the
 * nesting is measured first without recursion: JSON.parse happily builds 100,000 nested arrays.
 */
import { SCHEMA_LIMITS } from './limits.js';

export type SchemaPath = readonly (string | number)[];
export interface SchemaIssue {
  /** Path inside the schema, e.g. ['properties', 'x', 'pattern']. */
  readonly path: SchemaPath;
  readonly message: string;
}
export interface SchemaShape {
  readonly subschemas: number;
  readonly schemaDepth: number;
  readonly enumValues: number;
  readonly patterns: ReadonlyArray<{ readonly path: SchemaPath; readonly pattern: string }>;
  readonly refs: ReadonlyArray<{ readonly path: SchemaPath; readonly ref: string; readonly base: string }>;
  /** `$id`s declared inside the schema, resolved: the only documents a `$ref` may name. */
  readonly ids: ReadonlySet<string>;
  /**
   * Every subschema as `<resource uri>#<JSON pointer or anchor>`. A `$ref` must land on one of these: ajv
   * would otherwise compile, as a schema, a value this walk never checked (inside `enum`, or an unknown
   * keyword), outside every limit.
   */
  readonly targets: ReadonlySet<string>;
}

/** True when objects and arrays nest deeper than `limit`, found without recursion. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Object.values(current)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}

const SCHEMA_KEYWORDS = [
  'additionalProperties',
  'additionalItems',
  'items',
  'contains',
  'propertyNames',
  'not',
  'if',
  'then',
  'else',
  'unevaluatedItems',
  'unevaluatedProperties',
] as const;
const SCHEMA_ARRAY_KEYWORDS = ['prefixItems', 'allOf', 'anyOf', 'oneOf', 'items'] as const;
const SCHEMA_MAP_KEYWORDS = [
  '$defs',
  'definitions',
  'properties',
  'patternProperties',
  'dependentSchemas',
  'dependencies',
] as const;
const REF_KEYWORDS = ['$ref', '$dynamicRef', '$recursiveRef'] as const;

/** Base for schemas without `$id`: `.invalid` (RFC 2606) can never name a real document. */
export const ANONYMOUS_BASE = 'https://schema.invalid/job-schema.json';

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

export function resolveUri(ref: string, base: string): string | undefined {
  try {
    const url = new URL(ref, base);
    url.hash = '';
    return url.href;
  } catch {
    return undefined;
  }
}

/** The subschemas directly inside a schema object, with the path segments that lead to each. */
export function* childSchemas(schema: Record<string, unknown>): Generator<[SchemaPath, unknown]> {
  for (const keyword of SCHEMA_KEYWORDS) {
    if (keyword in schema && !Array.isArray(schema[keyword])) yield [[keyword], schema[keyword]];
  }
  for (const keyword of SCHEMA_ARRAY_KEYWORDS) {
    const list = schema[keyword];
    if (Array.isArray(list)) for (const [index, item] of list.entries()) yield [[keyword, index], item];
  }
  for (const keyword of SCHEMA_MAP_KEYWORDS) {
    const map = schema[keyword];
    if (!isObject(map)) continue;
    for (const [key, item] of Object.entries(map)) {
      // `dependencies` mixes schemas and arrays of property names: only the objects are schemas.
      if (!Array.isArray(item)) yield [[keyword, key], item];
    }
  }
}

const toPointer = (path: SchemaPath): string =>
  path.map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/** Walks subschemas (depth already bounded by nestsDeeperThan, so recursion is safe). */
export function inspectSchema(root: Record<string, unknown>): { shape: SchemaShape; issues: SchemaIssue[] } {
  const issues: SchemaIssue[] = [];
  const patterns: Array<{ path: SchemaPath; pattern: string }> = [];
  const refs: Array<{ path: SchemaPath; ref: string; base: string }> = [];
  const ids = new Set<string>();
  const targets = new Set<string>();
  let subschemas = 0;
  let schemaDepth = 0;
  let enumValues = 0;

  const visit = (
    schema: unknown,
    path: SchemaPath,
    depth: number,
    parentBase: string,
    inResource: SchemaPath,
  ): void => {
    if (typeof schema === 'boolean') {
      subschemas++;
      targets.add(`${parentBase}#${toPointer(inResource)}`);
      return;
    }
    if (!isObject(schema)) return; // ajv's meta-schema check reports the wrong type, with its path
    subschemas++;
    schemaDepth = Math.max(schemaDepth, depth);
    let base = parentBase;
    let resourcePath = inResource;
    if (typeof schema.$id === 'string') {
      const id = resolveUri(schema.$id, parentBase);
      if (id) {
        ids.add(id);
        base = id;
        resourcePath = [];
      }
    }
    // Where a `$ref` may point: the subschemas this walk checked, by resource and JSON pointer.
    targets.add(`${base}#${toPointer(resourcePath)}`);
    if (typeof schema.$anchor === 'string') targets.add(`${base}#${schema.$anchor}`);
    if (typeof schema.$dynamicAnchor === 'string') targets.add(`${base}#${schema.$dynamicAnchor}`);
    if (Array.isArray(schema.enum)) enumValues += schema.enum.length;
    if (isObject(schema.properties)) {
      const count = Object.keys(schema.properties).length;
      if (count > SCHEMA_LIMITS.maxPropertiesPerObject) {
        issues.push({
          path: [...path, 'properties'],
          message: `has ${count} properties; at most ${SCHEMA_LIMITS.maxPropertiesPerObject}`,
        });
      }
    }
    if (typeof schema.pattern === 'string')
      patterns.push({ path: [...path, 'pattern'], pattern: schema.pattern });
    if (isObject(schema.patternProperties)) {
      for (const key of Object.keys(schema.patternProperties)) {
        patterns.push({ path: [...path, 'patternProperties', key], pattern: key });
      }
    }
    for (const keyword of REF_KEYWORDS) {
      const ref = schema[keyword];
      if (typeof ref === 'string') refs.push({ path: [...path, keyword], ref, base });
    }
    for (const [segments, child] of childSchemas(schema)) {
      visit(child, [...path, ...segments], depth + 1, base, [...resourcePath, ...segments]);
    }
  };
  visit(root, [], 0, ANONYMOUS_BASE, []);

  const limits = SCHEMA_LIMITS;
  if (subschemas > limits.maxSubschemas) {
    issues.push({ path: [], message: `has ${subschemas} subschemas; at most ${limits.maxSubschemas}` });
  }
  if (schemaDepth > limits.maxSchemaDepth) {
    issues.push({
      path: [],
      message: `nests subschemas ${schemaDepth} deep; at most ${limits.maxSchemaDepth}`,
    });
  }
  if (enumValues > limits.maxEnumValues) {
    issues.push({ path: [], message: `has ${enumValues} enum values; at most ${limits.maxEnumValues}` });
  }
  if (patterns.length > limits.maxPatterns) {
    issues.push({ path: [], message: `has ${patterns.length} patterns; at most ${limits.maxPatterns}` });
  }
  return { shape: { subschemas, schemaDepth, enumValues, patterns, refs, ids, targets }, issues };
}
