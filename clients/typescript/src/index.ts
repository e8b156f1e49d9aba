/**
 * A typed client for the prompt-pipeline API, on openapi-fetch with types generated from the API's
 * OpenAPI document (src/schema.d.ts, `npm run client:generate` in the repository). Methods return the
 * documented body of a success and throw PromptPipelineError (carrying the RFC 9457 problem) otherwise;
 * `http` is the underlying openapi-fetch client for every other operation, typed by path and method.
 */
import createFetchClient, { type Client } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';

export type { components, operations, paths };
export {
  verifyWebhook,
  WebhookVerificationError,
  type WebhookEvent,
  type WebhookHeaders,
} from './webhooks.js';

type Schemas = components['schemas'];
export type Job = Schemas['Job'];
export type JobList = Schemas['JobList'];
export type SubmitJobRequest = Schemas['SubmitJob'];
export type BatchSubmitRequest = Schemas['BatchSubmit'];
export type BatchResult = Schemas['BatchResult'];
export type Usage = Schemas['Usage'];
export type DailyUsageList = Schemas['DailyUsageList'];
export type Problem = Schemas['Problem'];
export type WebhookEndpoint = Schemas['WebhookEndpoint'];
export type WebhookEndpointWithSecret = Schemas['WebhookEndpointWithSecret'];
export type WebhookAttempt = Schemas['WebhookAttempt'];
export type WebhookReplay = Schemas['WebhookReplay'];
export type JobStatus = Job['status'];

type Query<O extends keyof operations> = NonNullable<operations[O]['parameters']['query']>;

/** A refused or failed call: the HTTP status and the problem the API answered with. */
export class PromptPipelineError extends Error {
  readonly status: number;
  readonly problem: Problem | undefined;
  readonly traceId: string | undefined;
  constructor(status: number, problem: Problem | undefined, traceId: string | undefined) {
    super(problem ? `${status} ${problem.title}: ${problem.detail}` : `HTTP ${status}`);
    this.name = 'PromptPipelineError';
    this.status = status;
    this.problem = problem;
    this.traceId = traceId;
  }
}

export interface ClientOptions {
  /** The API's base, with the `/api` prefix: `https://<app>.azurewebsites.net/api`. */
  readonly baseUrl: string;
  /** A platform API key (sent as `api-key`). */
  readonly apiKey?: string;
  /** A Microsoft Entra ID access token, or a function returning a fresh one per request. */
  readonly token?: string | (() => string | Promise<string>);
  readonly fetch?: (request: Request) => Promise<Response>;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface SubmitOptions {
  /** Names the job: repeating a submission with the same key returns the same job (200, `created` false). */
  readonly idempotencyKey?: string;
  readonly traceparent?: string;
}

export interface Submitted {
  readonly job: Job;
  /** True for a new job (202), false for a repeat of an Idempotency-Key (200). */
  readonly created: boolean;
  readonly location: string | undefined;
}

interface Outcome<T> {
  readonly data?: T;
  readonly error?: unknown;
  readonly response: Response;
}

async function unwrap<T>(call: Promise<Outcome<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || data === undefined) {
    throw new PromptPipelineError(
      response.status,
      error as Problem | undefined,
      response.headers.get('x-trace-id') ?? undefined,
    );
  }
  return data;
}

export type PromptPipelineClient = ReturnType<typeof createClient>;

