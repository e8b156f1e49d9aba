/**
 * An Azure OpenAI simulator: the chat completions protocol on the Azure path
 * (`/openai/deployments/{deployment}/chat/completions?api-version=...`) and the OpenAI `/v1` path, with
 * per-deployment TPM/RPM enforced the way the service does it, Azure's 429 bodies and headers, latency
 * as time-to-first-token + per-token time, optional SSE streaming and injectable faults. Tests,
 * benchmarks and `npm start` run the production client against it unchanged.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { countPromptTokens } from '../../shared/model/tokens.js';
import {
  badRequest,
  contentFiltered,
  contextLengthExceeded,
  deploymentNotFound,
  rateLimited,
  serverError,
  unauthorized,
  type ErrorResponse,
} from './azure-errors.js';
import { generateJson, generateJsonObject, generateText, type GeneratedText } from './content.js';
import { FaultInjector, type FaultKind, type FaultSettings } from './faults.js';
import { SlidingWindowLimiter } from './rate-limiter.js';

export type { FaultKind, FaultRule, FaultSettings } from './faults.js';
export { SIMULATED_PREFIX } from './content.js';

export interface SimulatedDeployment {
  readonly name: string;
  /** The model name reported in responses; defaults to the deployment name. */
  readonly model?: string;
  readonly tpm: number;
  /** Defaults to the service's rule: 6 RPM per 1,000 TPM. */
  readonly rpm?: number;
  /** Context window in tokens (prompt + max_tokens); 128,000 by default. */
  readonly contextWindow?: number;
}

export interface ModelSimulatorOptions {
  readonly port?: number;
  readonly host?: string;
  /** When set, requests need `api-key: <apiKey>` or `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string;
  /** Entra ID: bearer tokens accepted in `Authorization: Bearer`. With neither this nor apiKey, anything goes. */
  readonly acceptBearerTokens?: readonly string[];
  readonly deployments?: readonly SimulatedDeployment[];
  readonly latency?: { readonly timeToFirstTokenMs: number; readonly perTokenMs: number };
  /**
   * Quota windows. The service counts tokens per minute and requests over 1-10 s windows; defaults are
   * 60 s and 10 s. `windowMs` sets both at once; benchmarks compress time with short windows.
   */
  readonly windowMs?: number;
  readonly tokenWindowMs?: number;
  readonly requestWindowMs?: number;
  /** Length of free-text answers, chosen deterministically per prompt within this range. */
  readonly completionTokens?: { readonly min: number; readonly max: number };
  /** `max_tokens` charged when a request omits it. */
  readonly defaultMaxTokens?: number;
  readonly faults?: FaultSettings;
}

export interface DeploymentStats {
  requests: number;
  admitted: number;
  throttled: number;
  /** Quota charged for admitted requests: prompt + max_tokens, as the service meters TPM. */
  chargedTokens: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  faults: number;
  succeeded: number;
}

export interface SimulatorStats {
  readonly startedAt: number;
  readonly deployments: Readonly<Record<string, DeploymentStats>>;
  readonly totals: DeploymentStats;
  /** Bearer tokens and api keys seen, in order, so tests can observe which credential was used. */
  readonly authorizations: readonly string[];
}

export interface ModelSimulator {
  /** Base URL, e.g. `http://127.0.0.1:53121`; use it as the Azure `endpoint` or `${url}/v1` as `baseURL`. */
  readonly url: string;
  close(): Promise<void>;
  stats(): SimulatorStats;
  /** Quota in use right now, summed over deployments: tokens in the token windows and their budget. */
  occupancy(): { usedTokens: number; tokenBudget: number };
  resetStats(): void;
  setFaults(settings: FaultSettings): void;
}

export const DEFAULT_SIMULATED_DEPLOYMENTS: readonly SimulatedDeployment[] = [
  { name: 'gpt-4o-mini', model: 'gpt-4o-mini-2024-07-18', tpm: 30_000 },
];

interface DeploymentState {
  readonly config: SimulatedDeployment;
  readonly model: string;
  readonly contextWindow: number;
  readonly limiter: SlidingWindowLimiter;
  stats: DeploymentStats;
}

function emptyStats(): DeploymentStats {
  return {
    requests: 0,
    admitted: 0,
    throttled: 0,
    chargedTokens: 0,
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: 0,
    faults: 0,
    succeeded: 0,
  };
}

