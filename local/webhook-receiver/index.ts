/**
 * A webhook receiver for the local stack and tests: a plain node:http server that verifies each request
 * with the published `verifyWebhook` helper, prints what arrived, and keeps it for inspection.
 * `respond` lets tests script the answers (status, headers, delay) per request.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook, WebhookVerificationError } from '../../shared/webhooks/signing.js';
import type { Clock } from '../../shared/time/clock.js';

export interface ReceivedWebhook {
  readonly at: Date;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Set when the signature verified; undefined with `verificationError` otherwise. */
  readonly webhookId?: string;
  readonly verificationError?: string;
  readonly event?: unknown;
}

export interface ScriptedResponse {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Hold the response this long (to provoke the sender's timeout). */
  readonly delayMs?: number;
}

export interface WebhookReceiverOptions {
  readonly port?: number;
  readonly host?: string;
  /** Secrets to verify with; empty: accept without verifying (still recorded). */
  readonly secrets?: readonly string[];
  /** Called per request with its index (0-based); default: 204 if verified, 401 if not. */
  readonly respond?: (request: ReceivedWebhook, index: number) => ScriptedResponse | undefined;
  /** Where to print; default console.log. Pass `() => {}` for silence. */
  readonly log?: (line: string) => void;
  /** For tests of the tolerance window. */
  readonly clock?: Clock;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedWebhook[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const log = options.log ?? ((line: string) => console.log(line));
  const secrets = options.secrets ?? [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let webhookId: string | undefined;
      let verificationError: string | undefined;
      if (secrets.length > 0) {
        try {
          webhookId = verifyWebhook({
            payload: body,
            headers: req.headers,
            secrets,
            ...(options.clock ? { now: new Date(options.clock()) } : {}),
          }).id;
        } catch (error) {
          if (!(error instanceof WebhookVerificationError)) throw error;
          verificationError = error.reason;
        }
      }
      let event: unknown;
      try {
        event = JSON.parse(body);
      } catch {
        event = undefined;
      }
      const entry: ReceivedWebhook = {
        at: new Date(),
        path: req.url ?? '/',
        headers: req.headers,
        body,
        ...(webhookId ? { webhookId } : {}),
        ...(verificationError ? { verificationError } : {}),
        ...(event !== undefined ? { event } : {}),
      };
      const index = received.length;
      received.push(entry);
      const type = (event as { type?: unknown } | undefined)?.type;
      const jobId = (event as { data?: { jobId?: unknown } } | undefined)?.data?.jobId;
      log(
        verificationError
          ? `[webhook-receiver] REJECTED ${String(req.headers['webhook-id'])}: ${verificationError}`
          : `[webhook-receiver] ${String(type)} job=${String(jobId)} id=${String(req.headers['webhook-id'])}${secrets.length ? ' (signature verified)' : ''}`,
      );
      const scripted = options.respond?.(entry, index) ?? { status: verificationError ? 401 : 204 };
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(scripted.status ?? 204, scripted.headers ?? {});
        res.end(scripted.body ?? '');
      };
      if (scripted.delayMs) setTimeout(send, scripted.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/webhooks`,
    received,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
