/**
 * The dashboard's HTTP side, mounted by the dev host at /dashboard on the API's port: the page and its
 * files, and three JSON endpoints the page polls. GET and HEAD only, every answer under a strict
 * Content-Security-Policy (scripts and styles from this origin only, no inline code, no requests
 * elsewhere), and only for a loopback Host header: the dashboard has no login, so a page on another
 * site that rebinds its DNS name to 127.0.0.1 must not read it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JobSummary, Overview, TraceView } from './api-types.js';
import { readStatic, type StaticFile } from './static-files.js';

export const DASHBOARD_PREFIX = '/dashboard';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/i;
const TRACE_ID = /^[0-9a-f]{32}$/;
const MAX_QUERY = 100;

export interface DashboardData {
  overview(): Overview;
  jobs(query: string, limit: number): readonly JobSummary[];
  trace(traceId: string): TraceView | undefined;
}

export type MountListener = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
) {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

const sendJson = (req: IncomingMessage, res: ServerResponse, status: number, value: unknown) =>
  send(req, res, status, 'application/json; charset=utf-8', JSON.stringify(value));

export function createDashboardListener(
  data: DashboardData,
  files: ReadonlyMap<string, StaticFile>,
): MountListener {
  return async (req, res, url) => {
    if (!LOOPBACK_HOST.test(req.headers.host ?? '')) {
      return sendJson(req, res, 403, { error: 'The dashboard answers on 127.0.0.1 or localhost only.' });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendJson(req, res, 405, { error: 'GET or HEAD only.' });
    }
    const path = url.pathname.slice(DASHBOARD_PREFIX.length);
    if (path === '/api/overview') return sendJson(req, res, 200, data.overview());
    if (path === '/api/jobs') {
      const query = (url.searchParams.get('q') ?? '').slice(0, MAX_QUERY);
      const limit = Math.min(200, Math.max(1, Number(url.searchParams.get('limit')) || 50));
      return sendJson(req, res, 200, { jobs: data.jobs(query, limit) });
    }
    if (path.startsWith('/api/traces/')) {
      const traceId = path.slice('/api/traces/'.length).toLowerCase();
      const trace = TRACE_ID.test(traceId) ? data.trace(traceId) : undefined;
      if (!trace) return sendJson(req, res, 404, { error: `No trace ${traceId} among the recent ones.` });
      return sendJson(req, res, 200, trace);
    }
    const file = files.get(path);
    if (!file) return sendJson(req, res, 404, { error: `Nothing at ${url.pathname}.` });
    return send(req, res, 200, file.contentType, await readStatic(file));
  };
}
