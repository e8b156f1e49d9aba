import { readlinkSync } from 'node:fs';

/**
 * This thread's OS thread id, so benchmarks can read its CPU time (/proc/self/task/<id>/stat):
 * `/proc/thread-self` links to `/proc/<pid>/task/<tid>` on Linux; elsewhere there is no such id.
 */
export function ownOsThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return undefined;
  }
}
