/**
 * What a chaos run does to each job, drawn from a seeded generator so a failing run can be repeated
 * with its seed: how it is submitted, which fault marker its prompt carries, whether its model call
 * outlives the message lock, and whether (and when) a cancel races it. Also the webhook endpoint's
 * moods over time. The faults themselves are the simulator's and the receiver's, not ours.
 */

/** mulberry32: small, fast, good enough to spread faults; seeded so a run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Simulator markers (local/model-simulator/faults.ts) a prompt may carry: each fails every attempt of
 * its job, so these jobs end `failed` (attempts exhausted, or at once for content_filter). Transient
 * faults, which a retry gets past, come from the simulator's probability rules instead (TRANSIENT_FAULTS).
 */
const PERSISTENT_MARKERS: ReadonlyArray<readonly [marker: string, share: number]> = [
  ['http500', 0.04],
  ['http503', 0.03],
  ['hang', 0.02],
  ['reset', 0.03],
  ['content_filter', 0.02],
];

/** The simulator's rules for every call: a share of calls fails once, and the job's retry succeeds. */
export const TRANSIENT_FAULTS = {
  rules: [
    { kind: 'http500', probability: 0.04 },
    { kind: 'http503', probability: 0.04 },
    { kind: 'reset', probability: 0.03 },
    { kind: 'hang', probability: 0.02 },
  ],
} as const;

export interface JobPlan {
  readonly key: string;
  readonly via: 'http' | 'intake';
  readonly marker?: string;
  /** max_tokens high enough that the simulated call takes longer than the stage's lock. */
  readonly slow: boolean;
  /** ms after acceptance at which a cancel is sent; absent: never cancelled. */
  readonly cancelAfterMs?: number;
}

export interface PlanShares {
  readonly intake: number;
  readonly slow: number;
  readonly cancel: number;
  /** Cancels land uniformly in [0, this): across invoke, postprocess, persist and after. */
  readonly cancelWindowMs: number;
}

export function planJobs(count: number, runId: string, shares: PlanShares, random: () => number): JobPlan[] {
  return Array.from({ length: count }, (_, index) => {
    let roll = random();
    let marker: string | undefined;
    for (const [name, share] of PERSISTENT_MARKERS) {
      if (roll < share) {
        marker = name;
        break;
      }
      roll -= share;
    }
    const cancel = random() < shares.cancel;
    return {
      key: `${runId}-${index}`,
      via: random() < shares.intake ? 'intake' : 'http',
      ...(marker ? { marker } : {}),
      slow: random() < shares.slow,
      ...(cancel ? { cancelAfterMs: Math.floor(random() * shares.cancelWindowMs) } : {}),
    };
  });
}

/** The job's body: the tag lets the model recorder tell whose call it saw. */
export function jobBody(plan: JobPlan): Record<string, unknown> {
  const marker = plan.marker ? ` [[simulate:${plan.marker}]]` : '';
  return {
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: `chaos-job:${plan.key}${marker} Write one line about queues.` }],
    max_tokens: plan.slow ? 64 : 12,
    metadata: { chaos: plan.key },
  };
}

/**
 * The webhook endpoint's mood at a moment: it fails (503) for a while, then hangs past the sender's
 * timeout, then recovers, over and over. Each bad spell is shorter than the sender's second retry (5 s,
 * shared/webhooks/retry-schedule.ts), so most events get through on a retry, some only after minutes.
 */
export function webhookMood(elapsedMs: number, cycleMs: number): 'fail' | 'hang' | 'ok' {
  const phase = elapsedMs % cycleMs;
  if (phase < cycleMs * 0.15) return 'fail';
  if (phase < cycleMs * 0.3) return 'hang';
  return 'ok';
}
