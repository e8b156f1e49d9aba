/**
 * Request bodies for the route fuzz (fuzz-routes.test.ts), one generator per route that takes one, each a
 * mix of nearly valid documents (so the use case runs) and junk: wrong types, deep nesting, big strings,
 * bytes that are not UTF-8, another tenant's endpoint ids, JSON schemas built to hurt a validator.
 */
import fc from 'fast-check';
import type { World } from './fuzz-inputs.js';

const anyText = fc.string({ unit: 'binary', maxLength: 80 });

/** Built once: generating megabytes per run would dominate the suite's time. */
const BIG = {
  nestedArrays: `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
  nestedObjects: `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`,
  overLimit: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(1_100_000) }] }),
  // Under the tenant's byte quota, long enough that tokens are counted on the worker pool (issue 16).
  oneCharPrompt: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'a'.repeat(200_000) }] }),
  manyKeys: JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]))),
  longString: JSON.stringify('é'.repeat(300_000)),
};

const junk: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.json({ maxDepth: 4 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('null', '[]', '"x"', '1', 'true', '{}', '{"a":1', '', ' ', '\ufeff{}'),
  },
  { weight: 1, arbitrary: fc.constantFrom('1e999999', '{"__proto__":{"admin":true}}', '{"a":1,"a":2}') },
  { weight: 1, arbitrary: fc.constantFrom(...Object.values(BIG)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 1, arbitrary: anyText },
);

/** Any JSON value in the place of each field: the wrong type is the common mistake. */
const wrongType = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, '', 0, -1, [], {}, true));

// ── jobs ───────────────────────────────────────────────────────────────────────────────────────────
const deep = (levels: number, wrap: (inner: unknown) => unknown): unknown => {
  let schema: unknown = { type: 'string' };
  for (let i = 0; i < levels; i += 1) schema = wrap(schema);
  return schema;
};
const HOSTILE_SCHEMAS: unknown[] = [
  { type: 'object', properties: { a: { type: 'string', pattern: '^(a+)+$' } } },
  { type: 'string', pattern: '(' },
  { type: 'string', pattern: '(?<=a)b' },
  { type: 'string', pattern: '(a)\\1' },
  { type: 'string', format: 'no-such-format' },
  { $id: 'https://fuzz.example/shared', type: 'object' },
  { $ref: 'https://fuzz.example/shared' },
  { $ref: 'http://169.254.169.254/latest/meta-data/' },
  { $ref: 'file:///etc/passwd' },
  { $ref: '#/definitions/missing' },
  { $ref: '#' },
  { $defs: { a: { $ref: '#/$defs/a' } }, $ref: '#/$defs/a' },
  { $schema: 'http://json-schema.org/draft-04/schema#' },
  { $schema: 'https://fuzz.example/meta' },
  { $dynamicRef: '#x' },
  { type: 42 },
  { type: ['string', 'nope'] },
  { properties: null },
  { required: 'a' },
  { enum: Array.from({ length: 5_000 }, (_, i) => i) },
  { allOf: Array.from({ length: 2_000 }, () => ({ type: 'object' })) },
  { type: 'array', items: { type: 'object' }, uniqueItems: true, minItems: 1e9 },
  { type: 'string', maxLength: -1 },
  deep(300, (inner) => ({ type: 'array', items: inner })),
  // Shared subtrees: 2^12 copies once serialised (~150 KB), every branch of each anyOf to try.
  deep(12, (inner) => ({ anyOf: [inner, inner] })),
];

const responseFormat = fc.oneof(
  fc.record({ type: fc.oneof(fc.constantFrom('text', 'json_object', 'json_schema', 'xml'), wrongType) }),
  fc.record(
    {
      type: fc.constant('json_schema'),
      json_schema: fc.record(
        {
          name: fc.oneof(fc.constantFrom('answer', 'a'.repeat(65), 'with space', ''), anyText),
          schema: fc.oneof(fc.constantFrom(...HOSTILE_SCHEMAS), fc.jsonValue({ maxDepth: 4 }), wrongType),
          strict: fc.oneof(fc.boolean(), wrongType),
        },
        { requiredKeys: ['schema'] },
      ),
    },
    { requiredKeys: ['type'] },
  ),
);

function endpointId(world: World): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom(...world.own.endpoint, world.disabledEndpoint, ...world.foreign.endpoint),
    fc.constantFrom('ep/x', 'ep_', `ep_${'0'.repeat(32)}`, `EP_${'a'.repeat(32)}`, '../ep', ''),
    wrongType,
  );
}

function jobObject(world: World): fc.Arbitrary<Record<string, unknown>> {
  const message = fc.record(
    {
      role: fc.oneof(
        fc.constantFrom('user', 'user', 'system', 'developer', 'assistant', 'tool', ''),
        wrongType,
      ),
      content: fc.oneof(
        { weight: 6, arbitrary: anyText.filter((t) => t.length > 0) },
        {
          weight: 1,
          arbitrary: fc.array(fc.record({ type: fc.constantFrom('text', 'image_url'), text: anyText })),
        },
        { weight: 1, arbitrary: wrongType },
      ),
    },
    { requiredKeys: ['role'] },
  );
  return fc.record(
    {
      model: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('m', 'gpt-4o-mini') },
        { weight: 1, arbitrary: wrongType },
      ),
      messages: fc.oneof(
        { weight: 8, arbitrary: fc.array(message, { minLength: 1, maxLength: 4 }) },
        { weight: 1, arbitrary: wrongType },
      ),
      max_tokens: fc.oneof(fc.integer({ min: 1, max: 4_096 }), wrongType),
      temperature: fc.oneof(fc.double({ min: 0, max: 2, noNaN: true }), wrongType),
      response_format: responseFormat,
      metadata: fc.oneof(fc.dictionary(anyText, anyText, { maxKeys: 4 }), wrongType),
      webhook_endpoint_id: endpointId(world),
      extra: wrongType,
    },
    { requiredKeys: ['model', 'messages'] },
  );
}

export function jobBody(world: World): fc.Arbitrary<string | Uint8Array> {
  return fc.oneof(
    { weight: 6, arbitrary: jobObject(world).map((job) => JSON.stringify(job)) },
    { weight: 1, arbitrary: junk },
  );
}

export function batchBody(world: World): fc.Arbitrary<string | Uint8Array> {
  const item = fc.record(
    { job: fc.oneof(jobObject(world), wrongType), idempotency_key: fc.oneof(anyText, wrongType) },
    { requiredKeys: ['job'] },
  );
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc.array(item, { minLength: 1, maxLength: 4 }).map((jobs) => JSON.stringify({ jobs })),
    },
    { weight: 1, arbitrary: fc.constant(JSON.stringify({ jobs: Array.from({ length: 101 }, () => ({})) })) },
    { weight: 1, arbitrary: wrongType.map((jobs) => JSON.stringify({ jobs })) },
    { weight: 1, arbitrary: junk },
  );
}

// ── admin ──────────────────────────────────────────────────────────────────────────────────────────
const quotas = fc.dictionary(
  fc.constantFrom(
    'submissionsPerMinute',
    'maxJobsInFlight',
    'dailyTokenBudget',
    'budgetPolicy',
    'maxRequestBytes',
    'maxMessages',
    'x',
  ),
  fc.oneof(fc.integer(), fc.double(), fc.constantFrom('refuse', 'hold'), wrongType),
);
const tenantFields = {
  name: fc.oneof(anyText, wrongType),
  status: fc.oneof(fc.constantFrom('active', 'suspended'), wrongType),
  allowedModels: fc.oneof(fc.array(fc.constantFrom('m', '*', '', 'a b', 'x'.repeat(65))), wrongType),
  quotas: fc.oneof(quotas, wrongType),
  webhookEndpointIds: fc.oneof(fc.array(fc.oneof(anyText, fc.constant('ep/x'))), wrongType),
  retentionDays: fc.oneof(fc.integer(), wrongType),
};

export const tenantCreateBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record(
        { id: fc.oneof(fc.stringMatching(/^fz[a-z0-9-]{1,20}$/), anyText, wrongType), ...tenantFields },
        { requiredKeys: [] },
      )
      .map((t) => JSON.stringify(t)),
  },
  { weight: 1, arbitrary: junk },
);
export const tenantPatchBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 5, arbitrary: fc.record(tenantFields, { requiredKeys: [] }).map((t) => JSON.stringify(t)) },
  { weight: 1, arbitrary: junk },
);
export const issueKeyBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ name: fc.oneof(anyText, wrongType), x: wrongType }, { requiredKeys: [] })
      .map((b) => JSON.stringify(b)),
  },
  { weight: 1, arbitrary: junk },
);

// ── webhooks ───────────────────────────────────────────────────────────────────────────────────────
const ipLiteral = fc.oneof(
  fc.ipV4(),
  fc.ipV6().map((ip) => `[${ip}]`),
  fc.constantFrom(
    '127.0.0.1',
    'localhost',
    '[::1]',
    '0.0.0.0',
    '169.254.169.254',
    '[::ffff:127.0.0.1]',
    '[2001::1]',
    '2130706433',
  ),
);
const webhookUrl = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom('http', 'https', 'ftp', 'file', 'javascript', 'HTTP'),
        fc.constantFrom('', 'user:pass@', 'u@'),
        ipLiteral,
        fc.constantFrom('', ':0', ':9', ':65535', ':65536', ':-1', ':80'),
        fc.webPath(),
      )
      .map(([scheme, auth, host, port, path]) => `${scheme}://${auth}${host}${port}${path}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'http://[',
      'http://',
      '//x',
      'http://no-such-host.invalid/h',
      `http://127.0.0.1/${'a'.repeat(3_000)}`,
    ),
  },
  { weight: 1, arbitrary: wrongType },
);

