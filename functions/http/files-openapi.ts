/**
 * The Files API's entries in the OpenAPI document (openapi.ts). Kept apart from files.ts so the
 * document does not load the upload code (busboy, the Blob SDK).
 */
export const FILE_OPERATIONS = {
  createFile: {
    summary:
      'Upload a JSONL file (multipart/form-data: `purpose=batch`, `file`), up to 200 MB and 100,000 lines, checked line by line as it streams. OpenAI-compatible.',
    response: {
      status: '200',
      description: 'The File object (`id` file-..., `bytes`, `filename`, `purpose`, `status`)',
    },
  },
  listFiles: {
    summary: "The tenant's files, newest first (`purpose`, `limit`, `order`, `after` as OpenAI's).",
    response: { status: '200', description: '`{ object: "list", data, first_id, last_id, has_more }`' },
  },
  getFile: {
    summary: "One of the tenant's files.",
    response: { status: '200', description: 'The File object' },
  },
  getFileContent: {
    summary: "The file's bytes, streamed.",
    response: { status: '200', description: 'application/octet-stream' },
  },
  deleteFile: {
    summary: 'Delete a file.',
    response: { status: '200', description: '`{ id, object: "file", deleted: true }`' },
  },
} as const;
