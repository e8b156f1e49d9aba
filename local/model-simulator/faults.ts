/**
 * Injectable faults. Tests switch them on with `setFaults`, or any caller can put a marker such as
 * `[[simulate:content_filter]]` in a prompt, which lets end-to-end tests drive a failure through the
 * whole pipeline without reaching into the simulator.
 */

export type FaultKind =
  | 'http500'
  | 'http503'
  /** Accept the request and never answer: the client's timeout must fire. */
  | 'hang'
  /** Destroy the socket without a response: the client sees a connection reset. */
  | 'reset'
  | 'content_filter'
  | 'context_length'
  | 'unauthorized';

export const FAULT_KINDS: readonly FaultKind[] = [
  'http500',
  'http503',
  'hang',
  'reset',
  'content_filter',
  'context_length',
  'unauthorized',
];

export interface FaultRule {
  readonly kind: FaultKind;
  /** Only requests to this deployment; all deployments when absent. */
  readonly deployment?: string;
  /** Fire on the next `count` matching requests, then stop; unlimited when absent. */
  readonly count?: number;
  /** Fire on this share of matching requests (deterministic sequence); every request when absent. */
  readonly probability?: number;
}

export interface FaultSettings {
  readonly rules?: readonly FaultRule[];
  /**
   * How the `x-ratelimit-remaining-*` headers are sent: the service sometimes omits them or sends -1,
   * and clients must cope with both.
   */
  readonly rateLimitHeaders?: 'present' | 'missing' | 'minus-one';
}

interface ActiveRule {
  readonly rule: FaultRule;
  remaining: number;
}

export class FaultInjector {
  private rules: ActiveRule[] = [];
  private counter = 0;
  rateLimitHeaders: NonNullable<FaultSettings['rateLimitHeaders']> = 'present';

  set(settings: FaultSettings): void {
    this.rules = (settings.rules ?? []).map((rule) => ({
      rule,
      remaining: rule.count ?? Number.POSITIVE_INFINITY,
    }));
    this.rateLimitHeaders = settings.rateLimitHeaders ?? 'present';
  }

  /** The fault for this request, if any: a prompt marker wins over configured rules. */
  pick(deployment: string, prompt: string): FaultKind | null {
    const marker = /\[\[simulate:([a-z_0-9]+)\]\]/.exec(prompt)?.[1];
    if (marker !== undefined && (FAULT_KINDS as readonly string[]).includes(marker))
      return marker as FaultKind;
    for (const active of this.rules) {
      if (active.remaining <= 0) continue;
      if (active.rule.deployment !== undefined && active.rule.deployment !== deployment) continue;
      if (active.rule.probability !== undefined && !this.roll(active.rule.probability)) continue;
      active.remaining -= 1;
      return active.rule.kind;
    }
    return null;
  }

  /** A low-discrepancy sequence instead of Math.random, so a probability gives the same run every time. */
  private roll(probability: number): boolean {
    this.counter += 1;
    const position = (this.counter * 0.618_033_988_75) % 1;
    return position < probability;
  }
}
