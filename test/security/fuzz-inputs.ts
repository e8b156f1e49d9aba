/**
 * Generators for the route fuzz (fuzz-routes.test.ts): path ids, query strings, headers and bodies as a
 * hostile or careless caller sends them, mixed with the real ids and tokens setup created (the caller's own
 * and another tenant's), so most requests get past authentication and the id checks into the handlers.
 */
import fc from 'fast-check';
import { sealContinuationToken } from '../../shared/jobs/continuation-token.js';
import type { FuzzRequest } from './fuzz-client.js';

export type IdKind = 'job' | 'endpoint' | 'tenant' | 'key';

/** What setup created: ids the caller may use, ids of another tenant, and list tokens. */
export interface World {
  readonly tenantA: string;
  readonly keyA: string;
  readonly adminAuth: string;
  /** Ids the fuzz may act on: tenant A's jobs and endpoints, a sacrificial tenant and its keys. */
  readonly own: Readonly<Record<IdKind, readonly string[]>>;
  /** Tenant B's ids (and B itself): a tenant must never see them unless it sent them. */
  readonly foreign: Readonly<Record<IdKind, readonly string[]>>;
  readonly disabledEndpoint: string;
  readonly tokens: { readonly own: string; readonly ownQueued: string; readonly foreign: string };
}

export type Caller = 'tenant' | 'admin' | 'nobody';

// ── text ───────────────────────────────────────────────────────────────────────────────────────────
const anyText = fc.string({ unit: 'binary', maxLength: 80 });
const hex = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`));

/** Percent-encodes bytes as UTF-8 does, lone surrogates included (encodeURIComponent throws on those). */
function percent(char: string): string {
  return [...Buffer.from(char, 'utf8')]
    .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
    .join('');
}

/**
 * How a value goes into the target: fully encoded (one path segment), raw where the wire allows it (so
 * `/`, `\`, `#`, `?` and `..` arrive unescaped), raw Latin-1 (which the HTTP parser itself refuses), or
 * encoded twice.
 */
export type Encoding = 'component' | 'raw' | 'latin1' | 'double';
const encoding = fc.constantFrom<Encoding>('component', 'component', 'raw', 'raw', 'latin1', 'double');

export function encode(text: string, how: Encoding): string {
  const once = (value: string, keep: (code: number) => boolean) =>
    [...value].map((c) => (keep(c.codePointAt(0) ?? 0) ? c : percent(c))).join('');
  const unreserved = (code: number) => /[A-Za-z0-9_.~-]/.test(String.fromCodePoint(code));
  switch (how) {
    case 'component':
      return once(text, unreserved);
    case 'raw':
      return once(text, (code) => code >= 0x21 && code <= 0x7e);
    case 'latin1':
      return once(text, (code) => code >= 0x21 && code <= 0xff);
    case 'double':
      return once(once(text, unreserved), unreserved);
  }
}

// ── ids ────────────────────────────────────────────────────────────────────────────────────────────
const HOSTILE_IDS = [
  ...['/', '\\', '#', '?', ' ', '\t', '%2F', '%2f', '%5C', '%00', '\u0000', '\r\n', '%', '%zz', '+'],
  ...['..', '.', '%2e%2e', '../..', '..%2F..%2Fadmin%2Ftenants', '', ' ', '\u00a0', '\u202e', '\ufeff'],
  ...['é', 'ü/x', '💥', '\ud800', '𝔧𝔬𝔟', 'ｊｏｂ', '__proto__', 'constructor', 'null', 'undefined', '0'],
  ...['job_', 'ep_', 'JOB_' + '0'.repeat(32), 'job_' + 'A'.repeat(32), 'job_' + '0'.repeat(33)],
  'x'.repeat(300),
  'é'.repeat(2_000),
  'a'.repeat(6_000),
];
const pieces = fc.constantFrom(
  '/',
  '\\',
  '#',
  '?',
  ' ',
  '\t',
  '%2F',
  '%00',
  '..',
  'é',
  '💥',
  '\u0000',
  '%',
  '&',
);

