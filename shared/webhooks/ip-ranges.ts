/**
 * Which addresses a webhook may never reach. The special-purpose ranges come from `ipaddr.js`, a
 * maintained library that tracks the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890):
 * any address whose `range()` is not `unicast` is refused. This module only adds what the library does
 * not say (each supplement below is commented with its source) and judges IPv6 forms that carry an IPv4
 * address by that address. Free of I/O so every form is unit-testable.
 */
import ipaddr from 'ipaddr.js';

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

export interface Cidr {
  readonly network: IpAddress;
  readonly prefix: number;
}

/**
 * A literal address, or undefined for anything else (a host name). Strict on purpose: IPv4 only as four
 * decimal parts, as resolvers answer and WHATWG URL serialises hosts, so `ipaddr.js`'s legacy forms
 * (`127.1`, `0x7f.1`) never turn a host name or an allow-list entry into an address by accident.
 */
export function parseAddress(text: string): IpAddress | undefined {
  // Zone ids (fe80::1%eth0) do not change what the address is.
  const address = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) return ipaddr.IPv4.parse(address);
  if (!ipaddr.IPv6.isValid(address)) return undefined;
  // ipaddr.js reads `::a.b.c.d` (IPv4-compatible, RFC 4291 section 2.5.5.1) as `::ffff:a.b.c.d`
  // (IPv4-mapped), which is a different address. The WHATWG URL host parser canonicalises the dotted
  // tail to hex groups first, so the library sees the address the socket would get.
  try {
    return ipaddr.IPv6.parse(new URL(`http://[${address}]/`).hostname.slice(1, -1));
  } catch {
    return undefined;
  }
}

/** `10.0.0.0/8`, `::1/128`, or a single address (a /32 or /128). */
export function parseCidr(text: string): Cidr | undefined {
  const [addressText = '', prefixText, ...rest] = text.trim().split('/');
  const network = parseAddress(addressText);
  if (!network || rest.length > 0) return undefined;
  const max = network.kind() === 'ipv4' ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix <= max)) return undefined;
  return { network, prefix };
}

export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  return cidr.network.kind() === address.kind() && address.match(cidr.network, cidr.prefix);
}

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`bad CIDR constant ${text}`);
  return parsed;
}

/** Plain words for `ipaddr.js` range names; a name missing here (a newer library version) is still refused. */
const LABELS: Readonly<Record<string, string>> = {
  unspecified: 'unspecified',
  broadcast: 'limited broadcast (reserved)',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT',
  private: 'private',
  reserved: 'reserved',
  as112: 'AS112 DNS sink',
  amt: 'AMT relay',
  uniqueLocal: 'unique-local',
  deprecatedSiteLocal: 'site-local (deprecated)',
  discard: 'discard-only',
  rfc6145: 'IPv4-translated',
  rfc6052: 'NAT64',
  teredo: 'Teredo',
  benchmarking: 'benchmarking',
  as112v6: 'AS112 DNS sink',
  deprecatedOrchid: 'ORCHID (deprecated)',
  orchid2: 'ORCHIDv2',
  droneRemoteIdProtocolEntityTags: 'drone remote ID tags',
  segmentRouting: 'SRv6 SIDs',
};

/** ipaddr.js files IPv4 `0.0.0.0/8` under `unspecified`; "this network" is RFC 6890's name for it. */
function labelOf(address: IpAddress, range: string): string {
  if (address.kind() === 'ipv4' && range === 'unspecified') return 'this network';
  return LABELS[range] ?? `special-purpose (${range})`;
}

/**
 * IPv6 forms whose packets really reach (or may reach, through a translator) the IPv4 address they carry,
 * so that address is what gets judged. `offset` is its byte index.
 */
const EMBEDDINGS: readonly { readonly cidr: Cidr; readonly label: string; readonly offset: number }[] = [
  // RFC 4291 section 2.5.5.2.
  { cidr: cidr('::ffff:0:0/96'), label: 'IPv4-mapped', offset: 12 },
  // RFC 6052 section 2.1, the well-known prefix (IANA: globally reachable).
  { cidr: cidr('64:ff9b::/96'), label: 'NAT64', offset: 12 },
  // RFC 3056 section 2.
  { cidr: cidr('2002::/16'), label: '6to4', offset: 2 },
  // RFC 4291 section 2.5.5.1, deprecated; ipaddr.js calls it `unicast` (`::` and `::1` are judged first).
  { cidr: cidr('::/96'), label: 'IPv4-compatible (deprecated)', offset: 12 },
];

/**
 * What ipaddr.js 2.5.0 files as `unicast` or lumps with a reachable range, but the IANA registries do not
 * treat as reachable on the internet.
 */
const SUPPLEMENT_V6: readonly { readonly cidr: Cidr; readonly label: string }[] = [
  // IANA IPv6 Special-Purpose Address Registry: the local-use NAT64 prefix (RFC 8215) is not globally
  // reachable, and operators place the IPv4 address at any RFC 6052 offset, so it cannot be read reliably.
  // ipaddr.js files it with the well-known prefix under `rfc6052`.
  { cidr: cidr('64:ff9b:1::/48'), label: 'local-use NAT64' },
];

/**
 * IANA IPv6 Address Space registry: only 2000::/3 is allocated as global unicast; the rest of what
 * ipaddr.js calls `unicast` is "Reserved by IETF" (e.g. the dummy prefix 100:0:0:1::/64 of the
 * special-purpose registry), so no public webhook receiver can live there.
 */
const GLOBAL_UNICAST_V6 = cidr('2000::/3');

/** The IPv4 address an IPv6 form carries, so an allow-list entry `127.0.0.1` covers `::ffff:127.0.0.1`. */
export function embeddedV4(address: IpAddress): ipaddr.IPv4 | undefined {
  return embeddingOf(address)?.v4;
}

function embeddingOf(address: IpAddress): { label: string; v4: ipaddr.IPv4 } | undefined {
  if (address.kind() !== 'ipv6') return undefined;
  const range = address.range() as string;
  if (range === 'unspecified' || range === 'loopback') return undefined;
  const found = EMBEDDINGS.find((e) => cidrContains(e.cidr, address));
  if (!found) return undefined;
  const bytes = address.toByteArray().slice(found.offset, found.offset + 4);
  return { label: found.label, v4: new ipaddr.IPv4(bytes) };
}

/** Why an address may not be reached (a short label such as `loopback`), or undefined for a public one. */
export function forbiddenReason(address: IpAddress): string | undefined {
  const embedding = embeddingOf(address);
  if (embedding) {
    const inner = forbiddenReason(embedding.v4);
    return inner === undefined ? undefined : `${embedding.label} form of ${inner}`;
  }
  const extra = SUPPLEMENT_V6.find((s) => cidrContains(s.cidr, address));
  if (extra) return extra.label;
  const range = address.range() as string;
  if (range !== 'unicast') return labelOf(address, range);
  if (address.kind() === 'ipv6' && !cidrContains(GLOBAL_UNICAST_V6, address)) {
    return 'reserved (outside 2000::/3 global unicast)';
  }
  return undefined;
}
