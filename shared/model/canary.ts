/**
 * The canary: a tiny request known to be good, sent to a suspect deployment to ask whether it still
 * answers. Its verdict belongs to the deployment alone, unlike a job's call, which can fail because of
 * the job (a prompt the model fails on every time). It is sent only when the breaker asks for one (the
 * failure rate tripped, or an open period ended), so the happy path never pays for it; it is paced
 * like any call and bounded by its own short timeout, because the job whose call sends it waits for it.
 */
import type { ChatRequest } from '../jobs/schema.js';
import type { Clock } from '../time/clock.js';
import { classifyModelFailure } from './failure.js';
import type { RoutedDeployment } from './router.js';

const CANARY_REQUEST: ChatRequest = { model: 'canary', messages: [{ role: 'user', content: 'ping' }] };
/** One completion token is enough to know the deployment answers. */
const CANARY_MAX_TOKENS = 1;
/** What the pacer charges for it: the prompt with chat framing (~9 tokens) plus max_tokens, rounded up. */
const CANARY_COST = 16;
const CANARY_TIMEOUT_MS = 10_000;

/** Sends the canary if the deployment's breaker wants one now; returns once its verdict is recorded. */
export async function sendCanaryIfDue(
  target: RoutedDeployment,
  clock: Clock,
  timeoutMs: number,
): Promise<void> {
  const now = clock();
  const ticket = target.breaker.takeCanary(now);
  if (!ticket) return;
  if (target.budget.waitMs(CANARY_COST, now) > 0) {
    // No quota for it now: the deployment stays half-open and a later call sends it.
    target.breaker.onCanary(ticket, 'not-sent', now);
    return;
  }
  const reservation = target.budget.reserve(CANARY_COST, now);
  try {
    const result = await target.endpoint.call(
      CANARY_REQUEST,
      CANARY_MAX_TOKENS,
      AbortSignal.timeout(Math.min(timeoutMs, CANARY_TIMEOUT_MS)),
      () => target.budget.restamp(reservation, clock()),
    );
    target.budget.onResponse(reservation, result.rateLimit, clock());
    target.breaker.onCanary(ticket, 'answered', clock());
  } catch (error) {
    const failure = classifyModelFailure(error, target.settings.name);
    const at = clock();
    if (failure.kind === 'throttled') {
      target.budget.release(reservation);
      target.budget.onThrottled(failure.retryAfterMs, at, reservation.at);
    }
    // A 429 or a 4xx is an answer: the deployment is up (busy, or pickier than we thought).
    const down = failure.kind === 'transient' || failure.kind === 'configuration';
    target.breaker.onCanary(ticket, down ? 'failed' : 'answered', at);
  }
}
