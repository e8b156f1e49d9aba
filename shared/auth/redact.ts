/**
 * Log redaction. Log lines may carry ids, counts, states and timings; they must not carry credentials
 * or user content. `redact` returns a copy safe to log: sensitive keys are masked whatever their value,
 * and credential-shaped strings are masked wherever they appear (a key pasted into a model name must
 * not reach the logs either).
 */

const SENSITIVE_KEY =
  /^(authorization|proxy-authorization|cookie|set-cookie|api-?key|x-api-key|password|passwd|secret|client_?secret|token|access_?token|refresh_?token|id_?token|pepper|hash|signature|webhook-signature|messages|content|prompt|completion|input|output|text|body|request|result|choices)$/i;

const CREDENTIAL_PATTERNS: readonly RegExp[] = [
  /pp_[a-z]{2,8}_([0-9a-f]{24})_[A-Za-z0-9_-]{10,}/g, // API key: keep the key id, drop the secret
  /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, // JWT (signed or alg none)
  /whsec_[A-Za-z0-9+/=]{8,}/g, // Standard Webhooks secret
  /(AccountKey|SharedAccessKey)=[^;\s]+/gi, // connection string secrets
  /\bBearer\s+\S+/gi,
];

export const REDACTED = '[redacted]';

export function redactString(value: string): string {
  let result = value;
  for (const pattern of CREDENTIAL_PATTERNS) {
    result = result.replace(pattern, (match, keyId: unknown) =>
      typeof keyId === 'string' && match.startsWith('pp_') ? `pp_…_${keyId}_${REDACTED}` : REDACTED,
    );
  }
  return result;
}

/** A redacted deep copy. Depth- and size-bounded so logging a hostile object cannot hang the process. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string')
    return redactString(value.length > 2_000 ? `${value.slice(0, 2_000)}…` : value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 8) return '[truncated]';
  if (Array.isArray(value)) return value.slice(0, 50).map((item) => redact(item, depth + 1));
  if (value instanceof Error) return { name: value.name, message: redactString(value.message) };
  // fromEntries defines own properties, so a `__proto__` key in hostile input stays a plain key.
  return Object.fromEntries(
    Object.entries(value)
      .slice(0, 100)
      .map(([key, item]) => [key, SENSITIVE_KEY.test(key) ? REDACTED : redact(item, depth + 1)]),
  );
}