export function createClient(options: ClientOptions) {
  const http: Client<paths> = createFetchClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.headers ? { headers: { ...options.headers } } : {}),
  });
  http.use({
    async onRequest({ request }) {
      if (options.apiKey) request.headers.set('api-key', options.apiKey);
      const token = typeof options.token === 'function' ? await options.token() : options.token;
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
  });
  const id = (value: string) => ({ params: { path: { id: value } } });

  return {
    http,

    async submitJob(body: SubmitJobRequest, submit: SubmitOptions = {}): Promise<Submitted> {
      const { data, error, response } = await http.POST('/v1/jobs', {
        body,
        params: {
          header: {
            ...(submit.idempotencyKey ? { 'idempotency-key': submit.idempotencyKey } : {}),
            ...(submit.traceparent ? { traceparent: submit.traceparent } : {}),
          },
        },
      });
      const job = await unwrap(Promise.resolve({ data, error, response }));
      return {
        job,
        created: response.status === 202,
        location: response.headers.get('location') ?? undefined,
      };
    },
    submitBatch: (body: BatchSubmitRequest): Promise<BatchResult> =>
      unwrap(http.POST('/v1/jobs/batch', { body })),
    getJob: (jobId: string): Promise<Job> => unwrap(http.GET('/v1/jobs/{id}', id(jobId))),
    listJobs: (query: Query<'listJobs'> = {}): Promise<JobList> =>
      unwrap(http.GET('/v1/jobs', { params: { query } })),
    cancelJob: (jobId: string): Promise<Job> => unwrap(http.POST('/v1/jobs/{id}/cancel', id(jobId))),
    getUsage: (query: Query<'getUsage'> = {}): Promise<Usage> =>
      unwrap(http.GET('/v1/usage', { params: { query } })),
    getDailyUsage: (query: Query<'getDailyUsage'>): Promise<DailyUsageList> =>
      unwrap(http.GET('/v1/usage/daily', { params: { query } })),

    /** Polls GET /v1/jobs/{id} until the job has left `queued` (or `timeoutMs` passes: throws). */
    async waitForJob(jobId: string, wait: { intervalMs?: number; timeoutMs?: number } = {}): Promise<Job> {
      const deadline = Date.now() + (wait.timeoutMs ?? 60_000);
      for (;;) {
        const job = await unwrap(http.GET('/v1/jobs/{id}', id(jobId)));
        if (job.status !== 'queued') return job;
        if (Date.now() > deadline)
          throw new Error(`Job ${jobId} is still queued after ${wait.timeoutMs ?? 60_000} ms`);
        await new Promise((resolve) => setTimeout(resolve, wait.intervalMs ?? 500));
      }
    },

    webhooks: {
      register: (body: Schemas['RegisterWebhookEndpoint']): Promise<WebhookEndpointWithSecret> =>
        unwrap(http.POST('/v1/webhooks/endpoints', { body })),
      list: async (): Promise<WebhookEndpoint[]> =>
        (await unwrap(http.GET('/v1/webhooks/endpoints'))).endpoints,
      get: (endpointId: string): Promise<WebhookEndpoint> =>
        unwrap(http.GET('/v1/webhooks/endpoints/{id}', id(endpointId))),
      rotateSecret: (
        endpointId: string,
        body: Schemas['RotateWebhookSecret'] = {},
      ): Promise<WebhookEndpointWithSecret> =>
        unwrap(http.POST('/v1/webhooks/endpoints/{id}/rotate-secret', { ...id(endpointId), body })),
      enable: (endpointId: string): Promise<WebhookEndpoint> =>
        unwrap(http.POST('/v1/webhooks/endpoints/{id}/enable', id(endpointId))),
      attempts: async (
        endpointId: string,
        query: Query<'listWebhookAttempts'> = {},
      ): Promise<WebhookAttempt[]> =>
        (
          await unwrap(
            http.GET('/v1/webhooks/endpoints/{id}/attempts', { params: { path: { id: endpointId }, query } }),
          )
        ).attempts,
      replayFailed: (endpointId: string, since: string): Promise<WebhookReplay> =>
        unwrap(http.POST('/v1/webhooks/endpoints/{id}/replay', { ...id(endpointId), body: { since } })),
      replayJob: (jobId: string, endpointId?: string): Promise<WebhookReplay> =>
        unwrap(
          http.POST('/v1/webhooks/jobs/{jobId}/replay', {
            params: { path: { jobId } },
            body: endpointId ? { endpointId } : {},
          }),
        ),
    },
  };
}
