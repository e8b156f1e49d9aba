/**
 * A file upload (`POST /v1/files`, multipart/form-data) streamed from its source, with progress: the
 * body is written part by part as it is read, so a large JSONL file never sits whole in memory, and
 * `onProgress` hears of each chunk as fetch takes it.
 */

export interface UploadSource {
  /** The bytes: a stream (a file read as it is sent), or a buffer. */
  readonly content: ReadableStream<Uint8Array> | Uint8Array;
  readonly filename: string;
  /** The content's length in bytes, when known: sent as Content-Length (no chunked upload). */
  readonly size?: number;
}

export interface UploadOptions {
  readonly purpose?: 'batch';
  /** Called with the file bytes sent so far. */
  readonly onProgress?: (sentBytes: number) => void;
}

export interface MultipartBody {
  readonly body: ReadableStream<Uint8Array>;
  readonly contentType: string;
  /** The whole body's length, when the content's size is known. */
  readonly length?: number;
}

export function multipartBody(source: UploadSource, options: UploadOptions = {}): MultipartBody {
  const boundary = `----prompt-pipeline-${crypto.randomUUID()}`;
  const encoder = new TextEncoder();
  const filename = source.filename.replace(/["\r\n]/g, '_');
  const head = encoder.encode(
    [
      `--${boundary}`,
      'Content-Disposition: form-data; name="purpose"',
      '',
      options.purpose ?? 'batch',
      `--${boundary}`,
      `Content-Disposition: form-data; name="file"; filename="${filename}"`,
      'Content-Type: application/jsonl',
      '',
      '',
    ].join('\r\n'),
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  const content = source.content instanceof Uint8Array ? streamOf(source.content) : source.content;
  const size = source.content instanceof Uint8Array ? source.content.byteLength : source.size;
  let sent = 0;
  const reader = content.getReader();
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(head);
        return;
      }
      const { value, done } = await reader.read();
      if (done) {
        controller.enqueue(tail);
        controller.close();
        return;
      }
      sent += value.byteLength;
      options.onProgress?.(sent);
      controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return {
    body,
    contentType: `multipart/form-data; boundary=${boundary}`,
    ...(size !== undefined ? { length: head.byteLength + size + tail.byteLength } : {}),
  };
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}
