/**
 * A stand-in for Application Insights' ingestion endpoint, so the Azure Monitor exporter does its real
 * work (serialise, gzip, POST over TLS) in a benchmark without leaving the machine. It answers the track
 * API as the service does (every item accepted) and counts what it received; live metrics get a 200.
 *
 * The exporter insists on https, so the stand-in serves a self-signed certificate: the process that
 * exports to it must set NODE_TLS_REJECT_UNAUTHORIZED=0 (the benchmark's child processes do; loopback only).
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { SELF_SIGNED_CERT, SELF_SIGNED_KEY } from './self-signed-tls.js';

export interface IngestionStub {
  /** `InstrumentationKey=…;IngestionEndpoint=…;LiveEndpoint=…`, both endpoints this stub. */
  readonly connectionString: string;
  /** Telemetry items received on the track API (spans, metrics, logs). */
  items(): number;
  close(): Promise<void>;
}

export async function startIngestionStub(): Promise<IngestionStub> {
  let items = 0;
  const server: Server = createServer(
    { cert: SELF_SIGNED_CERT, key: SELF_SIGNED_KEY },
    (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        let received = 0;
        if (request.url?.includes('/track')) {
          const body = Buffer.concat(chunks);
          const text = (request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString();
          // The exporter posts a JSON array of envelopes; newline-delimited JSON is accepted too.
          received = text.trimStart().startsWith('[')
            ? (JSON.parse(text) as unknown[]).length
            : text.split('\n').filter((line) => line.trim()).length;
          items += received;
        }
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ itemsReceived: received, itemsAccepted: received, errors: [] }));
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://localhost:${(server.address() as AddressInfo).port}/`;
  return {
    connectionString: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=${url};LiveEndpoint=${url}`,
    items: () => items,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