export const registerBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record(
        {
          url: webhookUrl,
          description: fc.oneof(anyText, fc.constant('d'.repeat(501)), wrongType),
          eventTypes: fc.oneof(
            fc.array(fc.constantFrom('job.succeeded', 'job.failed', 'job.*', '')),
            wrongType,
          ),
        },
        { requiredKeys: ['url'] },
      )
      .map((b) => JSON.stringify(b)),
  },
  { weight: 1, arbitrary: junk },
);
export const rotateBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc
    .record({ overlapSeconds: fc.oneof(fc.integer(), fc.double(), wrongType) }, { requiredKeys: [] })
    .map((b) => JSON.stringify(b)),
  junk,
);
export const replayFailedBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc
    .record({
      since: fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        anyText,
        wrongType,
      ),
    })
    .map((b) => JSON.stringify(b)),
  junk,
);
export function replayJobBody(world: World): fc.Arbitrary<string | Uint8Array> {
  return fc.oneof(
    fc.record({ endpointId: endpointId(world) }, { requiredKeys: [] }).map((b) => JSON.stringify(b)),
    junk,
  );
}

/** For routes that take no body: sometimes send one anyway. */
export const strayBody: fc.Arbitrary<string | Uint8Array | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: junk },
);

const deadLetterSelector = fc.record(
  {
    sequenceNumbers: fc.oneof(fc.array(fc.oneof(fc.bigInt({ min: 0n }).map(String), anyText)), wrongType),
    reason: fc.oneof(anyText, wrongType),
    tenantId: fc.oneof(anyText, wrongType),
    all: fc.oneof(fc.constant(true), wrongType),
  },
  { requiredKeys: [] },
);
export const deadLetterSelectorBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  deadLetterSelector.map((b) => JSON.stringify(b)),
  junk,
);
export const deadLetterPurgeBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc
    .record(
      {
        confirm: fc.oneof(fc.constantFrom('invoke', 'persist'), anyText, wrongType),
        selector: deadLetterSelector,
      },
      { requiredKeys: [] },
    )
    .map((b) => JSON.stringify(b)),
  junk,
);

