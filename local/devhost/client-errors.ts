/**
 * Requests node's HTTP parser refuses before any handler sees them: a header block over
 * --max-http-header-size (16 KB), bytes outside Latin-1 in the request target, a malformed request line or
 * header, conflicting framing. Left to node, they get a bare status line (`431`, `400`) with no body; the
 * dev host answers them as RFC 9457 problem+json like every other refusal, so a client can read every
 * error the same way, and closes the connection, since what follows on it cannot be framed.
 */
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DevHostLogger } from './logger.js';

/** What node passes to 'clientError' (docs: HTTP, event 'clientError'). */
interface ParserError extends NodeJS.ErrnoException {
  /** The data the parser was working on when it failed. */
  readonly rawPacket?: Buffer;
}

/** node's own choice of status per parser error (lib/_http_server.js, socketOnError). */
const STATUS_BY_CODE: ReadonlyMap<string, number> = new Map([
  ['HPE_HEADER_OVERFLOW', 431],
  ['HPE_CHUNK_EXTENSIONS_OVERFLOW', 413],
  ['ERR_HTTP_REQUEST_TIMEOUT', 408],
]);

export function clientErrorStatus(code: string | undefined): number {
  return (code === undefined ? undefined : STATUS_BY_CODE.get(code)) ?? 400;
}

const DETAILS: Readonly<Record<number, string>> = {
  431: 'The request headers are too large.',
  413: 'The chunk extensions are too large.',
  408: 'The request was not received in time.',
  400: 'The request is not valid HTTP/1.1.',
};

/**
 * The whole answer as bytes: there is no ServerResponse for a request that was never parsed. A HEAD gets the
 * same head without the body (RFC 9110 §9.3.2), or its client reads the body as garbage after the response.
 */
export function clientErrorResponse(status: number, head = false): string {
  const body = JSON.stringify({
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Bad Request',
    status,
    detail: DETAILS[status] ?? DETAILS[400],
  });
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}`,
    'content-type: application/problem+json',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    '',
    head ? '' : body,
  ].join('\r\n');
}

export function answerClientErrors(server: Server, logger: DevHostLogger): void {
  // The response being written on each socket: bytes of our own must not land in the middle of it.
  const inFlight = new WeakMap<Duplex, ServerResponse>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    inFlight.set(req.socket, res);
    res.once('close', () => {
      if (inFlight.get(req.socket) === res) inFlight.delete(req.socket);
    });
  });
  server.on('clientError', (error: ParserError, socket: Duplex) => {
    const status = clientErrorStatus(error.code);
    // Best effort: the request line is in the packet the parser failed on when the request came in one read.
    const head = error.rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
    logger.info('http.client_error', { code: error.code ?? 'unknown', status });
    // As node does: answer only when nothing of a response has gone out on this socket yet.
    if (socket.writable && !inFlight.get(socket)?.headersSent) {
      // Destroyed once flushed: end() alone waits for the client, which may never close its side.
      socket.end(clientErrorResponse(status, head), () => socket.destroy());
    } else {
      socket.destroy();
    }
  });
}
