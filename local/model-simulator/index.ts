/**
 * An Azure OpenAI simulator: the chat completions protocol on the Azure path
 * (`/openai/deployments/{deployment}/chat/completions?api-version=...`) and the OpenAI `/v1` path, with
 * per-deployment TPM/RPM enforced the way the service does it, Azure's 429 bodies and headers, latency
 * as time-to-first-token + per-token time, optional SSE streaming and injectable faults. Tests,
 * benchmarks and `npm start` run the production client against it unchanged.
 *
 * This module wires one request through the steps, in the order the service applies them: route,
 * api-version, credential, body, deployment, context window and quota, fault, answer. Each step lives
 * in its own module beside this one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { countPromptTokens } from '../../shared/model/tokens.js';
import { CredentialCheck } from './auth.js';
import { badRequest, deploymentNotFound, unauthorized } from './azure-errors.js';
import { BatchLineAnswers } from './batch-answers.js';
import { SimulatedFiles } from './batch-files.js';
import { DEFAULT_GLOBAL_BATCH_TIMING, SimulatedBatches } from './batch-jobs.js';
import { handleBatchApi, isBatchApiPath } from './batch-routes.js';
import {
  countableOf,
  parameterProblem,
  parseChatBody,
  promptTextOf,
  routeOf,
  type ChatBody,
} from './chat-request.js';
import { CompletionGenerator, toChatCompletionBody } from './completion.js';
import { Deployments } from './deployments.js';
import {
  embeddingsProblem,
  isErrorResponse,
  parseEmbeddingsBody,
  promptTokensOf,
  toEmbeddingsResponse,
} from './embeddings.js';
import { respondWithFault } from './fault-responses.js';
import { FaultInjector } from './faults.js';
import { listen, PendingTimers, send, sendJson } from './http.js';
import { admit, type QuotaRequest } from './quota.js';
import { streamCompletion } from './streaming.js';
import { DEFAULT_SIMULATED_DEPLOYMENTS, type ModelSimulator, type ModelSimulatorOptions } from './types.js';

export type { FaultKind, FaultRule, FaultSettings } from './faults.js';
export { SIMULATED_PREFIX } from './content.js';
export { DEFAULT_SIMULATED_DEPLOYMENTS } from './types.js';
export type {
  DeploymentStats,
  GlobalBatchStats,
  GlobalBatchTiming,
  ModelSimulator,
  ModelSimulatorOptions,
  SimulatedDeployment,
  SimulatorStats,
} from './types.js';

export async function startModelSimulator(options: ModelSimulatorOptions = {}): Promise<ModelSimulator> {
  const deployments = new Deployments(options.deployments ?? DEFAULT_SIMULATED_DEPLOYMENTS, {
    tokenWindowMs: options.tokenWindowMs ?? options.windowMs ?? 60_000,
    requestWindowMs: options.requestWindowMs ?? options.windowMs ?? 10_000,
  });
  const latency = options.latency ?? { timeToFirstTokenMs: 20, perTokenMs: 0.5 };
  const completions = new CompletionGenerator(options.completionTokens ?? { min: 20, max: 60 });
  const defaultMaxTokens = options.defaultMaxTokens ?? 1024;
  const faults = new FaultInjector();
  if (options.faults) faults.set(options.faults);
  const credentials = new CredentialCheck(options);
  const timers = new PendingTimers();
  let startedAt = Date.now();
  const traceparents: string[] = [];
  const files = new SimulatedFiles();
  const batches = new SimulatedBatches(
    files,
    new BatchLineAnswers(completions, faults, defaultMaxTokens),
    timers,
    (name) => {
      const found = (options.deployments ?? []).find((d) => d.name === name && d.sku === 'GlobalBatch');
      return found && { name, model: found.model ?? name, enqueuedTokens: found.enqueuedTokens ?? 5_000_000 };
    },
  );
  batches.timing = { ...DEFAULT_GLOBAL_BATCH_TIMING, ...options.globalBatch };

  function handle(req: IncomingMessage, res: ServerResponse, rawBody: string): void {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const route = routeOf(url.pathname);
    if (route.kind === 'health') return sendJson(res, 200, { status: 'ok', simulated: true });
    if (isBatchApiPath(url.pathname)) {
      if (!credentials.authorized(req)) return send(res, unauthorized());
      void handleBatchApi(req, res, rawBody, url, files, batches);
      return;
    }
    if (req.method !== 'POST' || route.kind === 'unknown') {
      return send(res, { status: 404, body: { error: { code: '404', message: 'Resource not found' } } });
    }
    const apiVersion = url.searchParams.get('api-version');
    if (route.kind === 'azure' && !apiVersion) {
      return send(res, badRequest('Missing required query parameter: api-version', 'api-version'));
    }
    if (!credentials.authorized(req)) return send(res, unauthorized());
    const traceparent = req.headers.traceparent;
    if (typeof traceparent === 'string') {
      traceparents.push(traceparent);
      if (traceparents.length > 1000) traceparents.shift();
    }

    if (route.operation === 'embeddings') {
      const routed = route.kind === 'azure' ? decodeURIComponent(route.encodedDeployment) : undefined;
      return answerEmbeddings(res, rawBody, routed, apiVersion ?? 'v1');
    }
    let body: ChatBody;
    try {
      body = parseChatBody(rawBody);
    } catch (error) {
      return send(res, badRequest(error instanceof Error ? error.message : 'Invalid request body'));
    }
    const deployment = deployments.find(
      route.kind === 'azure' ? decodeURIComponent(route.encodedDeployment) : body.model,
    );
    if (!deployment) return send(res, deploymentNotFound());
    const refused = parameterProblem(body, deployment.reasoning);
    if (refused) return send(res, refused);
    // The counters of this request's arrival: a resetStats() while it is in flight starts new ones.
    const stats = deployment.stats;
    stats.requests += 1;

    const request: QuotaRequest = {
      promptTokens: countPromptTokens(countableOf(body)),
      maxTokens: body.max_tokens ?? defaultMaxTokens,
      apiVersion: apiVersion ?? 'v1',
    };
    const decision = admit(deployment, request, faults.rateLimitHeaders, Date.now());
    if (!decision.admitted) return send(res, decision.response, decision.headers);

    const promptText = promptTextOf(body);
    const fault = faults.pick(deployment.config.name, promptText);
    if (fault !== null) {
      stats.faults += 1;
      return respondWithFault(fault, req, res, decision.rateHeaders, deployment, request);
    }

    const completion = completions.complete({
      body,
      model: deployment.model,
      promptText,
      reasoning: deployment.reasoning,
      ...request,
    });
    const completionTokens = completion.usage.completion_tokens;
    const record = (): void => {
      stats.succeeded += 1;
      stats.promptTokens += request.promptTokens;
      stats.completionTokens += completionTokens;
      stats.cachedTokens += completion.usage.prompt_tokens_details.cached_tokens;
    };
    if (body.stream) {
      return streamCompletion(res, decision.rateHeaders, completion, {
        latency,
        timers,
        includeUsage: body.stream_options?.include_usage ?? false,
        onDone: record,
      });
    }
    timers.later(latency.timeToFirstTokenMs + latency.perTokenMs * completionTokens, () => {
      if (res.destroyed) return;
      record();
      sendJson(res, 200, toChatCompletionBody(completion), decision.rateHeaders);
    });
  }

  /** An embeddings request: parsed, routed, charged its prompt tokens (no completion), answered. */
  function answerEmbeddings(
    res: ServerResponse,
    rawBody: string,
    routed: string | undefined,
    apiVersion: string,
  ) {
    const body = parseEmbeddingsBody(rawBody);
    if (isErrorResponse(body)) return send(res, body);
    const deployment = deployments.find(routed ?? body.model);
    if (!deployment) return send(res, deploymentNotFound());
    deployment.stats.requests += 1;
    const refused = embeddingsProblem(body, deployment.model);
    if (refused) return send(res, refused);
    const request: QuotaRequest = { promptTokens: promptTokensOf(body), maxTokens: 0, apiVersion };
    const decision = admit(deployment, request, faults.rateLimitHeaders, Date.now());
    if (!decision.admitted) return send(res, decision.response, decision.headers);
    const stats = deployment.stats;
    timers.later(latency.timeToFirstTokenMs, () => {
      if (res.destroyed) return;
      stats.succeeded += 1;
      stats.promptTokens += request.promptTokens;
      sendJson(res, 200, toEmbeddingsResponse(body, deployment.model), decision.rateHeaders);
    });
  }

  const server = await listen(options.port ?? 0, options.host ?? '127.0.0.1', handle, (res, error) => {
    if (!res.headersSent) send(res, badRequest(`Could not read the request: ${String(error)}`));
  });

  return {
    url: server.url,
    async close() {
      timers.cancelAll();
      await server.close();
    },
    stats() {
      return {
        startedAt,
        ...deployments.stats(),
        authorizations: [...credentials.seen],
        traceparents: [...traceparents],
      };
    },
    occupancy() {
      return deployments.occupancy(Date.now());
    },
    resetStats() {
      startedAt = Date.now();
      credentials.seen.length = 0;
      traceparents.length = 0;
      deployments.resetStats();
    },
    setFaults(settings) {
      faults.set(settings);
    },
    batchStats() {
      return { ...batches.stats };
    },
    setBatchTiming(timing) {
      batches.timing = { ...batches.timing, ...timing };
    },
  };
}
