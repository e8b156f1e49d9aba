/**
 * What tenants read about failed attempts (the attempts API, a delivery's `lastError`, an endpoint's
 * `disabledReason`) says what failed in plain words with a stable code: never OpenSSL or node error
 * strings, never the address or port the platform resolved and connected to. Those stay in the operator
 * log. Real TLS and TCP servers on 127.0.0.1, reached through a host name the test resolver pins there.
 */
import { randomUUID } from 'node:crypto';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../fakes/memory-logger.js';
import { planDeliveries, processDelivery } from '../../../shared/webhooks/delivery.js';
import { getEndpoint, registerEndpoint } from '../../../shared/webhooks/endpoints.js';
import { fromNetworkError } from '../../../shared/webhooks/failures.js';
import type { Resolver, SsrfPolicy } from '../../../shared/webhooks/ssrf.js';
import { jobEvent, startHarness, type Harness } from './harness.js';
import { SELF_SIGNED_CERT, SELF_SIGNED_KEY } from '../../../bench/lib/self-signed-tls.js';

let h: Harness;
let tls: Server;
let tlsPort: number;
beforeAll(async () => {
  h = await startHarness();
  tls = createHttpsServer({ key: SELF_SIGNED_KEY, cert: SELF_SIGNED_CERT }, (_req, res) => res.end());
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  tlsPort = (tls.address() as AddressInfo).port;
});
afterAll(async () => {
  tls.closeAllConnections();
  await new Promise((resolve) => tls.close(resolve));
  await h.close();
});

const HOST = 'hooks.example.test';
const pinnedTo =
  (address: string): Resolver =>
  () =>
    Promise.resolve([{ address, family: 4 }]);
/** The local stack's kind of exception: this one host name may reach 127.0.0.1. */
const allowHost: SsrfPolicy = { requireHttps: false, allowedHosts: [HOST], allowedCidrs: [] };
const strict: SsrfPolicy = { requireHttps: false, allowedHosts: [], allowedCidrs: [] };

async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Registers `url`, makes one attempt, and returns everything the tenant can read about it. */
async function attemptOnce(url: string, register: SsrfPolicy, deliver: SsrfPolicy, resolve: Resolver) {
  const tenantId = `tenant_${randomUUID().slice(0, 8)}`;
  const { endpoint } = await registerEndpoint(h.withPolicy(register, resolve), tenantId, { url });
  const logger = createMemoryLogger();
  const deps = { ...h.withPolicy(deliver, resolve), logger };
  const [message] = await planDeliveries(deps, jobEvent(tenantId));
  await processDelivery(deps, h.scheduler, message!, 1);
  // As GET .../attempts shows them (functions/http/webhooks.ts drops only kind, tenantId and ttl).
  const attempts = (await h.deps.store.listAttempts(tenantId, endpoint.id)).map(
    ({ kind: _k, tenantId: _t, ttl: _ttl, ...shown }) => shown,
  );
  const delivery = await h.deps.store.getDelivery(tenantId, message!.deliveryId);
  const view = await getEndpoint(h.deps, tenantId, endpoint.id);
  const visible = JSON.stringify({ attempts, lastError: delivery?.lastError, reason: view.disabledReason });
  const operatorLog = JSON.stringify(logger.lines.filter((l) => l.event === 'webhook.attempt_failed'));
  return { attempt: attempts[0]!, visible, operatorLog };
}

function expectNothingInternal(visible: string, port: number) {
  expect(visible).not.toMatch(/SELF_SIGNED|DEPTH_ZERO|ERR_|routines|error:[0-9A-F]{8}|ECONN|E[A-Z]{4,}:/);
  expect(visible).not.toMatch(/\b\d{1,3}(\.\d{1,3}){3}\b/);
  expect(visible).not.toMatch(/::ffff|::1\b/);
  expect(visible).not.toMatch(new RegExp(`\\b${port}\\b`));
}

describe('attempts show plain words, not library internals or resolved addresses', () => {
  it('a self-signed TLS server: "the certificate is not trusted"', async () => {
    const { attempt, visible, operatorLog } = await attemptOnce(
      `https://${HOST}:${tlsPort}/hook`,
      allowHost,
      allowHost,
      pinnedTo('127.0.0.1'),
    );
    expect(attempt).toMatchObject({
      outcome: 'retry',
      errorCode: 'tls_untrusted_certificate',
      error: 'The TLS handshake failed: the certificate is not trusted',
    });
    expectNothingInternal(visible, tlsPort);
    // The operator still gets the raw error and where it connected.
    expect(operatorLog).toMatch(/SELF_SIGNED_CERT.*127\.0\.0\.1/);
  });

  it('plain HTTP answering on an https URL: "the TLS handshake failed"', async () => {
    const receiver = await h.receiver();
    const port = Number(new URL(receiver.url).port);
    const { attempt, visible, operatorLog } = await attemptOnce(
      `https://${HOST}:${port}/hook`,
      allowHost,
      allowHost,
      pinnedTo('127.0.0.1'),
    );
    expect(attempt).toMatchObject({ errorCode: 'tls_handshake_failed', error: 'The TLS handshake failed' });
    expectNothingInternal(visible, port);
    expect(operatorLog).toMatch(/EPROTO.*SSL routines.*wrong version number/);
  });

  it('a port nobody listens on: "the connection was refused"', async () => {
    const port = await freePort();
    const { attempt, visible, operatorLog } = await attemptOnce(
      `http://${HOST}:${port}/hook`,
      allowHost,
      allowHost,
      pinnedTo('127.0.0.1'),
    );
    expect(attempt).toMatchObject({ errorCode: 'connection_refused', error: 'The connection was refused' });
    expectNothingInternal(visible, port);
    expect(operatorLog).toContain(`127.0.0.1:${port}`);
  });

  it('a host name that now resolves to a private address: refused without naming the address', async () => {
    const { attempt, visible, operatorLog } = await attemptOnce(
      `http://${HOST}:8080/hook`,
      allowHost,
      strict,
      pinnedTo('10.20.30.40'),
    );
    expect(attempt).toMatchObject({
      outcome: 'disabled',
      errorCode: 'address_not_allowed',
      error: 'The host name resolves to an address that is not allowed (private or reserved range)',
    });
    expectNothingInternal(visible, 8080);
    expect(operatorLog).toContain('10.20.30.40 is private');
  });
});

describe('fromNetworkError', () => {
  it.each([
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls_hostname_mismatch'],
    ['CERT_HAS_EXPIRED', 'tls_certificate_expired'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls_untrusted_certificate'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'tls_untrusted_certificate'],
    ['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'tls_handshake_failed'],
    ['ECONNRESET', 'connection_reset'],
    ['EHOSTUNREACH', 'host_unreachable'],
    ['HPE_INVALID_CONSTANT', 'invalid_response'],
    ['ESOMETHINGNEW', 'network_error'],
  ])('%s is %s', (code, expected) => {
    const mapped = fromNetworkError(Object.assign(new Error(`${code} at 10.0.0.1:443`), { code }));
    expect(mapped.code).toBe(expected);
    expect(mapped.message).not.toMatch(/10\.0\.0\.1|443|[A-Z]{2,}_/);
  });
});
