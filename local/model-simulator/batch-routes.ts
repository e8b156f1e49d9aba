/**
 * The HTTP routes of the Files and Batches APIs on the Azure path (`/openai/files`, `/openai/batches`,
 * `?api-version=` required) and the `/v1` path, as the `openai` SDK's `AzureOpenAI` and `OpenAI` clients
 * call them. Requests come here after the simulator's credential check.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest } from './azure-errors.js';
import { toFileObject, type SimulatedFiles } from './batch-files.js';
import { toBatchObject, type SimulatedBatches } from './batch-jobs.js';
import { header, send, sendJson } from './http.js';

const ROUTE = /^\/(?:openai(?:\/v1)?|v1)\/(files|batches)(?:\/([^/]+))?(?:\/(content|cancel))?$/;

/** True when the path is one of these routes (the caller then hands the request to `handleBatchApi`). */
export function isBatchApiPath(pathname: string): boolean {
  return ROUTE.test(pathname);
}

export async function handleBatchApi(
  req: IncomingMessage,
  res: ServerResponse,
  rawBody: string,
  url: URL,
  files: SimulatedFiles,
  batches: SimulatedBatches,
): Promise<void> {
  const [, collection, id, action] = ROUTE.exec(url.pathname)!;
  if (url.pathname.startsWith('/openai/') && !url.pathname.startsWith('/openai/v1/')) {
    if (!url.searchParams.get('api-version')) {
      return send(res, badRequest('Missing required query parameter: api-version', 'api-version'));
    }
  }
  const method = req.method ?? 'GET';
  try {
    if (collection === 'files') {
      return await filesRoute(req, res, rawBody, method, id, action, files, url.searchParams);
    }
    return batchesRoute(res, rawBody, method, id, action, batches, url.searchParams);
  } catch (error) {
    return send(res, badRequest(error instanceof Error ? error.message : 'Invalid request'));
  }
}

async function filesRoute(
  req: IncomingMessage,
  res: ServerResponse,
  rawBody: string,
  method: string,
  id: string | undefined,
  action: string | undefined,
  files: SimulatedFiles,
  query: URLSearchParams,
): Promise<void> {
  if (id === undefined && method === 'POST') {
    return sendJson(res, 200, toFileObject(await files.upload(header(req, 'content-type') ?? '', rawBody)));
  }
  if (id === undefined && method === 'GET') {
    // Newest first unless `order=asc`, as the Files API lists (one page: the simulator holds few files).
    const purpose = query.get('purpose');
    const listed = files.list().filter((file) => purpose === null || file.purpose === purpose);
    if (query.get('order') !== 'asc') listed.reverse();
    return sendJson(res, 200, { object: 'list', data: listed.map(toFileObject) });
  }
  const file = id === undefined ? undefined : files.get(id);
  if (!file) return notFound(res, `File with id ${id ?? ''} not found.`);
  if (action === 'content' && method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(file.content);
    return;
  }
  if (action === undefined && method === 'GET') return sendJson(res, 200, toFileObject(file));
  if (action === undefined && method === 'DELETE') {
    files.delete(file.id);
    return sendJson(res, 200, { id: file.id, object: 'file', deleted: true });
  }
  return notFound(res, 'Resource not found');
}

function batchesRoute(
  res: ServerResponse,
  rawBody: string,
  method: string,
  id: string | undefined,
  action: string | undefined,
  batches: SimulatedBatches,
  query: URLSearchParams,
): void {
  if (id === undefined && method === 'POST') {
    return sendJson(res, 200, toBatchObject(batches.create(JSON.parse(rawBody) as Record<string, unknown>)));
  }
  if (id === undefined && method === 'GET') return sendJson(res, 200, batchPage(batches, query));
  const job = id === undefined ? undefined : batches.get(id);
  if (!job) return notFound(res, `Batch with id ${id ?? ''} not found.`);
  if (action === 'cancel' && method === 'POST') {
    batches.cancel(job);
    return sendJson(res, 200, toBatchObject(job));
  }
  if (action === undefined && method === 'GET') return sendJson(res, 200, toBatchObject(job));
  return notFound(res, 'Resource not found');
}

/**
 * `GET /openai/batches`: newest first, `limit` (1-100, default 20) after the batch id `after`, with
 * `first_id`, `last_id` and `has_more`, as the service pages them (the SDK's list follows `after`).
 */
function batchPage(batches: SimulatedBatches, query: URLSearchParams): Record<string, unknown> {
  const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 20) || 20));
  const all = batches.list();
  const after = query.get('after');
  const start = after === null ? 0 : all.findIndex((job) => job.id === after) + 1;
  const page = start === 0 && after !== null ? [] : all.slice(start, start + limit);
  return {
    object: 'list',
    data: page.map(toBatchObject),
    first_id: page[0]?.id ?? null,
    last_id: page.at(-1)?.id ?? null,
    has_more: start + page.length < all.length && page.length > 0,
  };
}

function notFound(res: ServerResponse, message: string): void {
  send(res, { status: 404, body: { error: { code: 'NotFound', message } } });
}