/** Azure prompt caching: prompts of 1,024+ tokens seen before hit the cache in 128-token increments. */
const CACHE_MIN_TOKENS = 1024;
const CACHE_INCREMENT = 128;

export async function startModelSimulator(options: ModelSimulatorOptions = {}): Promise<ModelSimulator> {
  const windows = {
    tokenWindowMs: options.tokenWindowMs ?? options.windowMs ?? 60_000,
    requestWindowMs: options.requestWindowMs ?? options.windowMs ?? 10_000,
  };
  const latency = options.latency ?? { timeToFirstTokenMs: 20, perTokenMs: 0.5 };
  const completionRange = options.completionTokens ?? { min: 20, max: 60 };
  const defaultMaxTokens = options.defaultMaxTokens ?? 1024;
  const faults = new FaultInjector();
  if (options.faults) faults.set(options.faults);
  const deployments = new Map<string, DeploymentState>();
  for (const config of options.deployments ?? DEFAULT_SIMULATED_DEPLOYMENTS) {
    deployments.set(config.name, {
      config,
      model: config.model ?? config.name,
      contextWindow: config.contextWindow ?? 128_000,
      limiter: new SlidingWindowLimiter(config.tpm, config.rpm ?? (config.tpm / 1000) * 6, windows),
      stats: emptyStats(),
    });
  }
  let startedAt = Date.now();
  const authorizations: string[] = [];
  const promptCache = new Set<string>();
  const sockets = new Set<Socket>();
  const pending = new Set<NodeJS.Timeout>();

  const later = (ms: number, action: () => void): void => {
    const timer = setTimeout(() => {
      pending.delete(timer);
      action();
    }, ms);
    pending.add(timer);
  };

  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => handle(req, res, body))
      .catch((error: unknown) => {
        if (!res.headersSent) send(res, badRequest(`Could not read the request: ${String(error)}`));
      });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function authorized(req: IncomingMessage): boolean {
    const apiKey = header(req, 'api-key');
    const bearer = /^Bearer (.+)$/i.exec(header(req, 'authorization') ?? '')?.[1];
    const presented = apiKey ?? bearer;
    if (presented !== undefined) authorizations.push(presented);
    if (options.apiKey === undefined && options.acceptBearerTokens === undefined) return true;
    if (options.apiKey !== undefined && presented === options.apiKey) return true;
    return bearer !== undefined && (options.acceptBearerTokens ?? []).includes(bearer);
  }

  function handle(req: IncomingMessage, res: ServerResponse, rawBody: string): void {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const azure = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(url.pathname);
    const openai = url.pathname === '/v1/chat/completions' || url.pathname === '/openai/v1/chat/completions';
    if (url.pathname === '/health') return sendJson(res, 200, { status: 'ok', simulated: true });
    if (req.method !== 'POST' || (!azure && !openai)) {
      return send(res, { status: 404, body: { error: { code: '404', message: 'Resource not found' } } });
    }
    const apiVersion = url.searchParams.get('api-version');
    if (azure && !apiVersion) {
      return send(res, badRequest('Missing required query parameter: api-version', 'api-version'));
    }
    if (!authorized(req)) return send(res, unauthorized());

    let body: ChatBody;
    try {
      body = parseChatBody(rawBody);
    } catch (error) {
      return send(res, badRequest(error instanceof Error ? error.message : 'Invalid request body'));
    }
    const deploymentName = azure ? decodeURIComponent(azure[1]!) : body.model;
    const deployment =
      deployments.get(deploymentName ?? '') ??
      [...deployments.values()].find((d) => d.model === deploymentName);
    if (!deployment) return send(res, deploymentNotFound());
    const stats = deployment.stats;
    stats.requests += 1;

    const promptTokens = countPromptTokens(
      body.messages.map((m) => ({ role: m.role, content: contentText(m.content), name: m.name })),
    );
    const maxTokens = body.max_tokens ?? defaultMaxTokens;
    if (promptTokens + maxTokens > deployment.contextWindow) {
      return send(
        res,
        contextLengthExceeded(deployment.contextWindow, promptTokens + maxTokens, promptTokens),
      );
    }

    const now = Date.now();
    const decision = deployment.limiter.tryAcquire(now, promptTokens + maxTokens);
    const rateHeaders = rateLimitHeaders(
      faults.rateLimitHeaders,
      decision.remainingTokens,
      decision.remainingRequests,
    );
    if (!decision.admitted) {
      stats.throttled += 1;
      const response = rateLimited(apiVersion ?? 'v1', decision.retryAfterMs, decision.limitedBy ?? 'tokens');
      // Azure sends whole seconds in retry-after and the precise figure in retry-after-ms.
      return send(res, response, {
        ...rateHeaders,
        'retry-after': String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))),
        'retry-after-ms': String(decision.retryAfterMs),
      });
    }
    stats.admitted += 1;
    stats.chargedTokens += promptTokens + maxTokens;

    const promptText = body.messages.map((m) => `${m.role}:${contentText(m.content)}`).join('\n');
    const fault = faults.pick(deployment.config.name, promptText);
    if (fault !== null) {
      stats.faults += 1;
      return applyFault(fault, req, res, rateHeaders, deployment, promptTokens, maxTokens);
    }

    const seed = `${deployment.model}\n${promptText}\n${body.seed ?? ''}`;
    const generated = generate(body, seed, maxTokens);
    const promptKey = createHash('sha256').update(promptText).digest('hex');
    const cachedTokens =
      promptTokens >= CACHE_MIN_TOKENS && promptCache.has(promptKey)
        ? Math.floor(promptTokens / CACHE_INCREMENT) * CACHE_INCREMENT
        : 0;
    promptCache.add(promptKey);
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: generated.tokens,
      total_tokens: promptTokens + generated.tokens,
      prompt_tokens_details: { cached_tokens: cachedTokens, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
    };
    const id = `chatcmpl-sim-${createHash('sha256').update(seed).digest('hex').slice(0, 24)}`;
    const finishReason = generated.truncated ? 'length' : 'stop';
    const record = (): void => {
      stats.succeeded += 1;
      stats.promptTokens += promptTokens;
      stats.completionTokens += generated.tokens;
      stats.cachedTokens += cachedTokens;
    };
    const totalMs = latency.timeToFirstTokenMs + latency.perTokenMs * generated.tokens;
    if (body.stream) {
      return stream(res, rateHeaders, {
        id,
        model: deployment.model,
        generated,
        finishReason,
        usage,
        body,
        record,
      });
    }
    later(totalMs, () => {
      if (res.destroyed) return;
      record();
      sendJson(
        res,
        200,
        {
          id,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: deployment.model,
          system_fingerprint: 'fp_simulated',
          prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }],
          choices: [
            {
              index: 0,
              finish_reason: finishReason,
              logprobs: null,
              message: { role: 'assistant', content: generated.text, refusal: null },
              content_filter_results: {},
            },
          ],
          usage,
        },
        rateHeaders,
      );
    });
  }

  function applyFault(
    fault: FaultKind,
    req: IncomingMessage,
    res: ServerResponse,
    rateHeaders: Record<string, string>,
    deployment: DeploymentState,
    promptTokens: number,
    maxTokens: number,
  ): void {
    switch (fault) {
      case 'http500':
        return send(res, serverError(500), rateHeaders);
      case 'http503':
        return send(res, serverError(503), rateHeaders);
      case 'content_filter':
        return send(res, contentFiltered(), rateHeaders);
      case 'context_length':
        return send(
          res,
          contextLengthExceeded(deployment.contextWindow, promptTokens + maxTokens, promptTokens),
        );
      case 'unauthorized':
        return send(res, unauthorized());
      case 'reset':
        req.socket.destroy();
        return;
      case 'hang':
        // Never answer; the socket is destroyed when the client gives up or the simulator closes.
        return;
    }
  }

  function generate(body: ChatBody, seed: string, maxTokens: number): GeneratedText {
    const format = body.response_format;
    if (format?.type === 'json_schema') return generateJson(seed, format.json_schema?.schema);
    if (format?.type === 'json_object') return generateJsonObject(seed);
    const span = completionRange.max - completionRange.min + 1;
    const target = completionRange.min + (createHash('sha256').update(seed).digest().readUInt32LE(4) % span);
    return generateText(seed, target, maxTokens);
  }

  interface StreamPlan {
    readonly id: string;
    readonly model: string;
    readonly generated: GeneratedText;
    readonly finishReason: string;
    readonly usage: Record<string, unknown>;
    readonly body: ChatBody;
    readonly record: () => void;
  }

  function stream(res: ServerResponse, rateHeaders: Record<string, string>, plan: StreamPlan): void {
    res.writeHead(200, {
      ...baseHeaders(),
      ...rateHeaders,
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
    });
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: Record<string, unknown>, finishReason: string | null): string =>
      `data: ${JSON.stringify({
        id: plan.id,
        object: 'chat.completion.chunk',
        created,
        model: plan.model,
        choices: [{ index: 0, delta, finish_reason: finishReason }],
      })}\n\n`;
    // Words go out in groups so a long answer does not need one timer per token.
    const pieces = plan.generated.text.split(/(?= )/);
    const groupSize = 8;
    let index = 0;
    const next = (): void => {
      if (res.destroyed) return;
      if (index === 0) res.write(chunk({ role: 'assistant', content: '' }, null));
      const group = pieces.slice(index, index + groupSize).join('');
      index += groupSize;
      if (group.length > 0) res.write(chunk({ content: group }, null));
      if (index < pieces.length) return later(latency.perTokenMs * groupSize, next);
      res.write(chunk({}, plan.finishReason));
      if (plan.body.stream_options?.include_usage) {
        res.write(
          `data: ${JSON.stringify({ id: plan.id, object: 'chat.completion.chunk', created, model: plan.model, choices: [], usage: plan.usage })}\n\n`,
        );
      }
      res.end('data: [DONE]\n\n');
      plan.record();
    };
    later(latency.timeToFirstTokenMs, next);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    async close() {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    stats() {
      const perDeployment: Record<string, DeploymentStats> = {};
      const totals = emptyStats();
      for (const [name, state] of deployments) {
        perDeployment[name] = { ...state.stats };
        for (const key of Object.keys(totals) as (keyof DeploymentStats)[]) totals[key] += state.stats[key];
      }
      return { startedAt, deployments: perDeployment, totals, authorizations: [...authorizations] };
    },
    occupancy() {
      const now = Date.now();
      let usedTokens = 0;
      let tokenBudget = 0;
      for (const state of deployments.values()) {
        usedTokens += state.limiter.used(now).tokens;
        tokenBudget += state.limiter.tokenBudget;
      }
      return { usedTokens, tokenBudget };
    },
    resetStats() {
      startedAt = Date.now();
      authorizations.length = 0;
      for (const state of deployments.values()) state.stats = emptyStats();
    },
    setFaults(settings) {
      faults.set(settings);
    },
  };
}

