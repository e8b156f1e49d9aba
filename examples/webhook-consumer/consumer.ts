/**
 * Example webhook consumer for prompt-pipeline events (Standard Webhooks).
 *
 * What a consumer must do, in order:
 * 1. Read the raw body: the signature covers the exact bytes, so never verify a re-serialised JSON.parse.
 * 2. Verify with the client's `verifyWebhook` (`@prompt-pipeline/client`, on the `standardwebhooks`
 *    package; any Standard Webhooks library does): signature, and a timestamp within 5 minutes so an old
 *    captured request cannot be replayed.
 * 3. De-duplicate on `webhook-id`: retries and replays of one event carry the same id.
 * 4. Answer 2xx quickly and do slow work afterwards: we wait 15 s at most, then retry on a schedule.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import {
  verifyWebhook,
  WebhookVerificationError,
  type WebhookEvent,
} from '../../clients/typescript/src/index.js';

/** A delivery's body (the API document's WebhookEvent): a job's or a batch's terminal event. */
export type JobEventPayload = WebhookEvent;

export interface ConsumerOptions {
  /** Your endpoint's `whsec_` secret; during a rotation, both the new and the old one. */
  readonly secrets: readonly string[];
  readonly onEvent: (event: JobEventPayload, webhookId: string) => void | Promise<void>;
  /** How long a seen `webhook-id` is remembered. Retries span ~3 days; use a shared store in production. */
  readonly dedupeForMs?: number;
}

const MAX_BODY_BYTES = 1024 * 1024;

async function rawBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function createConsumer(options: ConsumerOptions): Server {
  const seen = new Map<string, number>();
  const dedupeForMs = options.dedupeForMs ?? 4 * 24 * 60 * 60 * 1000;
  return createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      const body = await rawBody(req);
      if (!body) {
        res.writeHead(413).end();
        return;
      }
      let event: JobEventPayload;
      try {
        event = verifyWebhook(body, req.headers, options.secrets);
      } catch (error) {
        if (error instanceof WebhookVerificationError) {
          // 4xx makes the sender retry on its schedule: fine if your secret is being rotated right now.
          res.writeHead(401, { 'content-type': 'text/plain' }).end(error.message);
          return;
        }
        throw error;
      }
      // Covered by the signature: the same for every retry and replay of one event.
      const webhookId = String(req.headers['webhook-id']);
      const now = Date.now();
      for (const [id, at] of seen) if (now - at > dedupeForMs) seen.delete(id);
      if (seen.has(webhookId)) {
        // Already handled: acknowledge so the sender stops, but do not act twice.
        res.writeHead(204).end();
        return;
      }
      seen.set(webhookId, now);
      res.writeHead(204).end();
      await options.onEvent(event, webhookId);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
}

/** `WEBHOOK_SECRETS=whsec_... node dist/examples/webhook-consumer/consumer.js` (PORT defaults to 4000). */
function main(): void {
  // eslint-disable-next-line no-restricted-properties -- an example program, not platform code: env is its config.
  const env = process.env;
  const secrets = (env.WEBHOOK_SECRETS ?? '').split(',').filter(Boolean);
  if (secrets.length === 0)
    throw new Error('Set WEBHOOK_SECRETS to your endpoint secret(s), comma-separated');
  const server = createConsumer({
    secrets,
    onEvent: (event, id) => {
      const outcome = event.data.resultUrl ?? event.data.result?.content ?? event.data.error?.message ?? '';
      console.log(`${event.type} ${event.data.jobId} (${id}): ${String(outcome).slice(0, 200)}`);
    },
  });
  server.listen(Number(env.PORT ?? 4000), () => console.log(`webhook consumer on :${env.PORT ?? 4000}`));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
