/**
 * What the OpenAPI document says of one route, beside its handler (jobs-docs.ts for jobs.ts, ...): its
 * parameters, body and every response, each as the zod schema the handler validates with or answers in.
 * openapi-document.ts turns these into operations with zod-openapi; test/functions/http/openapi-*.test.ts
 * drives each route and checks every status it answered is documented here, with a body of that schema.
 *
 * Modules of route docs import zod and shared/ schemas only (no use case, no SDK), so the document and the
 * client generator load none of the handler code.
 */
import { z } from 'zod';

/** RFC 9457 problem details, as problem.ts shapes them. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    /** Machine-readable: `validation_failed`, `not_found`, `rate_limited`, ... */
    code: z.string(),
    instance: z.string().optional(),
    traceId: z.string().optional(),
    /** The offending fields: `model`, `messages/0/content`, `(path) id`, `(header) idempotency-key`, ... */
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details; never stack traces or internals.' });
export type Problem = z.infer<typeof ProblemSchema>;

/** The OpenAI-compatible routes' problems: the same, plus OpenAI's `error` member (openai-error.ts). */
export const OpenAiProblemSchema = ProblemSchema.extend({
  error: z.object({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
}).meta({ id: 'OpenAiProblem' });

export type Access = 'public' | 'tenant' | 'admin';

/** Statuses an error answer can have (problem.ts maps each error code to one of these). */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 503;

export interface SuccessDoc {
  readonly description: string;
  /** The body's schema; `contentType` defaults to application/json. */
  readonly schema: z.ZodType;
  readonly contentType?: string;
  /** Response headers besides x-trace-id (which every answer carries). */
  readonly headers?: Readonly<Record<string, { readonly description: string; readonly schema: z.ZodType }>>;
}

export interface RouteDoc {
  readonly summary: string;
  readonly description?: string;
  readonly access: Access;
  readonly path?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly headers?: z.ZodObject;
  readonly body?: { readonly schema: z.ZodType; readonly contentType?: string; readonly required?: boolean };
  /** Every success status the handler returns. */
  readonly responses: Readonly<Partial<Record<200 | 201 | 202 | 204 | 207, SuccessDoc>>>;
  /** Error statuses beyond those every route of its access can answer (COMMON_PROBLEMS). */
  readonly problems: readonly ProblemStatus[];
  /** Default: ProblemSchema. */
  readonly problemSchema?: z.ZodType;
}

/**
 * What any route can answer, whatever its handler: request headers over the limits (413, headers.ts), an
 * unexpected failure (500), a host draining or a dependency briefly away (503, Retry-After); and for
 * authenticated routes no or a bad credential (401) or a credential without the route's role (403).
 */
export const COMMON_PROBLEMS: Readonly<Record<Access, readonly ProblemStatus[]>> = {
  public: [413, 500, 503],
  tenant: [401, 403, 413, 500, 503],
  admin: [401, 403, 413, 500, 503],
};

export const PROBLEM_DESCRIPTIONS: Readonly<Record<ProblemStatus, string>> = {
  400: 'Invalid request; `errors` names each offending field',
  401: 'Missing or invalid API key or token (WWW-Authenticate says which scheme)',
  403: 'The credential does not allow this (role, tenant suspended, a job priority the tenant may not use)',
  404: 'Not found for this tenant',
  409: 'Conflict with the current state (see detail)',
  413: 'Request body or headers too large',
  422: 'The request cannot be processed',
  429: 'Tenant limit reached; see Retry-After',
  500: 'Something went wrong on our side; safe to retry with the same Idempotency-Key',
  503: 'Temporarily unavailable; see Retry-After',
};

/** Every status a route's documentation names: its successes, its own problems and the common ones. */
export function documentedStatuses(doc: RouteDoc): number[] {
  const statuses = [
    ...Object.keys(doc.responses).map(Number),
    ...doc.problems,
    ...COMMON_PROBLEMS[doc.access],
  ];
  return [...new Set(statuses)].sort((a, b) => a - b);
}

/** The schema a route's answer with this status has, or undefined when the status is not documented. */
export function responseSchemaOf(doc: RouteDoc, status: number): z.ZodType | undefined {
  const success = (doc.responses as Record<number, SuccessDoc | undefined>)[status];
  if (success) return success.schema;
  return documentedStatuses(doc).includes(status) ? (doc.problemSchema ?? ProblemSchema) : undefined;
}

export const LocationHeader = {
  location: { description: 'Where the created resource is read', schema: z.url() },
} as const;

/**
 * Compile-time check that a handler's answer (a TypeScript type from shared/) fits the documented schema:
 * `fits<EndpointView>()(EndpointViewSchema)` fails to compile if a field changes type or goes missing.
 */
export function fits<T>() {
  return <S extends z.ZodType>(schema: S & (T extends DeepReadonly<z.input<S>> ? unknown : never)): S =>
    schema;
}

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
