/**
 * Every status a handler answers is in the OpenAPI document, with a body of the documented schema. Each
 * HTTP route of functions/manifest.ts is driven on the real API (test/security/http-harness.ts: the dev
 * host, real handlers and authentication, the embedded Cosmos DB) with valid requests (every documented
 * success status must be seen), invalid ones (bodies, queries, path ids, headers over the limit), unknown
 * ids, conflicts, a rate-limited tenant, no credential and the wrong role. For each answer: its status is
 * documented for that operation, its content type is the documented one and its body parses with the
 * zod schema the document was generated from.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { functionManifest } from '../../../functions/manifest.js';
import { ROUTE_DOCS, type HttpRouteName } from '../../../functions/http/openapi-document.js';
import { sweepBatches } from '../../../shared/batches/sweep.js';
import { documentedStatuses, responseSchemaOf } from '../../../functions/http/route-docs.js';
import { disableEndpoint } from '../../../shared/webhooks/endpoints.js';
import { jobBody, startHarness, type Harness } from '../../security/http-harness.js';

type Caller = 'tenant' | 'limited' | 'admin' | 'nobody';
interface Call {
  readonly path: string;
  readonly caller?: Caller;
  readonly body?: string | Record<string, unknown>;
  readonly headers?: Record<string, string>;
}

const BOUNDARY = 'openapi-statuses-boundary';
const unknownJob = `job_${'0'.repeat(32)}`;
const unknownEndpoint = `ep_${'0'.repeat(32)}`;
const unknownFile = `file-${'0'.repeat(32)}`;
const unknownBatch = `batch_${'0'.repeat(32)}`;
const oversize = { 'x-filler': 'x'.repeat(9000) };

let h: Harness;
const keys: Record<'tenant' | 'limited', string> = { tenant: '', limited: '' };
let adminAuth = '';
const ids = { job: '', cancelled: '', endpoint: '', disabled: '', keyId: '', file: '' };
const observed = new Map<HttpRouteName, Set<number>>();
const failures: string[] = [];
/** Routes whose 409 comes only from a concurrent change of the same record (an ETag-guarded replace). */
const CONCURRENT_WRITES = new Set<string>([
  'adminUpdateTenant',
  'adminRevokeKey',
  'rotateWebhookSecret',
  'enableWebhookEndpoint',
]);

function multipart(purpose: string, content: string): string {
  return [
    `--${BOUNDARY}`,
    'content-disposition: form-data; name="purpose"',
    '',
    purpose,
    `--${BOUNDARY}`,
    'content-disposition: form-data; name="file"; filename="in.jsonl"',
    'content-type: application/jsonl',
    '',
    content,
    `--${BOUNDARY}--`,
    '',
  ].join('\r\n');
}

function credentials(caller: Caller): Record<string, string> {
  if (caller === 'nobody') return {};
  if (caller === 'admin') return { authorization: adminAuth };
  return { 'api-key': keys[caller] };
}

