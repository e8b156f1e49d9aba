/**
 * A batch input file of a given size, generated as it is sent: every line the same number of bytes, so
 * the multipart body's length is known up front (Content-Length) and the client never holds the file.
 * The process measuring its own memory during an upload must not be the one holding 200 MB.
 */
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const CHUNK_BYTES = 64 * 1024;

/** A chat request whose user message is `contentChars` characters of words, numbered by `n`. */
export function paddedRequest(n: number, contentChars: number) {
  const words = 'lorem ipsum dolor sit amet ';
  const text = `Classify document ${n}: ${words.repeat(Math.ceil(contentChars / words.length))}`;
  return {
    model: 'gpt-4o-mini',
    messages: [{ role: 'user' as const, content: text.slice(0, contentChars) }],
    max_tokens: 8,
  };
}

function lineOf(n: number, contentChars: number): string {
  return JSON.stringify({
    custom_id: `line-${n}`,
    method: 'POST',
    url: '/v1/chat/completions',
    body: paddedRequest(n, contentChars),
  });
}

export interface BatchFile {
  readonly lines: number;
  /** Bytes of each line, newline included. */
  readonly lineBytes: number;
  /** The user message's length in each request (what a floor job sends too). */
  readonly contentChars: number;
  line(n: number): string;
}

/** Lines of `lineBytes` each (at least what an empty request takes), the same for every n. */
export function batchFile(lines: number, lineBytes: number): BatchFile {
  // The longest custom_id and document number decide the frame; shorter ones are padded with spaces.
  const frame = Buffer.byteLength(lineOf(lines, 0)) + 1;
  const contentChars = Math.max(32, lineBytes - frame);
  const bytes = frame + contentChars;
  return {
    lines,
    lineBytes: bytes,
    contentChars,
    line(n) {
      const text = lineOf(n, contentChars);
      return text + ' '.repeat(bytes - 1 - Buffer.byteLength(text)) + '\n';
    },
  };
}

/**
 * Uploads the file as `POST /v1/files` (purpose batch) with the body generated as it is written: a few
 * 64 KB at a time, each chunk made when the socket takes the one before.
 */
export async function uploadBatchFile(
  apiUrl: string,
  apiKey: string,
  file: BatchFile,
): Promise<{ readonly id: string; readonly bytes: number }> {
  const boundary = `bench-${Date.now().toString(36)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.jsonl"\r\n` +
      'Content-Type: application/jsonl\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = head.length + file.lines * file.lineBytes + tail.length;
  // Chunks of about 64 KB, and a byte stream (not object mode, whose buffer counts chunks, not bytes):
  // the client holds about one socket buffer of the file, whatever the line length.
  function* body(): Generator<Buffer> {
    yield head;
    let parts: string[] = [];
    let bytes = 0;
    for (let n = 0; n < file.lines; n += 1) {
      parts.push(file.line(n));
      bytes += file.lineBytes;
      if (bytes >= CHUNK_BYTES) {
        yield Buffer.from(parts.join(''));
        parts = [];
        bytes = 0;
      }
    }
    if (parts.length > 0) yield Buffer.from(parts.join(''));
    yield tail;
  }
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(
      `${apiUrl}/v1/files`,
      {
        method: 'POST',
        headers: {
          'api-key': apiKey,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(length),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    pipeline(Readable.from(body(), { objectMode: false, highWaterMark: CHUNK_BYTES }), req).catch(reject);
  });
  const { status, text } = await answer;
  if (status !== 200) throw new Error(`POST /v1/files answered ${status}: ${text.slice(0, 300)}`);
  return { id: (JSON.parse(text) as { id: string }).id, bytes: file.lines * file.lineBytes };
}
