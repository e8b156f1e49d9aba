/**
 * The Files API, compatible with OpenAI's (the official `openai` SDK works against it with `baseURL`
 * pointed here): upload a JSONL file for batches, read it back, list, delete. Tenant-scoped like the jobs
 * routes. Uploads are streamed: the body reaches the handler as it arrives (HTTP streams in Azure, a
 * streamed request in the dev host), is checked line by line and staged to Blob Storage block by block.
 */
import { FileIdSchema, toFileObject } from '../../shared/files/file.js';
import { FileTooLargeError } from '../../shared/files/jsonl.js';
import * as reads from '../../shared/files/reads.js';
import { cleanFilename, uploadFile } from '../../shared/files/upload.js';
import { parseOrThrow } from '../../shared/pipeline/validation.js';
import { json, pathParam, tenantRoute } from './context.js';
import { FileListQuerySchema } from './files-docs.js';
import { readFileUpload } from './multipart.js';
import { withOpenAiErrors } from './openai-error.js';

/** Room for the multipart boundaries and the small fields around the file. */
const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;

export const createFile = withOpenAiErrors(
  tenantRoute(async (scope) => {
    const { limits } = scope.services.files;
    const maxRequestBytes = limits.maxBytes + MULTIPART_OVERHEAD_BYTES;
    const declared = Number(scope.request.headers.get('content-length') ?? NaN);
    // Refused before a byte is read when the client says up front that it is too big.
    if (declared > maxRequestBytes)
      throw new FileTooLargeError(`The file exceeds ${limits.maxBytes} bytes.`, limits.maxBytes);
    const file = await readFileUpload(
      scope.request.body,
      scope.request.headers.get('content-type') ?? '',
      { maxFileBytes: limits.maxBytes, maxRequestBytes },
      (upload, fields) =>
        uploadFile(scope.services.files, {
          tenantId: scope.principal.tenantId,
          filename: cleanFilename(upload.filename),
          purpose: { now: () => fields.get('purpose'), final: () => fields.final('purpose') },
          content: upload.content,
        }),
    );
    scope.services.logger.info('file.uploaded', {
      tenantId: file.tenantId,
      fileId: file.id,
      bytes: file.bytes,
      lines: file.lines,
    });
    return json(200, toFileObject(file));
  }),
);

export const getFile = withOpenAiErrors(
  tenantRoute(async (scope) => {
    const id = pathParam(scope, 'id', FileIdSchema);
    return json(
      200,
      toFileObject(await reads.getFile(scope.services.files.files, scope.principal.tenantId, id)),
    );
  }),
);

export const getFileContent = withOpenAiErrors(
  tenantRoute(async (scope) => {
    const id = pathParam(scope, 'id', FileIdSchema);
    const { file, stream } = await reads.fileContent(
      scope.services.files.files,
      scope.principal.tenantId,
      id,
    );
    return {
      status: 200,
      // The length lets the dev host (and clients) stream the bytes instead of buffering them.
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(file.bytes) },
      body: stream,
    };
  }),
);

export const deleteFile = withOpenAiErrors(
  tenantRoute(async (scope) => {
    const id = pathParam(scope, 'id', FileIdSchema);
    await reads.deleteFile(scope.services.files.files, scope.principal.tenantId, id);
    return json(200, { id, object: 'file', deleted: true });
  }),
);

export const listFiles = withOpenAiErrors(
  tenantRoute(async (scope) => {
    const query = parseOrThrow(
      FileListQuerySchema,
      Object.fromEntries(scope.request.query.entries()),
      'The query',
    );
    const page = await reads.listFiles(scope.services.files.files, scope.principal.tenantId, query);
    const data = page.files.map(toFileObject);
    return json(200, {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: page.hasMore,
    });
  }),
);