interface ChatBody {
  readonly model?: string;
  readonly messages: Array<{ role: string; content: unknown; name?: string }>;
  readonly max_tokens?: number;
  readonly seed?: number;
  readonly stream?: boolean;
  readonly stream_options?: { include_usage?: boolean };
  readonly response_format?: { type: string; json_schema?: { schema?: unknown } };
}

function parseChatBody(raw: string): ChatBody {
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed !== 'object' || parsed === null)
    throw new Error('The request body must be a JSON object');
  const body = parsed as Record<string, unknown>;
  if (!Array.isArray(body['messages']) || body['messages'].length === 0) {
    throw new Error("'messages' must be a non-empty array");
  }
  const maxTokens = body['max_tokens'] ?? body['max_completion_tokens'];
  if (
    maxTokens !== undefined &&
    (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1)
  ) {
    throw new Error("'max_tokens' must be a positive integer");
  }
  return { ...(body as unknown as ChatBody), ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}) };
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) =>
        typeof part === 'object' && part !== null && 'text' in part ? String(part.text) : '',
      )
      .join('');
  }
  return '';
}

function rateLimitHeaders(
  mode: NonNullable<FaultSettings['rateLimitHeaders']>,
  tokens: number,
  requests: number,
): Record<string, string> {
  switch (mode) {
    case 'missing':
      return {};
    case 'minus-one':
      return { 'x-ratelimit-remaining-tokens': '-1', 'x-ratelimit-remaining-requests': '-1' };
    case 'present':
      return {
        'x-ratelimit-remaining-tokens': String(tokens),
        'x-ratelimit-remaining-requests': String(requests),
      };
  }
}

function baseHeaders(): Record<string, string> {
  const requestId = randomUUID();
  return { 'x-request-id': requestId, 'apim-request-id': requestId, 'x-ms-simulated': 'true' };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function send(res: ServerResponse, response: ErrorResponse, extraHeaders: Record<string, string> = {}): void {
  sendJson(res, response.status, response.body, { ...extraHeaders, ...response.headers });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...baseHeaders(),
    ...extraHeaders,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
