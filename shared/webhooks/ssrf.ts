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

/** The target may not be called. `detail` is safe to show the tenant (it names no internal data). */
export class SsrfRefusedError extends Error {
  constructor(readonly detail: string) {
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

/** Syntax and scheme checks that need no DNS: also run when an endpoint is registered. */
export function checkUrlSyntax(raw: string, policy: SsrfPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SsrfRefusedError('URL is not valid');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new SsrfRefusedError(`Scheme ${url.protocol} is not allowed; use https`);
  }
  if (policy.requireHttps && url.protocol !== 'https:') {
    throw new SsrfRefusedError('Webhook URLs must use https');
  }
  // Credentials in the URL would be sent to whoever the host is and end up in logs.
  if (url.username !== '' || url.password !== '') {
    throw new SsrfRefusedError('URL must not contain credentials');
  }
  return url;
}

function addressAllowed(address: string, hostname: string, policy: SsrfPolicy): string | undefined {
  const parsed = parseAddress(address);
  if (!parsed) return `unparseable address ${address}`;
  if (policy.allowedHosts.includes(hostname)) return undefined;
  const v4 = embeddedV4(parsed);
  if (policy.allowedCidrs.some((cidr) => cidrContains(cidr, parsed) || (v4 && cidrContains(cidr, v4)))) {
    return undefined;
  }
  const reason = forbiddenReason(parsed);
  return reason === undefined ? undefined : `${address} is ${reason}`;
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
    const problem = addressAllowed(candidate.address, hostname, policy);
    if (problem !== undefined) {
      throw new SsrfRefusedError(
        literal
          ? `Target address refused: ${problem}`
          : `Host ${hostname} resolves to a refused address: ${problem}`,
      );
    }
  }
  return { url, hostname, pinned: addresses[0]! };
}
