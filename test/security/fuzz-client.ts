/**
 * The wire side of the route fuzz (fuzz-routes.test.ts): a node:http sender that puts exactly the generated
 * request on the wire (repeated headers, raw `#`, `?` and `\` in the target, bodies of any bytes, which
 * fetch would normalise or refuse), the invariants every response must keep, and a health probe on a
 * thread of its own so its clock keeps ticking while the host's event loop is busy.
 */
import { Agent, request } from 'node:http';
import { Worker } from 'node:worker_threads';

export interface FuzzRequest {
  readonly method: string;
  /** The request target under `/api`, exactly as written on the request line. */
  readonly target: string;
  /** Name/value pairs in order, so a header can repeat. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: string | Uint8Array;
}

export interface FuzzResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

export interface Sender {
  send(fuzz: FuzzRequest): Promise<FuzzResponse>;
  close(): void;
}

export function createSender(baseUrl: string): Sender {
  const { hostname, port } = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return {
    send: (fuzz) =>
      new Promise((resolve, reject) => {
        const body = fuzz.body === undefined ? undefined : Buffer.from(fuzz.body);
        // A flat array is sent as is: node adds no Host or Content-Length of its own, so both are set here.
        const headers = [`host`, `${hostname}:${port}`, 'content-length', String(body?.length ?? 0)];
        for (const [name, value] of fuzz.headers) headers.push(name, value);
        const outgoing = request(
          { agent, hostname, port, method: fuzz.method, path: `/api${fuzz.target}`, headers },
          (incoming) => {
            const chunks: Buffer[] = [];
            incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
            incoming.on('error', reject);
            incoming.on('end', () =>
              resolve({
                status: incoming.statusCode ?? 0,
                headers: incoming.headers,
                text: Buffer.concat(chunks).toString('utf8'),
              }),
            );
          },
        );
        outgoing.on('error', reject);
        // A request the host never answers is a finding of its own, not a hung suite.
        outgoing.setTimeout(10_000, () =>
          outgoing.destroy(new Error(`no answer within 10 s: ${fuzz.method} ${fuzz.target.slice(0, 200)}`)),
        );
        outgoing.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/**
 * What a response may not say unless the request said it first: stack frames, source paths, Node and SDK
 * error vocabulary, socket addresses. Echoes are allowed (a 404 names the path the caller sent).
 */
const INTERNALS: readonly RegExp[] = [
  /\n\s+at [^\n]+/g,
  /\bat [\w.<>]+ \([^)]*:\d+:\d+\)/g,
  /\/work\/[^\s"]*/g,
  /node_modules/g,
  /[\w-]+\.[cm]?[jt]s:\d+/g,
  /\bERR_[A-Z0-9_]{3,}/g,
  /\bE(?:CONNREFUSED|CONNRESET|TIMEDOUT|ADDRINUSE|NOTFOUND|AI_AGAIN|PIPE)\b/g,
  /Cosmos|PartitionKey|partition key|x-ms-[\w-]+|ActivityId|\bRID\b|_rid|_etag|_self/g,
  /routines:[^"]*/g,
  /\b(?:TypeError|ReferenceError|RangeError|SyntaxError|AggregateError)\b/g,
  /Cannot read propert|is not a function|is not defined|undefined is not|Unexpected token/g,
  /\b(?:\d{1,3}\.){3}\d{1,3}:\d{1,5}\b/g,
  /\[[0-9a-fA-F:.]+\]:\d{1,5}\b/g,
];

export interface LeakRules {
  /** Strings no response may contain unless the request did (another tenant's ids, for a tenant's call). */
  readonly foreign: readonly string[];
  /** What the caller owns and may be shown again without sending it (its endpoints' `host:port`). */
  readonly own: readonly string[];
}

/** Everything the caller sent, in the forms a response could echo it back. */
function requestCorpus(fuzz: FuzzRequest): string {
  const parts = [fuzz.target, ...fuzz.headers.map(([name, value]) => `${name}: ${value}`)];
  for (const text of [fuzz.target, ...fuzz.target.split(/[/?&=]/)]) {
    try {
      parts.push(decodeURIComponent(text), decodeURIComponent(text.replaceAll('+', ' ')));
    } catch {
      // Not percent-decodable: the raw form above is all a response could echo.
    }
  }
  try {
    parts.push(new URL(fuzz.target, 'http://h').pathname);
  } catch {
    // Not a URL at all: the host refuses it without echoing it.
  }
  if (fuzz.body !== undefined) parts.push(Buffer.from(fuzz.body).toString('utf8'));
  return parts.join('\n');
}

/** Every string in a JSON body (keys and values), unescaped; the raw text when it is not JSON. */
function stringsOf(text: string): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') found.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object')
      for (const [key, inner] of Object.entries(value)) {
        found.push(key);
        walk(inner);
      }
  };
  try {
    walk(JSON.parse(text));
  } catch {
    found.push(text);
  }
  return found;
}

function problemShape(response: FuzzResponse): string[] {
  try {
    const problem = JSON.parse(response.text) as { status?: unknown; title?: unknown };
    return [
      ...(problem.status === response.status ? [] : [`problem status ${String(problem.status)}`]),
      ...(typeof problem.title === 'string' ? [] : ['problem without a title']),
    ];
  } catch {
    return ['error body is not JSON'];
  }
}

