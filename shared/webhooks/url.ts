/**
 * The shape a webhook URL must have, checked without DNS or policy: at registration (through the zod
 * schema, so a refusal is a 400 naming `url`) and again before every attempt (ssrf.ts), so a URL stored
 * before a rule existed is still refused. Policy rules (https only in Azure, refused address ranges, the
 * allow-list) live in ssrf.ts.
 */
import { z } from 'zod';

/** Longer URLs are refused: browsers and proxies cap around 2 KB, and the URL is stored and shown. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

export type ParsedWebhookUrl =
  { readonly ok: true; readonly url: URL } | { readonly ok: false; readonly message: string };

/**
 * Parses and normalises: WHATWG URL serialisation (lowercase host, punycode, IPv4 shorthands such as
 * `2130706433` written out, default port dropped, dot segments resolved), no fragment (never sent, RFC
 * 9110 section 7.1), no trailing dot on the host name (RFC 6066 section 3: SNI names carry none). The
 * messages name only what the tenant wrote.
 */
export function parseWebhookUrl(raw: string): ParsedWebhookUrl {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) {
    return { ok: false, message: `The URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters` };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: 'The URL is not valid' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, message: `Scheme ${url.protocol} is not allowed; use https` };
  }
  // Credentials would be sent to whoever the host is, and the URL is stored, shown and logged.
  if (url.username !== '' || url.password !== '') {
    return { ok: false, message: 'The URL must not contain credentials (user:password@)' };
  }
  // Port 0 is reserved (IANA service name and port number registry); no receiver can listen there.
  if (url.port === '0') return { ok: false, message: 'The URL must not use port 0' };
  url.hash = '';
  if (url.hostname.length > 1 && url.hostname.endsWith('.')) url.hostname = url.hostname.slice(0, -1);
  if (url.href.length > MAX_WEBHOOK_URL_LENGTH) {
    return {
      ok: false,
      message: `The URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters once normalised`,
    };
  }
  return { ok: true, url };
}

/** The registration field: checked as above, stored normalised. */
export const WebhookUrlSchema = z
  .string()
  .min(1)
  .max(MAX_WEBHOOK_URL_LENGTH)
  .check((ctx) => {
    const parsed = parseWebhookUrl(ctx.value);
    if (!parsed.ok) ctx.issues.push({ code: 'custom', message: parsed.message, input: ctx.value });
  })
  .overwrite((raw) => {
    const parsed = parseWebhookUrl(raw);
    return parsed.ok ? parsed.url.href : raw;
  });
