import { describe, expect, it } from 'vitest';
import { forbiddenReason, parseAddress } from '../../../shared/webhooks/ip-ranges.js';
import {
  checkTarget,
  parseAllowList,
  SsrfRefusedError,
  type Resolver,
  type SsrfPolicy,
} from '../../../shared/webhooks/ssrf.js';

const strict: SsrfPolicy = { requireHttps: true, allowedHosts: [], allowedCidrs: [] };
const local: SsrfPolicy = { requireHttps: false, ...parseAllowList('127.0.0.1') };

function reasonFor(address: string): string | undefined {
  const parsed = parseAddress(address);
  if (!parsed) throw new Error(`unparseable ${address}`);
  return forbiddenReason(parsed);
}

const answers =
  (table: Record<string, string[]>): Resolver =>
  (hostname) =>
    Promise.resolve(
      (table[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );

async function refusal(url: string, policy: SsrfPolicy, resolve?: Resolver): Promise<string> {
  try {
    await checkTarget(url, policy, resolve);
  } catch (error) {
    if (error instanceof SsrfRefusedError) return error.detail;
    throw error;
  }
  return 'allowed';
}

describe('address classification', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'this network'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped form of loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped form of loopback'],
    ['::ffff:169.254.169.254', 'IPv4-mapped form of link-local'],
    ['::127.0.0.1', 'IPv4-compatible'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 form of link-local'],
    ['2002:c0a8:0101::1', '6to4 form of private'],
  ])('%s is refused (%s)', (address, label) => {
    expect(reasonFor(address)).toContain(label);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('%s is public', (address) => {
    expect(reasonFor(address)).toBeUndefined();
  });
});

describe('checkTarget', () => {
  it('requires https when the policy says so (Azure) and allows http locally', async () => {
    expect(
      await refusal('http://example.test/hook', strict, answers({ 'example.test': ['93.184.216.34'] })),
    ).toMatch(/https/);
    expect(await refusal('http://127.0.0.1:8080/hook', local)).toBe('allowed');
  });

  it('refuses other schemes and credentials in the URL', async () => {
    expect(await refusal('ftp://example.test/', local)).toMatch(/Scheme/);
    expect(await refusal('file:///etc/passwd', local)).toMatch(/Scheme/);
    expect(await refusal('https://user:pw@example.test/', local)).toMatch(/credentials/);
  });

  it('refuses literal internal addresses, including the metadata endpoint and IPv6 forms', async () => {
    expect(await refusal('https://169.254.169.254/latest/meta-data', strict)).toMatch(/link-local/);
    expect(await refusal('https://[::1]/', strict)).toMatch(/loopback/);
    expect(await refusal('https://[::ffff:127.0.0.1]/', strict)).toMatch(/IPv4-mapped/);
    expect(await refusal('https://[fd00::1]/', strict)).toMatch(/unique-local/);
    expect(await refusal('https://10.0.0.5/', strict)).toMatch(/private/);
  });

  it('refuses a host name that resolves to an internal address', async () => {
    const dns = answers({ 'internal.example.test': ['10.0.0.7'], 'meta.example.test': ['169.254.169.254'] });
    expect(await refusal('https://internal.example.test/', strict, dns)).toMatch(
      /resolves to a refused address: 10.0.0.7/,
    );
    expect(await refusal('https://meta.example.test/', strict, dns)).toMatch(/169.254.169.254/);
  });

  it('refuses when any one of several resolved addresses is internal', async () => {
    const dns = answers({ 'mixed.example.test': ['93.184.216.34', '127.0.0.1'] });
    expect(await refusal('https://mixed.example.test/', strict, dns)).toMatch(/127.0.0.1 is loopback/);
  });

  it('refuses localhost through the real system resolver unless allowed', async () => {
    expect(await refusal('http://localhost:9/', { ...strict, requireHttps: false })).toMatch(/loopback/);
  });

  it('lets the allow-list permit 127.0.0.1, including its IPv4-mapped form, and nothing else', async () => {
    expect(await refusal('http://127.0.0.1:1/', local)).toBe('allowed');
    expect(await refusal('http://[::ffff:127.0.0.1]:1/', local)).toBe('allowed');
    expect(await refusal('http://127.0.0.2:1/', local)).toMatch(/loopback/);
    expect(await refusal('http://169.254.169.254/', local)).toMatch(/link-local/);
    expect(await refusal('http://[::1]:1/', local)).toMatch(/loopback/);
  });

  it('pins the first checked address', async () => {
    const target = await checkTarget(
      'https://ok.example.test/x',
      strict,
      answers({ 'ok.example.test': ['93.184.216.34'] }),
    );
    expect(target.pinned).toEqual({ address: '93.184.216.34', family: 4 });
    expect(target.hostname).toBe('ok.example.test');
  });

  it('parses allow-lists of names, IPs and CIDRs', () => {
    const list = parseAllowList(' 127.0.0.1, receiver.local ,10.1.0.0/16,,::1 ');
    expect(list.allowedHosts).toEqual(['receiver.local']);
    expect(list.allowedCidrs.map((c) => c.prefix)).toEqual([32, 16, 128]);
  });
});
