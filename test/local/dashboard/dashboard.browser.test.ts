/**
 * The dashboard in a real browser: headless Chromium (Debian's, /usr/bin/chromium; .ci/run installs it)
 * driven by playwright-core, against the whole local stack with the dashboard on. A few jobs go
 * through every stage (a webhook endpoint makes deliver run); the page must count them by status, draw
 * its charts, find one job by its id and show its trace with every stage. Every request the page makes
 * must stay on the dev host's origin, and nothing may break its Content-Security-Policy. A screenshot
 * is kept in test-artifacts/ for a person to look at.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../../local/stack.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../../local/webhook-receiver/index.js';
import { createLogger } from '../../../shared/telemetry/logger.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const JOBS = 4;
const STAGES = ['invoke', 'postprocess', 'persist', 'deliver'];
export const SCREENSHOT = join(process.cwd(), 'test-artifacts', 'dashboard.png');

let stack: LocalStack;
let receiver: WebhookReceiver;
let userDataDir: string;
let context: BrowserContext;
let page: Page;
let jobs: Array<{ id: string; traceId: string }>;
const offOrigin: string[] = [];
const problems: string[] = [];

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    dashboard: true,
    logger: createLogger({ level: 'error' }),
    modelLatency: { timeToFirstTokenMs: 5, perTokenMs: 1 },
  });
  receiver = await startWebhookReceiver({ log: () => {} });
  const headers = { 'api-key': stack.apiKey, 'content-type': 'application/json' };
  const endpoint = await fetch(`${stack.apiUrl}/v1/webhooks/endpoints`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ url: receiver.url, eventTypes: ['job.succeeded'] }),
  });
  expect(endpoint.status).toBe(201);
  jobs = [];
  for (let i = 0; i < JOBS; i += 1) {
    const response = await fetch(`${stack.apiUrl}/v1/jobs`, {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': `dashboard-${i}` },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `Write a haiku about dashboards, take ${i}` }],
        max_tokens: 24,
      }),
    });
    expect(response.status).toBe(202);
    jobs.push((await response.json()) as { id: string; traceId: string });
  }
  // Each job's webhook arrived: its deliver stage ran.
  await until('the webhooks', () =>
    Promise.resolve(jobs.every((job) => receiver.received.some((request) => request.body.includes(job.id)))),
  );

  userDataDir = mkdtempSync(join(tmpdir(), 'dashboard-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1400, height: 1000 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  const origin = new URL(stack.dashboardUrl!).origin;
  // Anything the page asks of another origin is recorded and refused: the dashboard is self-contained.
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    offOrigin.push(url);
    return route.abort();
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
  });
  await page.goto(stack.dashboardUrl!);
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await receiver?.close();
  await stack?.close();
});

// The page's elements as the callbacks use them (the test project has no DOM types).
interface Canvas {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
  };
}
interface Row {
  readonly dataset: Readonly<Record<string, string | undefined>>;
}
interface Box {
  getBoundingClientRect(): { readonly width: number };
}

const count = (status: string) => page.locator(`.status[data-status="${status}"] .count`).textContent();

/**
 * A chart canvas's size and how many of its pixels are in color: axes, grid and labels are grey or
 * black, the data lines are the page's palette, so colored pixels are lines (or points) drawn.
 */
const painted = (chart: string) =>
  page.locator(`${chart} canvas`).evaluate((element) => {
    const canvas = element as unknown as Canvas;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let colored = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      const [r, g, b, alpha] = [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!, pixels[i + 3]!];
      if (alpha > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60) colored += 1;
    }
    return { colored, width: canvas.width, height: canvas.height };
  });

describe('the dashboard in Chromium', () => {
  it('counts the jobs by status as the platform finished them', async () => {
    await until('the status counts', async () => (await count('succeeded')) === String(JOBS));
    expect(await count('queued')).toBe('0');
    expect(await count('failed')).toBe('0');
  });

  it('draws its charts: a canvas each, with data lines on it', async () => {
    // Each has points by now: two samples make the first rate, one second closes a latency point.
    await page.waitForTimeout(2_500);
    for (const chart of ['#chart-throughput', '#chart-latency', '#chart-queues', '#chart-model']) {
      const canvas = await painted(chart);
      expect(canvas.width, chart).toBeGreaterThan(200);
      expect(canvas.height, chart).toBeGreaterThan(100);
      // A latency second alone is a dot, not a line: a few dozen pixels.
      expect(canvas.colored, chart).toBeGreaterThan(10);
    }
    const legend = await page.locator('#chart-latency .u-legend').textContent();
    for (const stage of STAGES) expect(legend).toContain(`${stage} p99`);
  });

  it('lists the queues and the deployment with its successful calls', async () => {
    const queues = await page.locator('#queues tbody tr td:first-child').allTextContents();
    expect(queues.slice(0, 4)).toEqual(STAGES);
    const deployment = page.locator('#deployments tbody tr', { hasText: 'local-gpt-4o-mini' });
    await until(
      'the model calls',
      async () => (await deployment.locator('td').nth(6).textContent()) === String(JOBS),
    );
    expect(await deployment.locator('td').nth(4).textContent()).toBe(String(JOBS));
  });

  it('finds a job by its id and shows its trace with every stage', async () => {
    const job = jobs[1]!;
    await page.fill('#job-search', job.id.slice(4, 20));
    const rows = page.locator('#jobs tbody tr');
    await until('the search', async () => (await rows.count()) === 1);
    expect(await rows.locator('button.job').textContent()).toBe(job.id);
    await rows.locator('button.job').click();
    await page.locator('#trace-panel').waitFor({ state: 'visible' });
    expect(await page.locator('#trace-title').textContent()).toContain(job.traceId);
    for (const stage of STAGES) {
      await page.locator(`.span-row[data-span-name="process ${stage}"]`).first().waitFor();
    }
    const names = await page
      .locator('.span-row')
      .evaluateAll((rows) => rows.map((row) => (row as unknown as Row).dataset.spanName));
    expect(names[0]).toBe('POST submitJob');
    expect(names).toContain('chat gpt-4o-mini');
    // Bars are placed through the CSSOM, which the policy allows: each has a width.
    const widths = await page
      .locator('.span-bar')
      .evaluateAll((bars) => bars.map((bar) => (bar as unknown as Box).getBoundingClientRect().width));
    expect(widths.every((width) => width > 0)).toBe(true);
    mkdirSync(join(process.cwd(), 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('asked nothing of another origin, and broke no policy', () => {
    expect(offOrigin).toEqual([]);
    expect(problems).toEqual([]);
  });
});
