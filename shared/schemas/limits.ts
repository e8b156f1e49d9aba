/**
 * Limits on tenant JSON schemas (`response_format.json_schema.schema`). A schema is compiled to code and run
 * against every output of the jobs that name it, on the same event loop as every other tenant's work, so
 * each limit bounds a cost: compile time (size, subschemas, patterns), validation time per output byte
 * (patterns, enum values) and stack depth. OpenAI structured outputs, for scale, accepts up to 5,000
 * object properties, 10 levels of nesting, 1,000 enum values and 120,000 characters of names and values.
 * docs/security.md lists these for tenants.
 */
export const SCHEMA_LIMITS = {
  /** UTF-16 code units of the schema serialized as canonical JSON. */
  maxSerializedChars: 64 * 1024,
  /** Nesting of JSON values (objects and arrays, enum and const values included): bounds recursion. */
  maxJsonDepth: 64,
  /** Nesting of subschemas (properties, items, anyOf, ...): OpenAI allows 10 levels of object nesting. */
  maxSchemaDepth: 16,
  /** Subschemas (every object or boolean in a schema position): bounds generated code and compile time. */
  maxSubschemas: 5_000,
  /**
   * Properties of one `properties` keyword: ajv nests one block per property in one function, and V8
   * overflows its stack parsing it at ~2,400 (measured); 1,000 compile in ~250 ms.
   */
  maxPropertiesPerObject: 1_000,
  /** Values in all `enum` keywords together (OpenAI: 1,000). */
  maxEnumValues: 1_000,
  /** `pattern` values, `patternProperties` keys together. */
  maxPatterns: 100,
  /** Length of one pattern, in UTF-16 code units. */
  maxPatternChars: 1_000,
  /** RE2 program size of one pattern: `x{1000}` style repeats make small texts large programs. */
  maxPatternProgram: 2_000,
  /** RE2 program size of all patterns together: compiling costs ~4 ms per 1,000 (measured, re2js 2.10). */
  maxTotalPatternProgram: 10_000,
} as const;

/** Over this many subschemas or characters a schema counts as heavy work (see schemaCost). */
export const HEAVY_SCHEMA = { subschemas: 500, serializedChars: 16 * 1024, patterns: 10 } as const;