/** Sends one request of `name`'s method and checks its answer against the document. */
async function send(name: HttpRouteName, call: Call): Promise<{ status: number; body: unknown }> {
  const route = functionManifest.find((entry) => entry.name === name);
  if (route?.kind !== 'http') throw new Error(name);
  const doc = ROUTE_DOCS[name];
  const method = route.methods[0];
  const body = typeof call.body === 'object' ? JSON.stringify(call.body) : call.body;
  const response = await fetch(`${h.apiUrl}${call.path}`, {
    method,
    headers: {
      ...credentials(call.caller ?? (doc.access === 'admin' ? 'admin' : 'tenant')),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...call.headers,
    },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  const status = response.status;
  (observed.get(name) ?? observed.set(name, new Set()).get(name))?.add(status);
  const where = `${name} ${method} ${call.path} -> ${status} ${text.slice(0, 300)}`;
  const schema = responseSchemaOf(doc, status);
  if (!schema) {
    failures.push(`undocumented status: ${where}`);
    return { status, body: text };
  }
  const success = (doc.responses as Record<number, { contentType?: string } | undefined>)[status];
  const contentType = success ? (success.contentType ?? 'application/json') : 'application/problem+json';
  if (!(response.headers.get('content-type') ?? '').startsWith(contentType)) {
    failures.push(
      `content type ${response.headers.get('content-type')}, documented ${contentType}: ${where}`,
    );
  }
  const parsedBody: unknown = contentType.includes('json') ? JSON.parse(text) : text;
  const checked = schema.safeParse(parsedBody);
  if (!checked.success) failures.push(`body not as documented (${checked.error.message}): ${where}`);
  return { status, body: parsedBody };
}

async function ok(name: HttpRouteName, call: Call): Promise<Record<string, unknown>> {
  const { status, body } = await send(name, call);
  expect(status, `${name} ${call.path}: ${JSON.stringify(body)}`).toBeLessThan(300);
  return body as Record<string, unknown>;
}

beforeAll(async () => {
  h = await startHarness({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,localhost', HTTP_MAX_HEADER_BYTES: '8192' });
  const quotas = { submissionsPerMinute: 10_000, maxJobsInFlight: 10_000, maxRequestBytes: 64 * 1024 };
  keys.tenant = await h.addTenant({ id: 'docs-a', name: 'A', allowedModels: ['gpt-4o-mini'], quotas });
  keys.limited = await h.addTenant({
    id: 'docs-limited',
    name: 'Limited',
    allowedModels: ['gpt-4o-mini'],
    quotas: { submissionsPerMinute: 1 },
  });
  adminAuth = `Bearer ${await h.adminToken()}`;
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('driving every route', () => {
  test('jobs', async () => {
    const job = jobBody('documented');
    ids.job = String(
      (await ok('submitJob', { path: '/v1/jobs', body: job, headers: { 'idempotency-key': 'd-1' } })).id,
    );
    await ok('submitJob', { path: '/v1/jobs', body: job, headers: { 'idempotency-key': 'd-1' } });
    await send('submitJob', {
      path: '/v1/jobs',
      body: jobBody('other'),
      headers: { 'idempotency-key': 'd-1' },
    });
    await send('submitJob', { path: '/v1/jobs', body: { model: 'gpt-4o-mini', messages: [] } });
    await send('submitJob', { path: '/v1/jobs', body: '{"model":' });
    await send('submitJob', { path: '/v1/jobs', body: job, headers: { 'idempotency-key': 'has space' } });
    await send('submitJob', { path: '/v1/jobs', body: jobBody('x'.repeat(70_000)) });
    await send('submitJob', { path: '/v1/jobs', body: jobBody('m', 'not-allowed-model') });
    await send('submitJob', { path: '/v1/jobs', body: job, caller: 'limited' });
    await send('submitJob', { path: '/v1/jobs', body: jobBody('again'), caller: 'limited' });

    const batch = { jobs: [{ job: JSON.parse(jobBody('b')) as unknown }, { job: { model: 1 } }] };
    await ok('submitJobBatch', { path: '/v1/jobs/batch', body: batch });
    await send('submitJobBatch', { path: '/v1/jobs/batch', body: { jobs: [] } });

    await ok('listJobs', { path: '/v1/jobs?limit=1' });
    await send('listJobs', { path: '/v1/jobs?limit=0' });
    await send('listJobs', { path: '/v1/jobs?continuationToken=forged' });
    await send('listJobs', { path: '/v1/jobs?status=running' });

    await ok('getJob', { path: `/v1/jobs/${ids.job}` });
    await ok('getJob', { path: `/v1/jobs/${ids.job}?wait=1` });
    await send('getJob', { path: `/v1/jobs/${unknownJob}` });
    await send('getJob', { path: `/v1/jobs/${unknownJob}?wait=1` });
    await send('getJob', { path: '/v1/jobs/job_x' });
    await send('getJob', { path: `/v1/jobs/${ids.job}?wait=61` });

    ids.cancelled = String((await ok('submitJob', { path: '/v1/jobs', body: jobBody('to cancel') })).id);
    await ok('cancelJob', { path: `/v1/jobs/${ids.cancelled}/cancel` });
    // A finished job's stream: its status and result at once, then the end.
    const events = await send('getJobEvents', { path: `/v1/jobs/${ids.cancelled}/events` });
    expect(events.body).toMatch(/event: status\ndata: .*"cancelled"[\s\S]*event: result\n/);
    await send('getJobEvents', { path: `/v1/jobs/${unknownJob}/events` });
    await send('getJobEvents', { path: '/v1/jobs/job_x/events' });
    await send('cancelJob', { path: `/v1/jobs/${ids.cancelled}/cancel` });
    await send('cancelJob', { path: `/v1/jobs/${unknownJob}/cancel` });
    await send('cancelJob', { path: '/v1/jobs/nope/cancel' });
  });

  test('usage', async () => {
    await ok('getUsage', { path: '/v1/usage' });
    await send('getUsage', { path: '/v1/usage?since=yesterday' });
    await send('getUsage', { path: '/v1/usage?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z' });
    await ok('getDailyUsage', { path: '/v1/usage/daily?since=2026-01-01' });
    await send('getDailyUsage', { path: '/v1/usage/daily' });
    await send('getDailyUsage', { path: '/v1/usage/daily?since=2020-01-01' });
  });

  test('webhooks', async () => {
    const registered = await ok('registerWebhookEndpoint', {
      path: '/v1/webhooks/endpoints',
      body: { url: 'http://127.0.0.1:9/hook', eventTypes: ['job.succeeded'] },
    });
    ids.endpoint = String(registered.id);
    ids.disabled = String(
      (
        await ok('registerWebhookEndpoint', {
          path: '/v1/webhooks/endpoints',
          body: { url: 'http://localhost:9/d' },
        })
      ).id,
    );
    await disableEndpoint(h.services.webhooks, 'docs-a', ids.disabled, 'test', new Date());
    await send('registerWebhookEndpoint', { path: '/v1/webhooks/endpoints', body: { url: 'ftp://x' } });
    await send('registerWebhookEndpoint', {
      path: '/v1/webhooks/endpoints',
      body: { url: 'http://10.0.0.1/' },
    });

    await ok('listWebhookEndpoints', { path: '/v1/webhooks/endpoints' });
    const one = `/v1/webhooks/endpoints/${ids.endpoint}`;
    await ok('getWebhookEndpoint', { path: one });
    await send('getWebhookEndpoint', { path: `/v1/webhooks/endpoints/${unknownEndpoint}` });
    await send('getWebhookEndpoint', { path: '/v1/webhooks/endpoints/ep_x' });

    await ok('rotateWebhookSecret', { path: `${one}/rotate-secret` });
    await ok('rotateWebhookSecret', { path: `${one}/rotate-secret`, body: { overlapSeconds: 0 } });
    await send('rotateWebhookSecret', { path: `${one}/rotate-secret`, body: { overlapSeconds: -1 } });
    await send('rotateWebhookSecret', { path: `/v1/webhooks/endpoints/${unknownEndpoint}/rotate-secret` });

    await ok('listWebhookAttempts', { path: `${one}/attempts?limit=5` });
    await send('listWebhookAttempts', { path: `${one}/attempts?deliveryId=x` });
    await send('listWebhookAttempts', { path: `/v1/webhooks/endpoints/${unknownEndpoint}/attempts` });

    const since = { since: '2026-01-01T00:00:00Z' };
    await ok('replayFailedWebhooks', { path: `${one}/replay`, body: since });
    await send('replayFailedWebhooks', { path: `${one}/replay`, body: { since: 'yesterday' } });
    await send('replayFailedWebhooks', {
      path: `/v1/webhooks/endpoints/${ids.disabled}/replay`,
      body: since,
    });
    await send('replayFailedWebhooks', {
      path: `/v1/webhooks/endpoints/${unknownEndpoint}/replay`,
      body: since,
    });

    const now = new Date().toISOString();
    for (const endpointId of [ids.endpoint, ids.disabled]) {
      const webhookId = `evt_${endpointId.slice(3)}`;
      await h.services.webhooks.store.ensureDelivery({
        id: `${endpointId}:${webhookId}`,
        kind: 'delivery',
        tenantId: 'docs-a',
        endpointId,
        webhookId,
        jobId: endpointId === ids.endpoint ? ids.job : ids.cancelled,
        eventType: 'job.succeeded',
        payload: '{}',
        status: 'failed',
        attempts: 1,
        replays: 0,
        createdAt: now,
        updatedAt: now,
      });
    }
    await ok('replayJobWebhook', { path: `/v1/webhooks/jobs/${ids.job}/replay` });
    await ok('replayJobWebhook', {
      path: `/v1/webhooks/jobs/${ids.job}/replay`,
      body: { endpointId: ids.endpoint },
    });
    await send('replayJobWebhook', { path: `/v1/webhooks/jobs/${ids.cancelled}/replay` });
    await send('replayJobWebhook', { path: `/v1/webhooks/jobs/${unknownJob}/replay` });
    await send('replayJobWebhook', {
      path: `/v1/webhooks/jobs/${ids.job}/replay`,
      body: { endpointId: 'ep/x' },
    });

    await ok('enableWebhookEndpoint', { path: `/v1/webhooks/endpoints/${ids.disabled}/enable` });
    await send('enableWebhookEndpoint', { path: `/v1/webhooks/endpoints/${ids.disabled}/enable` });
    await send('enableWebhookEndpoint', { path: `/v1/webhooks/endpoints/${unknownEndpoint}/enable` });
    await send('enableWebhookEndpoint', { path: '/v1/webhooks/endpoints/ep_x/enable' });
  });

  test('admin', async () => {
    const tenant = { id: 'docs-new', name: 'New', allowedModels: ['gpt-4o-mini'] };
    await ok('adminCreateTenant', { path: '/v1/admin/tenants', body: tenant });
    await send('adminCreateTenant', { path: '/v1/admin/tenants', body: tenant });
    await send('adminCreateTenant', { path: '/v1/admin/tenants', body: { ...tenant, id: 'Bad Id' } });
    await ok('adminListTenants', { path: '/v1/admin/tenants' });
    await ok('adminGetTenant', { path: '/v1/admin/tenants/docs-new' });
    await send('adminGetTenant', { path: '/v1/admin/tenants/docs-missing' });
    await send('adminGetTenant', { path: '/v1/admin/tenants/-bad-' });
    await ok('adminUpdateTenant', { path: '/v1/admin/tenants/docs-new', body: { name: 'Renamed' } });
    await send('adminUpdateTenant', { path: '/v1/admin/tenants/docs-new', body: { nmae: 'typo' } });
    await send('adminUpdateTenant', { path: '/v1/admin/tenants/docs-missing', body: { name: 'x' } });
    ids.keyId = String(
      (await ok('adminIssueKey', { path: '/v1/admin/tenants/docs-new/keys', body: { name: 'k' } })).keyId,
    );
    await send('adminIssueKey', { path: '/v1/admin/tenants/docs-new/keys', body: {} });
    await send('adminIssueKey', { path: '/v1/admin/tenants/docs-missing/keys', body: { name: 'k' } });
    await ok('adminListKeys', { path: '/v1/admin/tenants/docs-new/keys' });
    await send('adminListKeys', { path: '/v1/admin/tenants/docs-missing/keys' });
    await send('adminListKeys', { path: '/v1/admin/tenants/-bad-/keys' });
    await ok('adminRevokeKey', { path: `/v1/admin/tenants/docs-new/keys/${ids.keyId}/revoke` });
    await send('adminRevokeKey', { path: `/v1/admin/tenants/docs-new/keys/${'0'.repeat(24)}/revoke` });
    await send('adminRevokeKey', { path: '/v1/admin/tenants/docs-new/keys/zz/revoke' });
    await send('adminUpdateTenant', { path: '/v1/admin/tenants/docs-new', body: { status: 'suspended' } });
    await send('adminIssueKey', { path: '/v1/admin/tenants/docs-new/keys', body: { name: 'k2' } });

    await ok('adminListDeadLetters', { path: '/v1/admin/dead-letters/invoke?limit=5' });
    await send('adminListDeadLetters', { path: '/v1/admin/dead-letters/nope' });
    await send('adminListDeadLetters', { path: '/v1/admin/dead-letters/invoke?from=x' });
    await ok('adminRedriveDeadLetters', {
      path: '/v1/admin/dead-letters/invoke/redrive',
      body: { all: true },
    });
    await send('adminRedriveDeadLetters', { path: '/v1/admin/dead-letters/invoke/redrive', body: {} });
    const purge = { confirm: 'invoke', selector: { all: true } };
    await ok('adminPurgeDeadLetters', { path: '/v1/admin/dead-letters/invoke/purge', body: purge });
    await send('adminPurgeDeadLetters', {
      path: '/v1/admin/dead-letters/invoke/purge',
      body: { confirm: 'x' },
    });
  });

  test('files', async () => {
    const upload = (body: string) => ({
      path: '/v1/files',
      body,
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    });
    const line = JSON.stringify({
      custom_id: '1',
      method: 'POST',
      url: '/v1/chat/completions',
      body: JSON.parse(jobBody()) as unknown,
    });
    ids.file = String((await ok('createFile', upload(multipart('batch', `${line}\n`)))).id);
    await send('createFile', upload(multipart('fine-tune', `${line}\n`)));
    await send('createFile', upload(multipart('batch', 'not json\n')));
    await ok('listFiles', { path: '/v1/files?limit=2' });
    await send('listFiles', { path: '/v1/files?order=up' });
    await ok('getFile', { path: `/v1/files/${ids.file}` });
    await send('getFile', { path: `/v1/files/${unknownFile}` });
    await send('getFile', { path: '/v1/files/file-x' });
    await ok('getFileContent', { path: `/v1/files/${ids.file}/content` });
    await send('getFileContent', { path: `/v1/files/${unknownFile}/content` });
    await send('getFileContent', { path: '/v1/files/file-x/content' });
    await send('deleteFile', { path: '/v1/files/file-x' });
    await ok('deleteFile', { path: `/v1/files/${ids.file}` });
    await send('deleteFile', { path: `/v1/files/${ids.file}` });
  });

  test('batches', async () => {
    const upload = (body: string) => ({
      path: '/v1/files',
      body,
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    });
    const line = JSON.stringify({
      custom_id: 'same',
      method: 'POST',
      url: '/v1/chat/completions',
      body: JSON.parse(jobBody()) as unknown,
    });
    // Two lines with one custom_id: the sweep fails the batch, which then cannot be cancelled (409).
    const file = String((await ok('createFile', upload(multipart('batch', `${line}\n${line}\n`)))).id);
    const body = { input_file_id: file, endpoint: '/v1/chat/completions', completion_window: '24h' };
    const key = (value: string) => ({ 'idempotency-key': value });
    const batch = String((await ok('createBatch', { path: '/v1/batches', body, headers: key('b-1') })).id);
    await send('createBatch', {
      path: '/v1/batches',
      body: { ...body, metadata: { a: 'b' } },
      headers: key('b-1'),
    });
    await send('createBatch', { path: '/v1/batches', body: { ...body, completion_window: '48h' } });
    await ok('listBatches', { path: '/v1/batches?limit=2' });
    await send('listBatches', { path: '/v1/batches?limit=0' });
    await send('listBatches', { path: `/v1/batches?after=${unknownBatch}` });
    await ok('getBatch', { path: `/v1/batches/${batch}` });
    await send('getBatch', { path: `/v1/batches/${unknownBatch}` });
    await send('getBatch', { path: '/v1/batches/batch-x' });
    const other = String((await ok('createBatch', { path: '/v1/batches', body, headers: key('b-2') })).id);
    await ok('cancelBatch', { path: `/v1/batches/${other}/cancel` });
    await sweepBatches(h.services.batches, { limit: 10 });
    await send('cancelBatch', { path: `/v1/batches/${batch}/cancel` });
    await send('cancelBatch', { path: `/v1/batches/${unknownBatch}/cancel` });
    await send('cancelBatch', { path: '/v1/batches/batch-x/cancel' });
  });

  test('service routes, and every route without a credential, with the wrong role and oversize headers', async () => {
    await ok('health', { path: '/health' });
    await ok('openapi', { path: '/openapi.json' });
    for (const route of functionManifest) {
      if (route.kind !== 'http') continue;
      const path = `/${route.route.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'tenantId' ? 'docs-a' : name === 'keyId' ? '0'.repeat(24) : name === 'queue' ? 'invoke' : name === 'jobId' || route.route.startsWith('v1/jobs') ? unknownJob : route.route.startsWith('v1/files') ? unknownFile : unknownEndpoint))}`;
      await send(route.name, { path, caller: 'nobody' });
      await send(route.name, { path, headers: oversize });
      const access = ROUTE_DOCS[route.name].access;
      if (access !== 'public') {
        await send(route.name, {
          path,
          ...(access === 'admin' ? { caller: 'tenant' } : { caller: 'admin' }),
        });
      }
    }
  });
});

test('every answer was documented, with the documented content type and body', () => {
  expect(failures).toEqual([]);
});

test('every documented status was seen, but for 500, 503 and races', () => {
  const report: Record<string, { seen: number[]; notSeen: number[] }> = {};
  for (const route of functionManifest) {
    if (route.kind !== 'http') continue;
    const seen = [...(observed.get(route.name) ?? [])].sort((a, b) => a - b);
    const doc = ROUTE_DOCS[route.name];
    for (const success of Object.keys(doc.responses).map(Number)) {
      expect(seen, `${route.name} never answered ${success}`).toContain(success);
    }
    const notSeen = documentedStatuses(doc).filter((s) => !seen.includes(s));
    report[route.name] = { seen, notSeen };
    // Not provoked here: a failure of ours (500), a host draining or a dependency away (503), and the 409
    // of a write that lost an ETag race. Any other documented status must show up, or it is not real.
    const unprovokable = [500, 503, ...(CONCURRENT_WRITES.has(route.name) ? [409] : [])];
    expect(
      notSeen.filter((s) => !unprovokable.includes(s)),
      `${route.name}: documented, never seen`,
    ).toEqual([]);
  }
  console.info('statuses seen per operation, and documented ones not provoked here', report);
});
