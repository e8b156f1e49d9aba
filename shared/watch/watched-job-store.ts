/**
 * A JobStore that tells this host's job watcher of every terminal state it writes (persist, cancel, the
 * reconciler), so clients waiting on a job that ends here are answered at once, with no read.
 */
import type { JobStore } from '../jobs/job-store.js';
import type { JobWatcher } from './job-watcher.js';

export function watchedJobStore(store: JobStore, watcher: JobWatcher): JobStore {
  return {
    create: (job) => store.create(job),
    get: (tenantId, jobId) => store.get(tenantId, jobId),
    requestOf: (job) => store.requestOf(job),
    async replace(job, etag) {
      const written = await store.replace(job, etag);
      if (written !== 'stale') watcher.notify(written.job);
      return written;
    },
    async completeIfOpen(tenantId, jobId, fields) {
      const written = await store.completeIfOpen(tenantId, jobId, fields);
      if (written !== undefined && written !== 'not-open') watcher.notify(written.job);
      return written;
    },
    list: (tenantId, query) => store.list(tenantId, query),
    listStalled: (beforeMs, limit, fromMs) => store.listStalled(beforeMs, limit, fromMs),
  };
}
