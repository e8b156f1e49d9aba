/**
 * The SSRF guard in the real request path: registration refuses internal targets, the HTTP client refuses
 * them before sending anything, and the connection goes to the address that was checked even if DNS
 * changes its answer (rebinding).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processDelivery, planDeliveries } from '../../../shared/webhooks/delivery.js';
import { getEndpoint, registerEndpoint } from '../../../shared/webhooks/endpoints.js';
import { createWebhookHttpClient } from '../../../shared/webhooks/http-client.js';
import { ValidationError } from '../../../shared/errors/index.js';
import type { Resolver, SsrfPolicy } from '../../../shared/webhooks/ssrf.js';
import { jobEvent, localPolicy, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const strictLocal: SsrfPolicy = { requireHttps: false, allowedHosts: [], allowedCidrs: [] };
const tenant = () => `tenant_${randomUUID().slice(0, 8)}`;

async function registrationError(url: string, policy: SsrfPolicy, resolve?: Resolver): Promise<string> {
  try {
    await registerEndpoint(h.withPolicy(policy, resolve), tenant(), { url });
  } catch (error) {
    if (error instanceof ValidationError) return error.detail;
    throw error;
  }
  return 'registered';
}

describe('SSRF refusals at registration', () => {
  it.each([
    ['http://169.254.169.254/latest/meta-data/', /link-local/],
    ['http://[::ffff:127.0.0.1]:8080/', /IPv4-mapped form of loopback/],
    ['http://[::1]:8080/', /loopback/],
    ['http://10.0.0.1/', /private/],
    ['http://[fd00::1]/', /unique-local/],
    ['http://0.0.0.0:8080/', /this network/],
  ])('refuses %s', async (url, pattern) => {
    expect(await registrationError(url, strictLocal)).toMatch(pattern);
  });

  it('refuses a host name resolving to 127.0.0.1 (real resolver: localhost) when not allowed', async () => {
    const error = await registrationError('http://localhost:8080/hook', strictLocal);
    expect(error).toBe(
      'The host name resolves to an address that is not allowed (private or reserved range)',
    );
    expect(error).not.toMatch(/127\.0\.0\.1|::1/);
  });

  it('refuses a name whose DNS answer is the metadata address, without naming the address', async () => {
    const resolve: Resolver = () => Promise.resolve([{ address: '169.254.169.254', family: 4 }]);
    const error = await registrationError(
      'https://metadata.attacker.test/',
      { ...strictLocal, requireHttps: true },
      resolve,
    );
    expect(error).toMatch(/resolves to an address that is not allowed/);
    expect(error).not.toContain('169.254');
  });

  it('requires https in Azure', async () => {
    const resolve: Resolver = () => Promise.resolve([{ address: '93.184.216.34', family: 4 }]);
    expect(
      await registrationError('http://hooks.example.test/', { ...strictLocal, requireHttps: true }, resolve),
    ).toMatch(/must use https/);
  });

  it('accepts 127.0.0.1 only through the allow-list', async () => {
    expect(await registrationError('http://127.0.0.1:9/hook', localPolicy)).toBe('registered');
    expect(await registrationError('http://127.0.0.1:9/hook', strictLocal)).toMatch(/loopback/);
  });
});

describe('SSRF at delivery time', () => {
  it('sends nothing to a target that became refused and disables the endpoint with the reason', async () => {
    const tenantId = tenant();
    const receiver = await h.receiver();
    const { endpoint } = await registerEndpoint(h.deps, tenantId, { url: receiver.url });
    const [message] = await planDeliveries(h.deps, jobEvent(tenantId));
    // The allow-list no longer covers 127.0.0.1 (as in Azure): the guard must stop the request.
    const outcome = await processDelivery(h.withPolicy(strictLocal), h.scheduler, message!, 1);
    expect(outcome.kind).toBe('disabled');
    expect(receiver.received).toHaveLength(0);
    const view = await getEndpoint(h.deps, tenantId, endpoint.id);
    expect(view.enabled).toBe(false);
    expect(view.disabledReason).toMatch(/refused.*not allowed \(private or reserved range: loopback\)/);
    const [attempt] = await h.deps.store.listAttempts(tenantId, endpoint.id);
    expect(attempt!.errorCode).toBe('address_not_allowed');
  });

  it('pins the connection to the checked address: a second DNS answer (rebinding) is never used', async () => {
    const receiver = await h.receiver();
    const port = new URL(receiver.url).port;
    const answers = ['127.0.0.1', '10.0.0.1'];
    let lookups = 0;
    const rebinding: Resolver = () => {
      const address = answers[Math.min(lookups, answers.length - 1)]!;
      lookups += 1;
      return Promise.resolve([{ address, family: 4 }]);
    };
    const client = createWebhookHttpClient({
      policy: localPolicy,
      timeoutMs: 1000,
      maxResponseBytes: 4096,
      resolve: rebinding,
    });
    const response = await client.send({
      url: `http://rebind.attacker.test:${port}/hook`,
      headers: {},
      body: '{}',
    });
    expect(response).toMatchObject({ kind: 'response', status: 204 });
    expect(lookups).toBe(1);
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.headers.host).toBe(`rebind.attacker.test:${port}`);
  });

  it('refuses before connecting when the name resolves to an internal address', async () => {
    const client = createWebhookHttpClient({
      policy: strictLocal,
      timeoutMs: 1000,
      maxResponseBytes: 4096,
      resolve: () => Promise.resolve([{ address: '::ffff:169.254.169.254', family: 6 }]),
    });
    const response = await client.send({ url: 'http://innocent.test/hook', headers: {}, body: '{}' });
    expect(response).toMatchObject({
      kind: 'failure',
      failure: 'refused',
      code: 'address_not_allowed',
      message: 'The host name resolves to an address that is not allowed (private or reserved range)',
    });
    // The operator detail keeps the address and its range; the tenant's message does not.
    expect(response.kind === 'failure' && response.detail).toMatch(
      /::ffff:169.254.169.254 is IPv4-mapped form of link-local/,
    );
  });

  it('reports a name that does not resolve as a DNS failure (retried, not disabled)', async () => {
    const client = createWebhookHttpClient({
      policy: strictLocal,
      timeoutMs: 1000,
      maxResponseBytes: 4096,
      resolve: () => Promise.reject(Object.assign(new Error('queryA ENOTFOUND'), { code: 'ENOTFOUND' })),
    });
    const response = await client.send({ url: 'http://gone.test/hook', headers: {}, body: '{}' });
    expect(response).toMatchObject({ kind: 'failure', failure: 'dns' });
  });
});
