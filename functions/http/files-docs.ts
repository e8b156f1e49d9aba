/**
 * The Files API's schemas and documentation (handlers in files.ts, which validate with these). Kept apart
 * from files.ts so the document does not load the upload code (busboy, the Blob SDK).
 */
import { z } from 'zod';
import { FILE_PURPOSES, FileIdSchema, UPLOAD_PURPOSES, type FileObject } from '../../shared/files/file.js';
import { fits, OpenAiProblemSchema, type RouteDoc } from './route-docs.js';

export const FileListQuerySchema = z.strictObject({
  purpose: z.enum(FILE_PURPOSES).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
  order: z.enum(['asc', 'desc']).default('desc'),
  after: FileIdSchema.optional().meta({ description: "The last id of the previous page (OpenAI's `after`)" }),
});

const FileIdPath = z.object({ id: FileIdSchema });

export const FileObjectSchema = fits<FileObject>()(
  z
    .object({
      id: z.string(),
      object: z.literal('file'),
      bytes: z.number().int(),
      created_at: z.number().int(),
      filename: z.string(),
      purpose: z.enum(FILE_PURPOSES),
      status: z.literal('processed'),
      expires_at: z.number().int().nullable(),
    })
    .meta({ id: 'File' }),
);

const FileListSchema = z
  .object({
    object: z.literal('list'),
    data: z.array(FileObjectSchema),
    first_id: z.string().nullable(),
    last_id: z.string().nullable(),
    has_more: z.boolean(),
  })
  .meta({ id: 'FileList' });

const UploadSchema = z.object({
  purpose: z.enum(UPLOAD_PURPOSES),
  file: z.string().meta({ format: 'binary', description: 'JSONL, one request per line' }),
});

const openAi = { problemSchema: OpenAiProblemSchema, access: 'tenant' } as const;

export const FILES_DOCS = {
  createFile: {
    ...openAi,
    summary: 'Upload a JSONL file for batches (OpenAI-compatible)',
    description:
      'multipart/form-data with `purpose=batch` and `file`; up to 200 MB and 100,000 lines, checked line by line as it streams.',
    body: { schema: UploadSchema, contentType: 'multipart/form-data' },
    responses: { 200: { description: 'The stored file', schema: FileObjectSchema } },
    problems: [400],
  },
  listFiles: {
    ...openAi,
    summary: "The tenant's files, newest first (OpenAI's `purpose`, `limit`, `order`, `after`)",
    query: FileListQuerySchema,
    responses: { 200: { description: 'A page of files', schema: FileListSchema } },
    problems: [400],
  },
  getFile: {
    ...openAi,
    summary: "One of the tenant's files",
    path: FileIdPath,
    responses: { 200: { description: 'The file', schema: FileObjectSchema } },
    problems: [400, 404],
  },
  getFileContent: {
    ...openAi,
    summary: "The file's bytes, streamed",
    path: FileIdPath,
    responses: {
      200: {
        description: 'The bytes as uploaded',
        schema: z.string().meta({ format: 'binary' }),
        contentType: 'application/octet-stream',
      },
    },
    problems: [400, 404],
  },
  deleteFile: {
    ...openAi,
    summary: 'Delete a file',
    path: FileIdPath,
    responses: {
      200: {
        description: 'Deleted',
        schema: z.object({ id: z.string(), object: z.literal('file'), deleted: z.literal(true) }),
      },
    },
    problems: [400, 404],
  },
} as const satisfies Record<string, RouteDoc>;
