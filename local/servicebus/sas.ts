/**
 * Shared Access Signature checks for the `$cbs` put-token requests the SDK sends before each link
 * (Service Bus SAS: HMAC-SHA256 over "<url-encoded resource URI>\n<expiry>", base64, url-encoded).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SasCheck {
  ok: boolean;
  reason?: string;
  /** Entity path the token is for ('' for the namespace). */
  path?: string;
}

export function signSas(key: string, encodedResource: string, expiry: number): string {
  return createHmac('sha256', key).update(`${encodedResource}\n${expiry}`).digest('base64');
}

/** Entity path of an audience such as `sb://127.0.0.1:5672/intake/$management`. */
export function audiencePath(audience: string): string {
  const withoutScheme = audience.replace(/^[a-z]+:\/\//i, '');
  const slash = withoutScheme.indexOf('/');
  return slash < 0 ? '' : decodeURIComponent(withoutScheme.slice(slash + 1)).replace(/\/+$/, '');
}

export function checkSasToken(token: string, keyName: string, key: string, nowMs: number): SasCheck {
  try {
    return check(token, keyName, key, nowMs);
  } catch {
    // decodeURIComponent on a malformed token
    return { ok: false, reason: 'Malformed SharedAccessSignature token.' };
  }
}

function check(token: string, keyName: string, key: string, nowMs: number): SasCheck {
  const prefix = 'SharedAccessSignature ';
  if (!token.startsWith(prefix)) return { ok: false, reason: 'Not a SharedAccessSignature token.' };
  const fields = new Map<string, string>();
  for (const part of token.slice(prefix.length).split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const sr = fields.get('sr');
  const sig = fields.get('sig');
  const se = fields.get('se');
  const skn = fields.get('skn');
  if (!sr || !sig || !se || !skn) return { ok: false, reason: 'Malformed SharedAccessSignature token.' };
  if (decodeURIComponent(skn) !== keyName)
    return { ok: false, reason: `Unknown SharedAccessKeyName '${skn}'.` };
  const expiry = Number(se);
  if (!Number.isFinite(expiry) || expiry * 1000 <= nowMs)
    return { ok: false, reason: 'The token has expired.' };
  const expected = Buffer.from(signSas(key, sr, expiry));
  const actual = Buffer.from(decodeURIComponent(sig));
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    return { ok: false, reason: 'The token has an invalid signature.' };
  }
  return { ok: true, path: audiencePath(decodeURIComponent(sr)) };
}
