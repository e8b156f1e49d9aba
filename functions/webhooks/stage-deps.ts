/**
 * The stage dependencies persist and cancel run with: the core's `services.stage` plus the webhook
 * subscriber check, so a job whose tenant has no endpoint for its event skips the `deliver` hop. Built once
 * per AppServices (like ./runtime.ts) from the runtime's store, the same EndpointCachingStore the deliver
 * stage and the webhook API use: an endpoint registered through the API on this instance counts at once.
 */
import type { StageDeps } from '../../shared/stages/deps.js';
import { webhookSubscribers } from '../../shared/webhooks/subscribers.js';
import type { AppServices } from '../services.js';
import { webhookRuntime } from './runtime.js';

const stageDeps = new WeakMap<AppServices, StageDeps>();

export function eventStageDeps(services: AppServices): StageDeps {
  let deps = stageDeps.get(services);
  if (!deps) {
    deps = { ...services.stage, subscribers: webhookSubscribers(webhookRuntime(services).store) };
    stageDeps.set(services, deps);
  }
  return deps;
}
