/**
 * The `capacitySweep` timer (every minute, at second 45, off the other timers): work routed to
 * Global Batch deployments moves along (shared/capacity/sweep.ts): pending lines grouped into batch
 * files and submitted, provider batches polled, finished ones settled into the jobs' pipeline, late ones
 * cancelled and their lines sent to real-time deployments. Does nothing without a `globalBatch`
 * deployment in MODEL_POOLS.
 */
import type { InvocationContext } from '@azure/functions';
import { sweepCapacity } from '../../shared/capacity/sweep.js';
import { getServices } from '../services.js';

export async function capacitySweep(_context: InvocationContext): Promise<void> {
  const services = await getServices();
  if (services.capacity.deployments.length === 0) return;
  const result = await sweepCapacity(services.capacity);
  const busy = Object.values(result).some((count) => count > 0);
  services.logger[busy ? 'info' : 'debug']('capacity.sweep_finished', { ...result });
}
