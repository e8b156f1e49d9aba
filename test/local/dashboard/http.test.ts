/**
 * The dashboard mounted on a real dev host, as the stack mounts it: the page and uPlot from
 * node_modules under a strict Content-Security-Policy, the JSON endpoints, and what it refuses. The
 * function routes beside it are unaffected.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionDefinition } from '../../../functions/definitions.js';
import type { Overview } from '../../../local/dashboard/api-types.js';
import { CONTENT_SECURITY_POLICY, createDashboardListener } from '../../../local/dashboard/http.js';
import { staticFiles } from '../../../local/dashboard/static-files.js';
import { startDevHost, type DevHost } from '../../../local/devhost/index.js';
import { job, spanFactory } from './spans.js';
import { memoryLogger } from '../devhost/helpers.js';

const factory = spanFactory();
const traceId = job(factory, 'job_0123');
const overview = { now: 1, statuses: { queued: 0 } } as unknown as Overview;
const logger = memoryLogger();
const health: FunctionDefinition = {
  kind: 'http',
  name: 'health',
  route: 'health',
  methods: ['GET'],
  handler: () => Promise.resolve({ status: 200, body: 'ok' }),
};
let host: DevHost;

beforeAll(async () => {
  host = await startDevHost({
    definitions: [health],
    port: 0,
    log: logger,
    mounts: [
      {
        prefix: '/dashboard',
        listener: createDashboardListener(
          {
            overview: () => overview,
            jobs: (query, limit) => factory.traces.recent(limit, query),
            trace: (id) => factory.traces.trace(id),
          },
          staticFiles(),
        ),
      },
    ],
  });
});

afterAll(() => host?.close());

/** A GET with a chosen Host header (fetch will not send another host's name). */
function getWithHost(path: string, hostHeader: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${host.url}${path}`, { headers: { host: hostHeader } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the dashboard on the dev host', () => {
  it('serves the page under a strict Content-Security-Policy, at /dashboard and /dashboard/', async () => {
    for (const path of ['/dashboard', '/dashboard/']) {
      const response = await fetch(`${host.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const html = await response.text();
      expect(html).toContain('<script type="module" src="/dashboard/app.js"></script>');
      // No inline script or style: the policy would block them.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=/);
    }
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe');
  });

  it("serves uPlot from node_modules and the page's modules, nothing else", async () => {
    const uplot = await fetch(`${host.url}/dashboard/vendor/uPlot.iife.min.js`);
    expect(uplot.status).toBe(200);
    expect(uplot.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await uplot.text()).toMatch(/^\/\*! https:\/\/github.com\/leeoniya\/uPlot \(v1\.6\.\d+\) \*\//);
    const css = await fetch(`${host.url}/dashboard/vendor/uPlot.min.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    for (const name of ['app.js', 'api.js', 'charts.js', 'panels.js', 'waterfall.js', 'dashboard.css']) {
      expect((await fetch(`${host.url}/dashboard/${name}`)).status, name).toBe(200);
    }
    for (const path of [
      '/dashboard/tsconfig.json',
      '/dashboard/../package.json',
      '/dashboard/%2e%2e/host.json',
    ]) {
      expect((await fetch(`${host.url}${path}`)).status, path).toBe(404);
    }
  });

  it('answers the overview, a job search and a trace as JSON', async () => {
    expect(await (await fetch(`${host.url}/dashboard/api/overview`)).json()).toEqual(overview);
    const found = (await (await fetch(`${host.url}/dashboard/api/jobs?q=0123`)).json()) as {
      jobs: Array<{ jobId: string; traceId: string }>;
    };
    expect(found.jobs.map((summary) => [summary.jobId, summary.traceId])).toEqual([['job_0123', traceId]]);
    const trace = await fetch(`${host.url}/dashboard/api/traces/${traceId}`);
    expect(trace.headers.get('cache-control')).toBe('no-store');
    expect(((await trace.json()) as { spanList: unknown[] }).spanList).toHaveLength(9);
    expect((await fetch(`${host.url}/dashboard/api/traces/${'0'.repeat(32)}`)).status).toBe(404);
    expect((await fetch(`${host.url}/dashboard/api/traces/not-a-trace`)).status).toBe(404);
  });

  it('refuses other methods, and any Host but a loopback name (DNS rebinding)', async () => {
    const post = await fetch(`${host.url}/dashboard/api/overview`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(await getWithHost('/dashboard', 'evil.example:7071')).toBe(403);
    expect(await getWithHost('/dashboard', 'localhost:7071')).toBe(200);
  });

  it('leaves the function routes as they were, and keeps its polls out of the request log', async () => {
    expect((await fetch(`${host.url}/api/health`)).status).toBe(200);
    expect((await fetch(`${host.url}/dashboardx`)).status).toBe(404);
    const logged = logger.lines
      .filter((line) => line.event === 'http.request')
      .map((line) => line.fields.path);
    expect(logged).toContain('/api/health');
    expect(logged.filter((path) => String(path).startsWith('/dashboard/'))).toEqual([]);
  });
});
