/**
 * For `npm start`: a receiver registered as a webhook endpoint of the dev tenant, so a newcomer submits a
 * job and sees the signed `job.succeeded` arrive and verify in the terminal.
 */
import type { WebhookDeps } from '../../shared/webhooks/deps.js';
import { registerEndpoint } from '../../shared/webhooks/endpoints.js';
import { startWebhookReceiver, type WebhookReceiver } from './index.js';

export interface DevReceiver {
  readonly receiver: WebhookReceiver;
  readonly endpointId: string;
}

export async function startDevWebhookReceiver(options: {
  readonly deps: WebhookDeps;
  readonly tenantId: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly log?: (line: string) => void;
}): Promise<DevReceiver> {
  // Filled after registration: the receiver reads the array on each request.
  const secrets: string[] = [];
  const receiver = await startWebhookReceiver({
    port: options.port ?? 0,
    secrets,
    ...(options.log ? { log: options.log } : {}),
  });
  try {
    const { endpoint, secret } = await registerEndpoint(options.deps, options.tenantId, {
      url: receiver.url,
      description: 'local stack receiver (local/webhook-receiver)',
    });
    secrets.push(secret);
    return { receiver, endpointId: endpoint.id };
  } catch (error) {
    await receiver.close();
    throw error;
  }
}
