/**
 * IP address parsing and the ranges a webhook may never reach. Kept free of I/O so every form (IPv4,
 * IPv6, IPv4-mapped/compatible IPv6, NAT64, 6to4) is unit-testable.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface ParsedAddress {
  readonly family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
}

export function parseAddress(text: string): ParsedAddress | undefined {
  // Zone ids (fe80::1%eth0) do not change what the address is.
  const address = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIPv4(address)) return { family: 4, bytes: Uint8Array.from(address.split('.').map(Number)) };
  if (!isIPv6(address)) return undefined;
  return { family: 6, bytes: parseIPv6(address) };
}

function parseIPv6(address: string): Uint8Array {
  // node:net already validated the syntax; expand "::" and a trailing dotted quad into 8 groups.
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const [a, b, c, d] = dotted[1].split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -dotted[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    const value = parseInt(group, 16);
    bytes[index * 2] = value >> 8;
    bytes[index * 2 + 1] = value & 0xff;
  });
  return bytes;
}

export interface Cidr {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const [addressText = '', prefixText] = text.trim().split('/');
  const address = parseAddress(addressText);
  if (!address) return undefined;
  const max = address.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  return { ...address, prefix };
}

export function cidrContains(cidr: Cidr, address: ParsedAddress): boolean {
  if (cidr.family !== address.family) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i += 1, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((cidr.bytes[i] ?? 0) & mask) !== ((address.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

function cidrs(entries: readonly (readonly [string, string])[]): readonly (readonly [Cidr, string])[] {
  return entries.map(([text, label]) => [parseCidr(text)!, label] as const);
}

/** IPv4 ranges that are not the public internet (RFC 6890 special-purpose registry, the ones that matter). */
const BLOCKED_V4 = cidrs([
  ['0.0.0.0/8', 'this network'],
  ['10.0.0.0/8', 'private (RFC 1918)'],
  ['100.64.0.0/10', 'carrier-grade NAT (RFC 6598)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local (includes cloud metadata 169.254.169.254)'],
  ['172.16.0.0/12', 'private (RFC 1918)'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', '6to4 relay anycast'],
  ['192.168.0.0/16', 'private (RFC 1918)'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved (includes broadcast)'],
]);

const BLOCKED_V6 = cidrs([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['100::/64', 'discard-only'],
  ['2001:db8::/32', 'documentation'],
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local (deprecated)'],
  ['ff00::/8', 'multicast'],
]);

/**
 * IPv6 forms that carry an IPv4 address which is what the packet really reaches (or may reach through a
 * translator): check the embedded IPv4 address instead. `offset` is the byte index of the IPv4 address.
 */
const EMBEDS_V4 = cidrs([
  ['::ffff:0:0/96', 'IPv4-mapped'],
  ['::/96', 'IPv4-compatible (deprecated)'],
  ['64:ff9b::/96', 'NAT64'],
  ['64:ff9b:1::/48', 'local-use NAT64'],
  ['2002::/16', '6to4'],
]).map(([cidr, label]) => ({ cidr, label, offset: label === '6to4' ? 2 : 12 }));

/** Why an address may not be reached, or undefined for a public address. */
export function forbiddenReason(address: ParsedAddress): string | undefined {
  if (address.family === 6) {
    for (const [cidr, label] of BLOCKED_V6) if (cidrContains(cidr, address)) return label;
    for (const { cidr, label, offset } of EMBEDS_V4) {
      if (!cidrContains(cidr, address)) continue;
      const v4: ParsedAddress = { family: 4, bytes: address.bytes.slice(offset, offset + 4) };
      const inner = forbiddenReason(v4);
      return inner === undefined ? undefined : `${label} form of ${inner} address`;
    }
    return undefined;
  }
  for (const [cidr, label] of BLOCKED_V4) if (cidrContains(cidr, address)) return label;
  return undefined;
}

/** The IPv4 address embedded in an IPv6 form, so an allow-list entry of `127.0.0.1` covers `::ffff:127.0.0.1`. */
export function embeddedV4(address: ParsedAddress): ParsedAddress | undefined {
  if (address.family === 4) return undefined;
  for (const { cidr, offset } of EMBEDS_V4) {
    if (cidrContains(cidr, address)) return { family: 4, bytes: address.bytes.slice(offset, offset + 4) };
  }
  return undefined;
}
