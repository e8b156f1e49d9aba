/**
 * What a tenant reads when a delivery attempt fails: a stable code and a sentence in plain words. Node's
 * and OpenSSL's error strings (`DEPTH_ZERO_SELF_SIGNED_CERT`, `error:0A000086:SSL routines:...`,
 * `connect ECONNREFUSED 10.1.2.3:443`) name library internals and the address the platform resolved and
 * connected to, which is the platform's view of DNS, not the tenant's business. Those raw strings go to
 * operator logs only (deliver.ts); the attempts API, the delivery's `lastError` and an endpoint's
 * `disabledReason` carry only what this module produces.
 */
import { z } from 'zod';

export const DeliveryErrorCodeSchema = z.enum([
  /** The URL itself is refused (scheme, credentials, port 0, https required). */
  'url_not_allowed',
  /** The host is, or resolves to, an address in a private or reserved range (SSRF guard). */
  'address_not_allowed',
  'dns_failed',
  'connection_refused',
  'connection_reset',
  'host_unreachable',
  'timeout',
  'tls_untrusted_certificate',
  'tls_certificate_expired',
  'tls_hostname_mismatch',
  'tls_handshake_failed',
  'invalid_response',
  'network_error',
  /** The endpoint answered, with a status that is not 2xx. */
  'http_status',
  /** 3xx: redirects are never followed (a redirect could point inside the network). */
  'redirect_not_followed',
  'endpoint_deleted',
  'endpoint_disabled',
]);
export type DeliveryErrorCode = z.infer<typeof DeliveryErrorCodeSchema>;

export interface TenantError {
  readonly code: DeliveryErrorCode;
  /** Safe to show the tenant: names nothing the tenant did not write. */
  readonly message: string;
}

export const DNS_FAILED: TenantError = { code: 'dns_failed', message: 'The host name did not resolve' };

export function timeoutError(timeoutMs: number): TenantError {
  return { code: 'timeout', message: `No answer within ${timeoutMs} ms` };
}

// Node names certificate verification failures after OpenSSL's X509_V_ERR_* values (minus the prefix).
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const UNTRUSTED = /CERT|SELF_SIGNED|UNABLE_TO_|INVALID_CA|PATH_LENGTH|INVALID_PURPOSE|ISSUER/;

const BY_CODE: Readonly<Record<string, TenantError>> = {
  ECONNREFUSED: { code: 'connection_refused', message: 'The connection was refused' },
  ECONNRESET: {
    code: 'connection_reset',
    message: 'The connection was closed before a complete response arrived',
  },
  EPIPE: {
    code: 'connection_reset',
    message: 'The connection was closed before a complete response arrived',
  },
  ECONNABORTED: {
    code: 'connection_reset',
    message: 'The connection was closed before a complete response arrived',
  },
  EHOSTUNREACH: { code: 'host_unreachable', message: 'The host could not be reached' },
  ENETUNREACH: { code: 'host_unreachable', message: 'The host could not be reached' },
  EHOSTDOWN: { code: 'host_unreachable', message: 'The host could not be reached' },
  ENETDOWN: { code: 'host_unreachable', message: 'The host could not be reached' },
  EADDRNOTAVAIL: { code: 'host_unreachable', message: 'The host could not be reached' },
  ETIMEDOUT: { code: 'timeout', message: 'The connection timed out' },
  ERR_TLS_CERT_ALTNAME_INVALID: {
    code: 'tls_hostname_mismatch',
    message: 'The TLS handshake failed: the certificate does not match the host name',
  },
};

/** Maps a node:http(s) request error to the vocabulary; unknown errors get the generic sentence. */
export function fromNetworkError(error: NodeJS.ErrnoException): TenantError {
  const code = error.code ?? '';
  const known = BY_CODE[code];
  if (known) return known;
  if (EXPIRED.has(code)) {
    return {
      code: 'tls_certificate_expired',
      message: 'The TLS handshake failed: the certificate has expired or is not yet valid',
    };
  }
  if (UNTRUSTED.test(code)) {
    return {
      code: 'tls_untrusted_certificate',
      message: 'The TLS handshake failed: the certificate is not trusted',
    };
  }
  // ERR_SSL_* (e.g. WRONG_VERSION_NUMBER: plain HTTP on the https port), EPROTO, TLS alerts.
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO' || code.startsWith('ERR_TLS_')) {
    return { code: 'tls_handshake_failed', message: 'The TLS handshake failed' };
  }
  // llhttp parse errors: the peer did not speak HTTP/1.1.
  if (code.startsWith('HPE_')) {
    return { code: 'invalid_response', message: 'The response was not valid HTTP' };
  }
  return { code: 'network_error', message: 'The connection failed' };
}

/** The tenant's words for an HTTP answer that is not a success, or undefined for 2xx. */
export function fromStatus(status: number, location: string | undefined): TenantError | undefined {
  if (status >= 200 && status < 300) return undefined;
  if (status >= 300 && status < 400) {
    return {
      code: 'redirect_not_followed',
      message: `HTTP ${status} redirect not followed${location ? ` (to ${location.slice(0, 512)})` : ''}; update the endpoint URL`,
    };
  }
  return { code: 'http_status', message: `HTTP ${status}` };
}
