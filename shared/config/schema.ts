/**
 * Every environment variable the platform reads, named in one place. Azure uses identity-based settings
 * (`ServiceBusConnection__fullyQualifiedNamespace`, `COSMOS_ENDPOINT` + managed identity); connection
 * strings and keys exist only for the local emulators.
 */
import { z } from 'zod';

const positiveInt = z.coerce.number().int().positive();
const booleanFlag = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

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

  /** Model attempts per job before it fails; each retry is a scheduled message, never a sleep. */
  JOB_MAX_ATTEMPTS: positiveInt.default(8),
  /** A job still unfinished this long after acceptance fails with `deadline_exceeded`. */
  JOB_DEADLINE_SECONDS: positiveInt.default(24 * 60 * 60),
  /** Job documents expire this long after their terminal state (Cosmos TTL). */
  JOB_RETENTION_DAYS: positiveInt.default(30),

  /** Emit one structured JSON line per log event (Application Insights picks them up in Azure). */
  LOG_JSON: booleanFlag.default(true),
});

export type Environment = z.infer<typeof EnvironmentSchema>;