/** The broken invariants of one exchange, in words; empty when the response is fine. */
export function violations(fuzz: FuzzRequest, response: FuzzResponse, rules: LeakRules): string[] {
  const broken: string[] = [];
  if (response.status >= 500) broken.push(`status ${response.status}`);
  if (response.status >= 400) {
    if (response.headers['content-type'] !== 'application/problem+json')
      broken.push(`error without problem+json (content-type ${String(response.headers['content-type'])})`);
    // HEAD answers carry no body (RFC 9110 §9.3.2): only the headers can be checked.
    if (fuzz.method !== 'HEAD') broken.push(...problemShape(response));
  }
  const corpus = requestCorpus(fuzz);
  const said = [
    ...stringsOf(response.text),
    ...Object.entries(response.headers).map(([name, value]) => `${name}: ${String(value)}`),
  ];
  for (const text of said) {
    for (const pattern of INTERNALS) {
      for (const [match] of text.matchAll(pattern)) {
        if (!corpus.includes(match) && !rules.own.some((o) => o.includes(match)))
          broken.push(`internal detail ${JSON.stringify(match)}`);
      }
    }
    for (const secret of rules.foreign) {
      if (text.includes(secret) && !corpus.includes(secret)) broken.push(`foreign id ${secret}`);
    }
  }
  return broken;
}

// ── health probe ─────────────────────────────────────────────────────────────────────────────────────
export interface ProbeReport {
  readonly count: number;
  readonly failures: readonly string[];
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** How late the probe thread's own timer fired (max, ms): CPU starvation of the whole process. */
  readonly probeTimerLagMax: number;
  /**
   * p99 and count of the probes sent while the probe thread itself ran on time (its timer under
   * STARVED_LAG_MS late): when even an idle thread is late, the box is short of CPU (other test files
   * run beside this one on two cores) and the host's latency then measures the box, not the host.
   */
  readonly onTime: { readonly count: number; readonly p99: number };
}

/** A probe thread timer this late means the whole process was starved of CPU at that moment. */
export const STARVED_LAG_MS = 20;

export interface HealthProbe {
  stop(): Promise<ProbeReport>;
}

/**
 * Plain JavaScript for an eval'd worker (no TypeScript loader there). Dynamic imports work whether node
 * evaluates it as a script or a module. A probe still in flight at `stop` counts with its age so far: a
 * host that stopped answering must not look fast.
 */
const PROBE_SOURCE = `
Promise.all([import('node:worker_threads'), import('node:http')]).then(([threads, http]) => {
  const { url, everyMs, starvedLagMs } = threads.workerData;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const latencies = [];
  const failures = [];
  const pending = new Set();
  const onTime = [];
  const probe = (lag) => {
    const started = performance.now();
    pending.add(started);
    const done = (failure) => {
      pending.delete(started);
      latencies.push(performance.now() - started);
      if (lag < starvedLagMs) onTime.push(performance.now() - started);
      if (failure) failures.push(failure);
    };
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode === 200 ? undefined : 'status ' + res.statusCode));
      })
      .on('error', (error) => done(error.message));
  };
  // How late this thread's own timer fires: when it is late too, the whole process was starved of CPU
  // (other processes on the box), not blocked by the host's event loop.
  const lags = [];
  let expected = performance.now() + everyMs;
  const timer = setInterval(() => {
    const now = performance.now();
    const lag = Math.max(0, now - expected);
    lags.push(lag);
    expected = now + everyMs;
    probe(lag);
  }, everyMs);
  threads.parentPort.on('message', () => {
    clearInterval(timer);
    const now = performance.now();
    for (const started of pending) latencies.push(now - started);
    agent.destroy();
    threads.parentPort.postMessage({ latencies, failures, lags, onTime });
  });
});
`;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export function startHealthProbe(url: string, everyMs = 20): HealthProbe {
  const worker = new Worker(PROBE_SOURCE, {
    eval: true,
    workerData: { url, everyMs, starvedLagMs: STARVED_LAG_MS },
  });
  return {
    stop: () =>
      new Promise((resolve, reject) => {
        worker.once('error', reject);
        worker.once(
          'message',
          (data: { latencies: number[]; failures: string[]; lags: number[]; onTime: number[] }) => {
            void worker.terminate();
            const sorted = [...data.latencies].sort((a, b) => a - b);
            const round = (ms: number) => Math.round(ms * 10) / 10;
            resolve({
              count: sorted.length,
              failures: data.failures,
              p50: round(percentile(sorted, 50)),
              p99: round(percentile(sorted, 99)),
              max: round(sorted.at(-1) ?? Number.NaN),
              probeTimerLagMax: round(Math.max(0, ...data.lags)),
              onTime: {
                count: data.onTime.length,
                p99: round(
                  percentile(
                    [...data.onTime].sort((a, b) => a - b),
                    99,
                  ),
                ),
              },
            });
          },
        );
        worker.postMessage('stop');
      }),
  };
}