export function pathId(kind: IdKind, world: World): fc.Arbitrary<string> {
  const real = [...world.own[kind], ...world.foreign[kind]];
  const wellFormed = {
    job: hex(32).map((h) => `job_${h}`),
    endpoint: hex(32).map((h) => `ep_${h}`),
    tenant: fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}$/),
    key: hex(24),
  }[kind];
  const raw = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...world.own[kind]) },
    { weight: 2, arbitrary: fc.constantFrom(...world.foreign[kind]) },
    { weight: 1, arbitrary: wellFormed },
    { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_IDS) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom(...real), pieces, fc.nat())
        .map(([id, piece, at]) => id.slice(0, at % (id.length + 1)) + piece + id.slice(at % (id.length + 1))),
    },
    { weight: 2, arbitrary: fc.string({ unit: pieces, maxLength: 6 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  );
  return fc.tuple(raw, encoding).map(([id, how]) => encode(id, how));
}

// ── query strings ──────────────────────────────────────────────────────────────────────────────────
function continuationToken(world: World): fc.Arbitrary<string> {
  const real = fc.constantFrom(world.tokens.own, world.tokens.ownQueued, world.tokens.foreign);
  const storeToken = fc.oneof(
    fc.json({ maxDepth: 3 }),
    fc
      .record({ token: anyText, range: fc.record({ min: anyText, max: anyText }) }, { requiredKeys: [] })
      .map((t) => JSON.stringify(t)),
    fc.constantFrom('{}', '[]', 'null', '{"token":null}', '{"token":"+RID:~x#RT:1#TRC:1","range":{}}'),
    anyText,
  );
  return fc.oneof(
    { weight: 2, arbitrary: real },
    {
      weight: 3,
      arbitrary: fc
        .tuple(real, fc.nat(), fc.constantFrom('flip', 'cut', 'append', 'swap', 'upper'))
        .map(([token, at, how]) => {
          const i = at % token.length;
          if (how === 'flip') return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
          if (how === 'cut') return token.slice(0, i);
          if (how === 'append') return `${token}A`;
          if (how === 'swap') return token.split('.').reverse().join('.');
          return token.toUpperCase();
        }),
    },
    { weight: 2, arbitrary: fc.json({ maxDepth: 2 }) },
    { weight: 1, arbitrary: fc.base64String({ maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.base64String({ minLength: 4, maxLength: 80 }), fc.stringMatching(/^[A-Za-z0-9_-]{22}$/))
        .map(([body, check]) => `${body.replace(/[+/=]/g, '_')}.${check}`),
    },
    // Passes the check (it is a hash, not a signature) and so reaches Cosmos DB with any store token.
    {
      weight: 3,
      arbitrary: fc
        .tuple(storeToken, fc.constantFrom('', 'status=queued'))
        .map(([token, filter]) => sealContinuationToken(token, { tenantId: world.tenantA, filter })),
    },
    { weight: 1, arbitrary: fc.constant('x'.repeat(9_000)) },
  );
}

const JUNK_NUMBERS = ['0', '-1', '1', '100', '101', '500', '501', '1e2', '0x10', '1.5', 'NaN', 'Infinity'];
const limit = fc.oneof(
  fc.constantFrom(...JUNK_NUMBERS, '', ' 5', '5 ', '9'.repeat(400), '[]', '1,2'),
  fc.integer().map(String),
);
const status = fc.oneof(
  fc.constantFrom('queued', 'running', 'succeeded', 'failed', 'cancelled', 'QUEUED', '', 'held', '*'),
  anyText,
);
const dateTime = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2026-02-30T00:00:00Z', '+275760-09-13T00:00:00.000Z', '0000-01-01T00:00:00Z', 'now', ''),
  fc.constantFrom('2026-01-01', '2026-01-01T00:00:00', '2026-01-01T00:00:00+99:99', '1e12'),
  anyText,
);
const QUERY_KEYS = ['continuationToken', 'limit', 'status', 'since', 'until', 'deliveryId'] as const;

export function queryString(world: World): fc.Arbitrary<string> {
  const token = continuationToken(world);
  // A Map, not an object literal: the generated keys include `__proto__` and `constructor`.
  const values = new Map<string, fc.Arbitrary<string>>([
    ['continuationToken', token],
    ['limit', limit],
    ['status', status],
    ['since', dateTime],
    ['until', dateTime],
  ]);
  const valueFor = (key: string): fc.Arbitrary<string> => values.get(key) ?? anyText;
  const pair = fc
    .oneof(
      { weight: 6, arbitrary: fc.constantFrom<string>(...QUERY_KEYS) },
      { weight: 1, arbitrary: fc.constantFrom('x', '', '__proto__', 'constructor', 'LIMIT', 'limit[]') },
    )
    .chain((key) => fc.tuple(fc.constant(key), valueFor(key), encoding));
  return fc
    .array(pair, { maxLength: 4 })
    .map((pairs) =>
      pairs.length === 0
        ? ''
        : `?${pairs.map(([k, v, how]) => `${encode(k, how === 'latin1' ? 'component' : how)}=${encode(v, how)}`).join('&')}`,
    );
}

// ── headers ────────────────────────────────────────────────────────────────────────────────────────
/** Header values as node:http will send them: tab, visible ASCII and Latin-1 bytes. */
const headerValue = fc
  .string({
    unit: fc
      .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(9))
      .map((c) => String.fromCharCode(c)),
    maxLength: 120,
  })
  .map((v) => v.trim());
