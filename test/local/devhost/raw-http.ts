/**
 * A raw HTTP exchange with the dev host over node:net, for requests an HTTP client would refuse to send
 * (broken targets, Latin-1 bytes, conflicting headers): writes `request` as is (latin1) and reads until
 * the host closes the connection.
 */
import { connect } from 'node:net';
import type { DevHost } from '../../../local/devhost/index.js';

export interface RawResponse {
  readonly status: number;
  readonly head: string;
  readonly body: string;
}

export function rawExchange(host: DevHost, request: string): Promise<RawResponse> {
  const { port } = new URL(host.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? NaN), head, body });
    });
    socket.end(request, 'latin1');
  });
}
