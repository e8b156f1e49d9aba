/**
 * The `batchSweep` timer (every minute, at second 30, off the reconcile timer's second 0): every open
 * batch moved along its statuses (shared/batches/sweep.ts): input validated, lines fanned out into jobs,
 * counts refreshed, finished batches finalized, windows closed, cancels completed. Its own timer so a
 * long fan-out never delays reconciliation; the Functions host runs one instance of a timer at a time.
 */
import type { InvocationContext } from '@azure/functions';
import { sweepBatches } from '../../shared/batches/sweep.js';
import { getServices } from '../services.js';

/** Open batches moved per run; the rest wait for the next run (oldest first). */
const BATCHES_PER_RUN = 50;

export async function batchSweep(_context: InvocationContext): Promise<void> {
  const services = await getServices();
  const result = await sweepBatches(services.batches, { limit: BATCHES_PER_RUN });
  services.logger[result.open > 0 ? 'info' : 'debug']('batch.sweep_finished', { ...result });
}