const jwtLike = fc
  .tuple(fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 }), fc.base64String({ maxLength: 40 }))
  .map(
    ([a, b, s]) =>
      `${[a, b].map((p) => Buffer.from(JSON.stringify(p)).toString('base64url')).join('.')}.${s}`,
  );

export const CONTENT_TYPES = [
  ...[
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'application/merge-patch+json',
  ],
  ...[
    'application/json;charset=utf-16',
    'application/jsonx',
    'text/json',
    'text/plain',
    'application/json, text/plain',
  ],
  ...['multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', '', ';', 'application/'],
];
const TRACEPARENTS = [
  '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  '00-00000000000000000000000000000000-0000000000000000-01',
  'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  '00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01',
  `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01-extra`,
  '00--',
];

export function credentials(
  world: World,
  prefer: Caller,
): fc.Arbitrary<{ caller: Caller; pairs: [string, string][] }> {
  const tenant = fc.constantFrom<[string, string][]>(
    [['api-key', world.keyA]],
    [['authorization', `Bearer ${world.keyA}`]],
  );
  const admin = fc.constant<[string, string][]>([['authorization', world.adminAuth]]);
  const junk = fc.oneof(
    headerValue.map((v): [string, string][] => [['api-key', v]]),
    jwtLike.map((t): [string, string][] => [['authorization', `Bearer ${t}`]]),
    fc.constantFrom<[string, string][]>(
      [['authorization', 'Bearer ']],
      [['authorization', `Basic ${Buffer.from('a:b').toString('base64')}`]],
      [['api-key', `${world.keyA}x`]],
      [['api-key', world.keyA.slice(0, -1)]],
      [
        ['api-key', world.keyA],
        ['api-key', world.keyA],
      ],
      [
        ['api-key', world.keyA],
        ['authorization', world.adminAuth],
      ],
    ),
  );
  return fc.oneof(
    {
      weight: prefer === 'tenant' ? 7 : 1,
      arbitrary: tenant.map((pairs) => ({ caller: 'tenant' as const, pairs })),
    },
    {
      weight: prefer === 'admin' ? 7 : 1,
      arbitrary: admin.map((pairs) => ({ caller: 'admin' as const, pairs })),
    },
    { weight: 1, arbitrary: fc.constant({ caller: 'nobody' as const, pairs: [] as [string, string][] }) },
    // A junk credential that happens to carry both (the last case) counts as admin: the least strict rules.
    {
      weight: 1,
      arbitrary: junk.map((pairs) => ({
        caller: pairs.some(([, v]) => v === world.adminAuth) ? ('admin' as const) : ('nobody' as const),
        pairs,
      })),
    },
  );
}

export const extraHeaders: fc.Arbitrary<[string, string][]> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.array(
      fc.oneof(
        fc.tuple(fc.constant('content-type'), fc.constantFrom(...CONTENT_TYPES)),
        fc.tuple(fc.constant('idempotency-key'), fc.oneof(headerValue, fc.constant('k'.repeat(300)))),
        fc.tuple(fc.constant('traceparent'), fc.oneof(fc.constantFrom(...TRACEPARENTS), headerValue)),
        fc.tuple(
          fc.constantFrom(
            'tracestate',
            'content-encoding',
            'accept',
            'x-forwarded-for',
            'x-ms-client-principal',
          ),
          headerValue,
        ),
        fc.tuple(
          fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((n) => !FRAMING.has(n)),
          headerValue,
        ),
      ),
      { maxLength: 6 },
    ),
  },
  // Over the app's header byte limit (8 KB in the harness), then over node's own 16 KB parser limit.
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(1_000, 9_000, 17_000)
      .map((n): [string, string][] => [['x-pad', 'a'.repeat(n)]]),
  },
  // More headers than HTTP_MAX_HEADER_COUNT (100).
  {
    weight: 1,
    arbitrary: fc.constant(Array.from({ length: 120 }, (_, i): [string, string] => [`x-h${i}`, 'v'])),
  },
);
/** Headers that frame the message: sent wrong they desynchronise the connection, not the app. */
const FRAMING = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
]);

/** Shown in fast-check's counterexample instead of megabytes of body. */
export function printable(request: FuzzRequest, caller: Caller): FuzzRequest & { caller: Caller } {
  const short = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}…(${text.length} chars)` : text);
  return Object.assign(
    { ...request, caller },
    {
      [fc.toStringMethod]: () =>
        JSON.stringify({
          caller,
          method: request.method,
          target: short(request.target),
          headers: request.headers.map(([n, v]) => [n, short(v)]),
          body: request.body === undefined ? undefined : short(Buffer.from(request.body).toString('utf8')),
        }),
    },
  );
}
