/**
 * The Batches API's schemas and documentation (handlers in batches.ts, which validate with these), in the
 * route-docs form the OpenAPI document reads.
 */
import { z } from 'zod';
import { BatchIdSchema, BatchObjectSchema, CreateBatchSchema } from '../../shared/batches/batch.js';
import { OpenAiProblemSchema, type RouteDoc } from './route-docs.js';

export const BatchListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: BatchIdSchema.optional().meta({
    description: "The last id of the previous page (OpenAI's `after`)",
  }),
});

const BatchIdPath = z.object({ id: BatchIdSchema });

const BatchListSchema = z
  .object({
    object: z.literal('list'),
    data: z.array(BatchObjectSchema),
    first_id: z.string().nullable(),
    last_id: z.string().nullable(),
    has_more: z.boolean(),
  })
  .meta({ id: 'BatchList' });

const openAi = { problemSchema: OpenAiProblemSchema, access: 'tenant' } as const;

export const BATCHES_DOCS = {
  createBatch: {
    ...openAi,
    summary: 'Create a batch on an uploaded batch file (OpenAI-compatible)',
    description:
      'Starts `validating`; the lines become jobs, and the output and error files are written when the last line ends. Idempotent with an Idempotency-Key, and for the same request repeated within ten minutes.',
    body: { schema: CreateBatchSchema },
    responses: { 200: { description: 'The batch', schema: BatchObjectSchema } },
    problems: [400, 409],
  },
  listBatches: {
    ...openAi,
    summary: "The tenant's batches, newest first (OpenAI's `limit`, `after`)",
    query: BatchListQuerySchema,
    responses: { 200: { description: 'A page of batches', schema: BatchListSchema } },
    problems: [400, 404],
  },
  getBatch: {
    ...openAi,
    summary: "One of the tenant's batches",
    path: BatchIdPath,
    responses: { 200: { description: 'The batch', schema: BatchObjectSchema } },
    problems: [400, 404],
  },
  cancelBatch: {
    ...openAi,
    summary: 'Cancel a batch: `cancelling`, then `cancelled` once its queued lines are stopped',
    path: BatchIdPath,
    responses: { 200: { description: 'The batch', schema: BatchObjectSchema } },
    problems: [400, 404, 409],
  },
} as const satisfies Record<string, RouteDoc>;
