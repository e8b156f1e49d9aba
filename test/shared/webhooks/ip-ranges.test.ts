/**
 * The refused ranges come from ipaddr.js (IANA special-purpose registries) plus a commented supplement.
 * Each range named in issue 16 as missed by the old hand-written table has its own case, checked both as
 * a classification and through the real SSRF path (a host name resolving there is refused).
 */
import { describe, expect, it } from 'vitest';
import { forbiddenReason, parseAddress, parseCidr } from '../../../shared/webhooks/ip-ranges.js';
import { checkTarget, SsrfRefusedError, type SsrfPolicy } from '../../../shared/webhooks/ssrf.js';

function reasonFor(address: string): string | undefined {
  const parsed = parseAddress(address);
  if (!parsed) throw new Error(`unparseable ${address}`);
  return forbiddenReason(parsed);
}

const strict: SsrfPolicy = { requireHttps: true, allowedHosts: [], allowedCidrs: [] };

describe('special-purpose ranges the hand-written table missed (issue 16)', () => {
  it.each([
    ['Teredo 2001::/32', '2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['ORCHID 2001:10::/28', '2001:10::1', 'ORCHID'],
    ['ORCHIDv2 2001:20::/28', '2001:2f:ffff::1', 'ORCHIDv2'],
    ['benchmarking 2001:2::/48', '2001:2:0:ffff::1', 'benchmarking'],
    ['AS112 192.31.196.0/24', '192.31.196.1', 'AS112'],
    ['AS112 192.175.48.0/24', '192.175.48.6', 'AS112'],
    ['AS112 2620:4f:8000::/48', '2620:4f:8000::42', 'AS112'],
    ['AMT 192.52.193.0/24', '192.52.193.1', 'AMT'],
    ['documentation 3fff::/20', '3fff:fff::1', 'reserved'],
    ['SRv6 SIDs 5f00::/16', '5f00:1:2::3', 'SRv6'],
  ])('%s is refused', async (_name, address, label) => {
    expect(reasonFor(address)).toContain(label);
    const resolve = () => Promise.resolve([{ address, family: address.includes(':') ? 6 : 4 } as const]);
    await expect(checkTarget('https://innocent.example.test/', strict, resolve)).rejects.toBeInstanceOf(
      SsrfRefusedError,
    );
  });
});

describe('the supplement to ipaddr.js', () => {
  it('refuses the local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215), whatever IPv4 it seems to carry', () => {
    expect(reasonFor('64:ff9b:1::808:808')).toBe('local-use NAT64');
  });

  it('refuses IPv6 outside 2000::/3 global unicast (IANA: reserved by IETF), e.g. the dummy prefix', () => {
    expect(reasonFor('100:0:0:1::1')).toMatch(/outside 2000::\/3/);
    expect(reasonFor('4000::1')).toMatch(/outside 2000::\/3/);
  });

  it('reads ::a.b.c.d as IPv4-compatible, not as IPv4-mapped as ipaddr.js alone would', () => {
    expect(reasonFor('::127.0.0.1')).toBe('IPv4-compatible (deprecated) form of loopback');
    expect(reasonFor('::7f00:1')).toBe('IPv4-compatible (deprecated) form of loopback');
  });
});

describe('neighbours of refused ranges stay reachable', () => {
  it.each(['192.31.197.1', '192.52.194.1', '192.175.49.1', '2001:200::1', '2620:4f:8001::1', '3fff:1000::1'])(
    '%s is public',
    (address) => {
      expect(reasonFor(address)).toBeUndefined();
    },
  );
});

describe('parsing', () => {
  it('takes only canonical four-part IPv4, so legacy shorthands never turn a name into an address', () => {
    expect(parseAddress('127.1')).toBeUndefined();
    expect(parseAddress('0x7f.0.0.1')).toBeUndefined();
    expect(parseAddress('2130706433')).toBeUndefined();
    expect(parseAddress('[fe80::1%eth0]')?.toString()).toBe('fe80::1');
  });

  it('refuses malformed CIDRs', () => {
    for (const text of ['10.0.0.0/33', '::/129', '10.0.0.0/-1', '10.0.0.0/8/8', '10.0.0.0/x', 'host/8']) {
      expect(parseCidr(text)).toBeUndefined();
    }
    expect(parseCidr('10.0.0.0/8')?.prefix).toBe(8);
  });
});
