/**
 * Every environment variable the platform reads, named in one place. Azure uses identity-based settings
 * (`ServiceBusConnection__fullyQualifiedNamespace`, `COSMOS_ENDPOINT` + managed identity); connection
 * strings and keys exist only for the local emulators.
 */
import { z } from 'zod';
import {
  DEFAULT_MODEL_POOLS,
  DEFAULT_PRICE_TABLE,
  ModelPoolsSchema,
  PriceTableSchema,
  jsonVariable,
} from '../model/settings.js';

const positiveInt = z.coerce.number().int().positive();

export const EnvironmentSchema = z.object({
  /** `local` allows http webhook targets and emulator credentials; `azure` refuses both. */
  PIPELINE_ENVIRONMENT: z.enum(['local', 'azure']).default('azure'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),

  // Service Bus: a connection string for the local emulator, or a namespace + managed identity in Azure.
  ServiceBusConnection: z.string().min(1).optional(),
  ServiceBusConnection__fullyQualifiedNamespace: z.string().min(1).optional(),
  ServiceBusConnection__clientId: z.string().min(1).optional(),

  // Cosmos DB: endpoint always; a key only for the local emulator, else Entra ID (data-plane RBAC).
  COSMOS_ENDPOINT: z.url(),
  COSMOS_KEY: z.string().min(1).optional(),
  COSMOS_DATABASE: z.string().min(1).default('prompt-pipeline'),

  /** Client id of the user-assigned managed identity, used by DefaultAzureCredential in Azure. */
  AZURE_CLIENT_ID: z.string().min(1).optional(),

  /** Public base URL of the HTTP API, used in `Location` headers and result links. */
  PUBLIC_BASE_URL: z.url().default('http://localhost:7071'),

  /** Bodies above this go by claim check: Standard tier caps messages at 256 KB, headers included. */
  CLAIM_CHECK_THRESHOLD_BYTES: positiveInt.default(192 * 1024),
  /** Largest accepted HTTP request body; checked before parsing. */
  HTTP_MAX_BODY_BYTES: positiveInt.default(1024 * 1024),

  // Security and tenancy (docs/security.md). All optional: without ENTRA_TENANT_ID only API keys
  // authenticate. Entra: the directory whose tokens we accept, the audiences (App ID URI and/or client id,
  // comma-separated), issuers (default: v1 and v2 issuers of ENTRA_TENANT_ID), the JWKS URL, the app role
  // or delegated scope a caller needs, the admin app role, and ENTRA_TENANT_MAP, a JSON array of
  // {"tid","appId"?,"oid"?,"tenantId"} mapping a calling app or principal to a platform tenant.
  ENTRA_TENANT_ID: z.string().min(1).optional(),
  ENTRA_AUDIENCE: z.string().min(1).optional(),
  ENTRA_ALLOWED_ISSUERS: z.string().min(1).optional(),
  ENTRA_JWKS_URL: z.url().optional(),
  ENTRA_REQUIRED_ROLE: z.string().min(1).default('Jobs.Submit'),
  ENTRA_REQUIRED_SCOPE: z.string().min(1).default('jobs.submit'),
  ENTRA_ADMIN_ROLE: z.string().min(1).default('Platform.Admin'),
  ENTRA_TENANT_MAP: z.string().default('[]'),
  /** Tolerated clock difference for exp/nbf; Entra and its SDKs use up to 5 minutes, we use less. */
  ENTRA_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(60),
  /** Minimum time between JWKS refetches triggered by an unknown `kid` (an attacker can send any kid). */
  ENTRA_JWKS_REFETCH_COOLDOWN_SECONDS: z.coerce.number().int().min(0).default(300),
  /** Optional HMAC pepper for API key hashes (at least 32 characters); without it keys are SHA-256d. */
  API_KEY_PEPPER: z.string().min(32).optional(),
  /** Header limits checked before any parsing. */
  HTTP_MAX_HEADER_COUNT: positiveInt.default(100),
  HTTP_MAX_HEADER_BYTES: positiveInt.default(32 * 1024),

  /** Model attempts per job before it fails; each retry is a scheduled message, never a sleep. */
  JOB_MAX_ATTEMPTS: positiveInt.default(8),
  /** A job still unfinished this long after acceptance fails with `deadline_exceeded`. */
  JOB_DEADLINE_SECONDS: positiveInt.default(24 * 60 * 60),
  /** `expires_after` for jobs that set none (seconds); unset means such jobs never expire. */
  JOB_EXPIRES_AFTER_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 60 * 60)
    .optional(),
  /** Job documents expire this long after their terminal state (Cosmos TTL). */
  JOB_RETENTION_DAYS: positiveInt.default(30),
  /**
   * Clients waiting on jobs (long poll, event stream): how often one shared query per host looks for
   * waited-on jobs that ended on another instance (shared/watch/job-watcher.ts; docs/api.md).
   */
  JOB_WATCH_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  /** Event stream: a comment line this often keeps proxies from closing an idle connection. */
  JOB_EVENTS_HEARTBEAT_SECONDS: z.coerce.number().int().min(1).max(300).default(15),
  /** Event stream: ends after this long without a result (clients reconnect), under functionTimeout. */
  JOB_EVENTS_MAX_SECONDS: z.coerce.number().int().min(1).max(540).default(300),

  // ── Model layer (shared/model; documented in docs/model-layer.md) ─────────────────────────────────
  /** JSON: model alias → deployments `[{ name, kind, endpoint, deployment, auth, tpm, rpm?, priority, weight }]`. */
  MODEL_POOLS: jsonVariable(ModelPoolsSchema).default(DEFAULT_MODEL_POOLS),
  /** API-key mode only (local simulator, OpenAI-compatible servers); Azure uses Entra ID tokens. */
  MODEL_API_KEY: z.string().min(1).optional(),
  MODEL_API_VERSION: z.string().min(1).default('2024-10-21'),
  /** Per-call timeout; well below the 5 minute message lock so a hung call never outlives its lock. */
  MODEL_TIMEOUT_MS: positiveInt.default(120_000),
  /** `max_tokens` sent when a job sets none, so the quota cost is known before the call. */
  MODEL_DEFAULT_MAX_TOKENS: positiveInt.default(1024),
  /**
   * With MODEL_QUOTA_COORDINATION `cosmos`: the most one instance may lease of a deployment's quota.
   * With `off`: this instance's fixed share of each deployment's quota; see the docs.
   */
  MODEL_INSTANCE_SHARE: z.coerce.number().gt(0).max(1).default(1),
  /**
   * `cosmos`: the fleet shares each deployment's quota through leases in Cosmos DB (default in Azure);
   * `off`: each instance paces alone to MODEL_INSTANCE_SHARE (default locally, one instance).
   */
  MODEL_QUOTA_COORDINATION: z.enum(['cosmos', 'off']).optional(),
  /** How often an instance renews its quota lease; default a twelfth of the token window (5 s). */
  MODEL_QUOTA_RENEW_MS: positiveInt.optional(),
  /** The share an instance paces to while the lease store cannot be reached and it holds no lease. */
  MODEL_QUOTA_FALLBACK_SHARE: z.coerce.number().gt(0).max(1).default(0.1),
  /**
   * A deployment is suspect when, within MODEL_BREAKER_WINDOW_MS, at least MODEL_BREAKER_FAILURES calls
   * failed and they are at least MODEL_BREAKER_FAILURE_RATE of its calls; a canary request then decides,
   * and if it fails the circuit stays open MODEL_BREAKER_OPEN_MS before the next (docs/model-layer.md).
   */
  MODEL_BREAKER_FAILURES: positiveInt.default(10),
  MODEL_BREAKER_FAILURE_RATE: z.coerce.number().gt(0).max(1).default(0.5),
  MODEL_BREAKER_WINDOW_MS: positiveInt.default(30_000),
  MODEL_BREAKER_OPEN_MS: positiveInt.default(10_000),
  /** JSON: model → `{ inputPer1M, cachedInputPer1M?, outputPer1M }` in USD. */
  MODEL_PRICES: jsonVariable(PriceTableSchema).default(DEFAULT_PRICE_TABLE),
  // Heavy work on tenant input off the event loop (shared/work; docs/security.md "Bounded work").
  /** Worker threads for heavy work; default: one less than the cores, at least one. */
  HEAVY_WORK_THREADS: positiveInt.optional(),
  /** Heavy tasks one tenant may have at once; beyond it the cheap bound is used instead. */
  HEAVY_WORK_PER_TENANT: positiveInt.default(2),
  /** A heavy task still running after this is cancelled (its thread replaced) and the bound used. */
  HEAVY_WORK_TIMEOUT_MS: positiveInt.default(2_000),
  /** Prompts up to this many characters are counted on the event loop (worst case a few ms). */
  TOKEN_COUNT_INLINE_CHARS: positiveInt.default(4096),
  // ── end model layer ──────────────────────────────────────────────────────────────────────────────

  // ── Files (shared/files; documented in docs/batches.md) ─────────────────────────────────────────
  /** Blob Storage for files, reached with the managed identity: `https://<account>.blob.core.windows.net`. */
  STORAGE_BLOB_ENDPOINT: z.url().optional(),
  /** Local emulator (Azurite) only: a connection string with its well-known dev key. Refused in Azure. */
  STORAGE_CONNECTION_STRING: z.string().min(1).optional(),
  /** Largest file accepted by POST /v1/files (OpenAI's Batch API: 200 MB). */
  FILES_MAX_BYTES: positiveInt.default(200 * 1024 * 1024),
  /** Most lines a `batch` file may have (OpenAI's and Azure OpenAI Global Batch's limit: 100,000). */
  FILES_MAX_LINES: positiveInt.default(100_000),
  /** Longest single line: a line is parsed whole, so this bounds the memory one upload can take. */
  FILES_MAX_LINE_BYTES: positiveInt.default(8 * 1024 * 1024),
  /**
   * The share of a tenant's maxJobsInFlight its batch lines may fill: the fan-out makes no more lines jobs
   * while the tenant's jobs in flight are at it, leaving the rest to its submissions (shared/batches/admission.ts).
   */
  BATCH_IN_FLIGHT_SHARE: z.coerce.number().gt(0).max(1).default(0.5),
  /**
   * Shortest batch `completion_window` accepted, in seconds. OpenAI's is `24h` only (86,400, the default);
   * tests lower it to see a window close (shared/batches, docs/batches.md).
   */
  BATCH_MIN_WINDOW_SECONDS: positiveInt.max(86_400).default(86_400),
  /** Batch lines per bulk Cosmos DB create and batched Service Bus send (and per fan-out checkpoint). */
  BATCH_CHUNK_LINES: positiveInt.max(5_000).default(500),
  /**
   * Routing by deadline (shared/capacity; docs/batches.md): within this of its deadline a job calls
   * real-time deployments whatever their load; a Global Batch deployment takes only work whose deadline
   * is its turnaround plus this away.
   */
  CAPACITY_NEAR_DEADLINE_SECONDS: positiveInt.default(900),
  /** Background work (a window too short for batch) waits this long while real-time deployments are busy. */
  CAPACITY_BACKGROUND_RETRY_SECONDS: positiveInt.default(60),
  /** Real-time deployments count as idle below this fraction of their token window. */
  CAPACITY_IDLE_FRACTION: z.coerce.number().min(0).max(1).default(0.5),
  /** Lines per Global Batch file at most (Azure's limit: 100,000); bounds the sweep's memory too. */
  CAPACITY_MAX_LINES_PER_FILE: positiveInt.max(100_000).default(10_000),
  // ── end files ────────────────────────────────────────────────────────────────────────────────────

  // ── Webhooks (shared/webhooks/settings.ts; documented in docs/webhooks.md) ──────────────────────
  /** Standard Webhooks recommends a 15-30 s timeout. */
  WEBHOOK_TIMEOUT_MS: positiveInt.default(15_000),
  /** Only this much of a consumer's response is read (and kept on the attempt record). */
  WEBHOOK_MAX_RESPONSE_BYTES: positiveInt.default(4096),
  /** Events larger than this carry `resultUrl` instead of the result (spec advice: under ~20 KB). */
  WEBHOOK_MAX_PAYLOAD_BYTES: positiveInt.default(20 * 1024),
  /** After a rotation the old secret keeps signing this long, so consumers can switch without a gap. */
  WEBHOOK_SECRET_OVERLAP_SECONDS: positiveInt.default(24 * 60 * 60),
  /** An endpoint whose every attempt failed for this long is disabled. */
  WEBHOOK_DISABLE_AFTER_HOURS: positiveInt.default(5 * 24),
  /** SSRF allow-list: comma-separated host names, IPs or CIDRs that may be private (local: 127.0.0.1). */
  WEBHOOK_ALLOWED_HOSTS: z.string().default(''),
  /**
   * Versionless id of the Key Vault key that wraps endpoint secrets' data keys
   * (`https://<vault>.vault.azure.net/keys/<name>`; shape checked in shared/webhooks/settings.ts).
   * Azure needs this or the legacy WEBHOOK_KEK_BASE64.
   */
  WEBHOOK_KEK_KEY_ID: z.string().min(1).optional(),
  /** Legacy: base64 of a 32-byte local KEK (Key Vault reference); unwraps records wrapped before the key. */
  WEBHOOK_KEK_BASE64: z.string().min(1).optional(),
  // ── end webhooks ─────────────────────────────────────────────────────────────────────────────────
});

export type Environment = z.infer<typeof EnvironmentSchema>;
