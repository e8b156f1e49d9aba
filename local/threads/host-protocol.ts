/** Messages between the main thread and a Functions host instance on a worker thread (host-worker.ts). */

export interface HostWorkerInit {
  /** 1, 2, ...: the main thread's instance is 0. Tags the worker's log lines. */
  readonly instance: number;
  /** The stack's environment: the worker parses the same configuration the main instance did. */
  readonly env: Readonly<Record<string, string>>;
  /** host.json's maxConcurrentCalls override, as the main instance got it. */
  readonly maxConcurrentCalls?: number;
  /** How long close() lets running handlers finish before abandoning their messages. */
  readonly shutdownGraceMs?: number;
  /** Queue names in counter order: `counters` holds one Int32 per name (invocation-counter.ts). */
  readonly queueNames: readonly string[];
  readonly counters: SharedArrayBuffer;
}

export type HostStartupMessage =
  | {
      readonly type: 'ready';
      /** The OS thread id (Linux, from /proc/thread-self), so benchmarks can read the thread's CPU time. */
      readonly osThreadId?: number;
    }
  | { readonly type: 'failed'; readonly message: string };

export interface HostCloseRequest {
  readonly type: 'close';
}

export interface HostClosedReply {
  readonly type: 'closed';
  readonly error?: string;
}
