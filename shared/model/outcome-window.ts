/**
 * Successes and failures of calls to one deployment over a sliding time window, kept in a fixed ring of
 * buckets so recording and reading cost O(buckets) and memory stays constant however busy it is. A
 * bucket is a tenth of the window: an outcome leaves the count between 0.9 and 1 window after it.
 */

const BUCKETS = 10;
const UNUSED = -1;

interface Bucket {
  /** Start of the bucket's time slice (a multiple of the bucket length), or UNUSED. */
  start: number;
  successes: number;
  failures: number;
}

export interface OutcomeCounts {
  readonly successes: number;
  readonly failures: number;
}

export class OutcomeWindow {
  private readonly bucketMs: number;
  private readonly buckets: Bucket[] = Array.from({ length: BUCKETS }, () => ({
    start: UNUSED,
    successes: 0,
    failures: 0,
  }));

  constructor(windowMs: number) {
    this.bucketMs = Math.max(1, Math.ceil(windowMs / BUCKETS));
  }

  record(ok: boolean, now: number): void {
    const start = Math.floor(now / this.bucketMs) * this.bucketMs;
    const bucket = this.buckets[Math.floor(now / this.bucketMs) % BUCKETS]!;
    if (bucket.start !== start) {
      bucket.start = start;
      bucket.successes = 0;
      bucket.failures = 0;
    }
    if (ok) bucket.successes += 1;
    else bucket.failures += 1;
  }

  counts(now: number): OutcomeCounts {
    const oldest = Math.floor(now / this.bucketMs) * this.bucketMs - (BUCKETS - 1) * this.bucketMs;
    let successes = 0;
    let failures = 0;
    for (const bucket of this.buckets) {
      if (bucket.start === UNUSED || bucket.start < oldest || bucket.start > now) continue;
      successes += bucket.successes;
      failures += bucket.failures;
    }
    return { successes, failures };
  }

  clear(): void {
    for (const bucket of this.buckets) {
      bucket.start = UNUSED;
      bucket.successes = 0;
      bucket.failures = 0;
    }
  }
}
