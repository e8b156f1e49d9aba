/**
 * The stage dependencies that need the webhook store, built once per AppServices (like ./runtime.ts) from
 * the runtime's store, the same EndpointCachingStore the deliver stage and the webhook API use:
 * - persist and cancel: the core's `services.stage` plus the subscriber check, so a job whose tenant has no
 *   endpoint for its event skips the `deliver` hop; an endpoint registered through the API on this
 *   instance counts at once.
 * - accept (HTTP and the intake queue): plus the endpoint check, so a job naming an endpoint that is not the
 *   tenant's own and enabled is refused at submission.
 */
import type { AcceptDeps, StageDeps } from '../../shared/stages/deps.js';
import { webhookEndpointCheck } from '../../shared/webhooks/endpoint-check.js';
import { webhookSubscribers } from '../../shared/webhooks/subscribers.js';
import type { AppServices } from '../app-services.js';
import { webhookRuntime } from './runtime.js';

const stageDeps = new WeakMap<AppServices, StageDeps>();
const acceptDeps = new WeakMap<AppServices, AcceptDeps>();

export function eventStageDeps(services: AppServices): StageDeps {
  let deps = stageDeps.get(services);
  if (!deps) {
    deps = { ...services.stage, subscribers: webhookSubscribers(webhookRuntime(services).store) };
    stageDeps.set(services, deps);
  }
  return deps;
}

export function acceptStageDeps(services: AppServices): AcceptDeps {
  let deps = acceptDeps.get(services);
  if (!deps) {
    deps = { ...services.stage, webhookEndpoints: webhookEndpointCheck(webhookRuntime(services).store) };
    acceptDeps.set(services, deps);
  }
  return deps;
}
