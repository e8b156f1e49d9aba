/**
 * SSRF guard for webhook targets. Tenants choose the URL, so the platform must not become a way into
 * internal networks (Standard Webhooks, "Server side request forgery"): the scheme is checked, the host is
 * resolved once, every resolved address is checked, and the connection is then pinned to a checked address
 * (see http-client.ts) so a second DNS answer (rebinding) cannot swap in an internal one.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import {
  cidrContains,
  embeddedV4,
  forbiddenReason,
  parseAddress,
  parseCidr,
  type Cidr,
} from './ip-ranges.js';
import { parseWebhookUrl } from './url.js';

export interface SsrfPolicy {
  /** Azure: https only, so payloads are not readable on the wire. The local stack allows http. */
  readonly requireHttps: boolean;
  /** Explicit exceptions (the local stack's receiver on 127.0.0.1): host names and IPs/CIDRs. */
  readonly allowedHosts: readonly string[];
  readonly allowedCidrs: readonly Cidr[];
}

/** Parses `WEBHOOK_ALLOWED_HOSTS` (comma-separated host names, IPs or CIDRs). */
export function parseAllowList(text: string): Pick<SsrfPolicy, 'allowedHosts' | 'allowedCidrs'> {
  const allowedHosts: string[] = [];
  const allowedCidrs: Cidr[] = [];
  for (const entry of text.split(',').map((e) => e.trim().toLowerCase())) {
    if (entry === '') continue;
    const cidr = parseCidr(entry);
    if (cidr) allowedCidrs.push(cidr);
    else allowedHosts.push(entry);
  }
  return { allowedHosts, allowedCidrs };
}

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** DNS port: node's resolver (getaddrinfo, as node:http would use) by default; tests inject answers. */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => {
  const answers = await dnsLookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/**
 * The target may not be called. `publicMessage` is what the tenant reads (it names nothing the tenant did
 * not write: no resolved address); `detail` adds the address and its range, for operator logs only.
 */
export class SsrfRefusedError extends Error {
  constructor(
    /** `url_not_allowed`: the URL itself; `address_not_allowed`: where it points. */
    readonly code: 'url_not_allowed' | 'address_not_allowed',
    readonly publicMessage: string,
    readonly detail: string = publicMessage,
  ) {
    super(detail);
    this.name = 'SsrfRefusedError';
  }
}

/** DNS could not answer: may be transient, so the delivery is retried rather than the endpoint blamed. */
export class ResolutionError extends Error {
  constructor(
    readonly hostname: string,
    options?: ErrorOptions,
  ) {
    super(`Could not resolve ${hostname}`, options);
    this.name = 'ResolutionError';
  }
}

export interface CheckedTarget {
  readonly url: URL;
  /** Host name without IPv6 brackets, for SNI and the Host header. */
  readonly hostname: string;
  /** The address the connection must use. */
  readonly pinned: ResolvedAddress;
}

/** Syntax, normalisation and scheme checks that need no DNS: also run when an endpoint is registered. */
export function checkUrlSyntax(raw: string, policy: SsrfPolicy): URL {
  const parsed = parseWebhookUrl(raw);
  if (!parsed.ok) throw new SsrfRefusedError('url_not_allowed', parsed.message);
  if (policy.requireHttps && parsed.url.protocol !== 'https:') {
    throw new SsrfRefusedError('url_not_allowed', 'Webhook URLs must use https');
  }
  return parsed.url;
}

/** Why `address` may not be reached from `hostname` under `policy`, or undefined when it may. */
function refusedRange(address: string, hostname: string, policy: SsrfPolicy): string | undefined {
  const parsed = parseAddress(address);
  if (!parsed) return 'not an IP address';
  if (policy.allowedHosts.includes(hostname)) return undefined;
  const v4 = embeddedV4(parsed);
  if (policy.allowedCidrs.some((cidr) => cidrContains(cidr, parsed) || (v4 && cidrContains(cidr, v4)))) {
    return undefined;
  }
  return forbiddenReason(parsed);
}

/**
 * Checks the URL and resolves its host. Every address must be allowed (a name answering with one public and
 * one internal address is refused outright), and the first one is pinned.
 */
export async function checkTarget(
  raw: string,
  policy: SsrfPolicy,
  resolve: Resolver = systemResolver,
): Promise<CheckedTarget> {
  const url = checkUrlSyntax(raw, policy);
  const hostname = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  let addresses: readonly ResolvedAddress[];
  const literal = parseAddress(hostname);
  if (literal) {
    addresses = [{ address: hostname, family: literal.kind() === 'ipv4' ? 4 : 6 }];
  } else {
    try {
      addresses = await resolve(hostname);
    } catch (error) {
      throw new ResolutionError(hostname, { cause: error });
    }
    if (addresses.length === 0) throw new ResolutionError(hostname);
  }
  for (const candidate of addresses) {
    const range = refusedRange(candidate.address, hostname, policy);
    if (range === undefined) continue;
    // A literal address is the tenant's own input, so its range may be named; a resolved one is not
    // shown at all (it would map the platform's DNS view for the tenant).
    throw literal
      ? new SsrfRefusedError(
          'address_not_allowed',
          `The address is not allowed (private or reserved range: ${range})`,
          `Target address refused: ${candidate.address} is ${range}`,
        )
      : new SsrfRefusedError(
          'address_not_allowed',
          'The host name resolves to an address that is not allowed (private or reserved range)',
          `Host ${hostname} resolves to a refused address: ${candidate.address} is ${range}`,
        );
  }
  return { url, hostname, pinned: addresses[0]! };
}
