/**
 * A typed client for the prompt-pipeline API, on openapi-fetch with types generated from the API's
 * OpenAPI document (src/schema.d.ts, `npm run client:generate` in the repository). Methods return the
 * documented body of a success and throw PromptPipelineError (carrying the RFC 9457 problem) otherwise;
 * `http` is the underlying openapi-fetch client for every other operation, typed by path and method.
 */
import createFetchClient, { type Client } from 'openapi-fetch';
import { followJobEvents, type JobEvent, type JobEventsOptions } from './events.js';
import { adminOf, batchesOf, filesOf, type Outcome, type Plumbing } from './resources.js';
import type { components, operations, paths } from './schema.js';

export type { components, operations, paths };
export {
  verifyWebhook,
  WebhookVerificationError,
  type WebhookEvent,
  type WebhookHeaders,
} from './webhooks.js';
export type { JobEvent, JobEventsOptions, JobStatusEvent } from './events.js';
export type { UploadOptions, UploadSource } from './upload.js';
export {
  FINISHED_BATCH_STATUSES,
  type Batch,
  type DeadLetterQueue,
  type FileObject,
  type WaitForBatchOptions,
} from './resources.js';

type Schemas = components['schemas'];
export type Job = Schemas['Job'];
export type JobList = Schemas['JobList'];
export type SubmitChatJobRequest = Schemas['SubmitJob'];
export type SubmitEmbeddingsJobRequest = Schemas['SubmitEmbeddingsJob'];
/** A chat job (`messages`) or an embeddings job (`input`), as `POST /v1/jobs` takes either. */
export type SubmitJobRequest = SubmitChatJobRequest | SubmitEmbeddingsJobRequest;
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

/** The longest long poll the API holds (`GET /v1/jobs/{id}?wait=`). */
export const MAX_WAIT_SECONDS = 60;

export interface WaitOptions {
  /** Give up after this long (default 10 minutes): throws. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

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
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const http: Client<paths> = createFetchClient<paths>({
    baseUrl,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.headers ? { headers: { ...options.headers } } : {}),
  });
  const authorize = async (headers: Headers) => {
    if (options.apiKey) headers.set('api-key', options.apiKey);
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    if (token) headers.set('authorization', `Bearer ${token}`);
  };
  http.use({
    async onRequest({ request }) {
      await authorize(request.headers);
      return request;
    },
  });
  const id = (value: string) => ({ params: { path: { id: value } } });
  const plumbing: Plumbing = {
    http,
    unwrap,
    async send(path, init) {
      const request = new Request(`${baseUrl}${path}`, init);
      for (const [name, value] of Object.entries(options.headers ?? {})) request.headers.set(name, value);
      await authorize(request.headers);
      return (options.fetch ?? fetch)(request);
    },
    async check(response) {
      if (response.ok) return response;
      const problem = (await response.json().catch(() => undefined)) as Problem | undefined;
      throw new PromptPipelineError(
        response.status,
        problem,
        response.headers.get('x-trace-id') ?? undefined,
      );
    },
  };
  const getJob = (jobId: string, query: Query<'getJob'> = {}): Promise<Job> =>
    unwrap(http.GET('/v1/jobs/{id}', { params: { path: { id: jobId }, query } }));

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
    /** Reads the job; with `{ wait: seconds }` (at most 60) answers as soon as it ends, or then. */
    getJob,
    listJobs: (query: Query<'listJobs'> = {}): Promise<JobList> =>
      unwrap(http.GET('/v1/jobs', { params: { query } })),
    cancelJob: (jobId: string): Promise<Job> => unwrap(http.POST('/v1/jobs/{id}/cancel', id(jobId))),
    getUsage: (query: Query<'getUsage'> = {}): Promise<Usage> =>
      unwrap(http.GET('/v1/usage', { params: { query } })),
    getDailyUsage: (query: Query<'getDailyUsage'>): Promise<DailyUsageList> =>
      unwrap(http.GET('/v1/usage/daily', { params: { query } })),

    /**
     * Waits for the job to end by long polls (`?wait=`, 60 s each): one request a minute at most while
     * it runs, answered as soon as it ends. Throws after `timeoutMs` (default 10 minutes).
     */
    async waitForJob(jobId: string, wait: WaitOptions = {}): Promise<Job> {
      const timeoutMs = wait.timeoutMs ?? 600_000;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        wait.signal?.throwIfAborted();
        const left = Math.ceil((deadline - Date.now()) / 1000);
        const job = await getJob(jobId, { wait: Math.max(1, Math.min(MAX_WAIT_SECONDS, left)) });
        if (job.status !== 'queued') return job;
        if (Date.now() >= deadline) throw new Error(`Job ${jobId} is still queued after ${timeoutMs} ms`);
      }
    },

    /**
     * Follows the job's event stream (`GET /v1/jobs/{id}/events`): its status now, status changes, then
     * the result (`{ type: 'result', job }`), after which the iteration ends.
     */
    jobEvents(jobId: string, follow: JobEventsOptions = {}): AsyncGenerator<JobEvent, void, undefined> {
      return followJobEvents(async (signal) => {
        const response = await plumbing.check(
          await plumbing.send(`/v1/jobs/${encodeURIComponent(jobId)}/events`, {
            headers: { accept: 'text/event-stream' },
            signal,
          }),
        );
        return response.body as ReadableStream<Uint8Array>;
      }, follow);
    },

    /** The Files API: upload (streamed, with progress), get, list, delete, content. */
    files: filesOf(plumbing),
    /** The Batches API: create, get, list, cancel, and wait until finished. */
    batches: batchesOf(plumbing),
    /** Operators (platform admin role): dead letters (list, redrive, purge) and tenants. */
    admin: adminOf(plumbing),

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