/** The boundary the file upload plan's multipart content type names (fuzz-routes.test.ts). */
export const FUZZ_BOUNDARY = 'fuzz-boundary';

const multipartPart = fc.record({
  name: fc.oneof(fc.constantFrom('file', 'purpose', 'extra'), anyText),
  filename: fc.option(fc.oneof(fc.constantFrom('a.jsonl', '../../etc/passwd', ''), anyText)),
  content: fc.oneof(
    fc.constantFrom('batch', 'batch_output', '{"custom_id":"1"}\n', '{"a":1}\r\n{"b":2}', '[1]\n', '\n\n'),
    fc
      .array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 })
      .map((lines) => lines.map((l) => JSON.stringify(l)).join('\n')),
    anyText,
  ),
});

/** POST /v1/files: multipart bodies (well formed or cut short) of files, purposes and strays, or junk. */
export const fileUploadBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.array(multipartPart, { maxLength: 4 }), fc.boolean())
      .map(([parts, closed]) =>
        [
          ...parts.map(
            (part) =>
              `--${FUZZ_BOUNDARY}\r\ncontent-disposition: form-data; name="${part.name}"` +
              `${part.filename === null ? '' : `; filename="${part.filename}"`}\r\n\r\n${part.content}\r\n`,
          ),
          closed ? `--${FUZZ_BOUNDARY}--\r\n` : '',
        ].join(''),
      ),
  },
  { weight: 1, arbitrary: junk },
);
