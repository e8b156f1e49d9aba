/**
 * What measured operation counts imply in Azure, as estimates (the embedded emulators do not charge):
 *
 * Service Bus Standard throttles at 1,000 credits/s per namespace; a data operation (send, receive, peek)
 * costs 1 credit per message, an entity management operation 10 credits
 * (learn.microsoft.com/azure/service-bus-messaging/service-bus-throttling). Settlements (complete) are not
 * in that table, so the ceiling is given both without them (as documented) and with them at 1 credit
 * (conservative).
 *
 * Cosmos DB request units, from the documented rules of thumb: a 1 KB point read ~1 RU; a 1 KB insert
 * with indexing on a few paths ~5.5 RU; a replace ~2x an insert; cost grows with document size (linear
 * here, 1 KB minimum). A small single-partition query is assumed at 3 RU (it grows with the documents it
 * scans). These are estimates from measured document sizes, not measurements.
 */
import type { CosmosOperation } from './instrument/cosmos-counter.js';

export const SERVICE_BUS_STANDARD_CREDITS_PER_SECOND = 1_000;
export const MANAGEMENT_CREDITS = 10;

export interface CreditCount {
  readonly sends: number;
  readonly receives: number;
  readonly settlements: number;
  readonly management: number;
}

/** Credits per job as documented (send + receive + peek, management x10), and with settlements. */
export function creditsPerJob(counts: CreditCount): { documented: number; withSettlements: number } {
  const documented = counts.sends + counts.receives + MANAGEMENT_CREDITS * counts.management;
  return { documented, withSettlements: documented + counts.settlements };
}

const KB = 1024;
const READ_RU_PER_KB = 1;
const INSERT_RU_PER_KB = 5.5;
const REPLACE_FACTOR = 2;
export const QUERY_RU_ASSUMED = 3;

const kb = (bytes: number): number => Math.max(1, bytes / KB);

/** Estimated RU of one operation, from its kind and the size of the document it moved. */
export function estimatedRequestUnits(op: CosmosOperation): number {
  switch (op.kind) {
    case 'pointRead':
      return READ_RU_PER_KB * kb(op.documentBytes);
    case 'create':
    case 'upsert':
      return INSERT_RU_PER_KB * kb(op.documentBytes);
    case 'replace':
    case 'patch':
      // A patch is billed like a replace of the whole document: documentBytes is the patched document.
      return REPLACE_FACTOR * INSERT_RU_PER_KB * kb(op.documentBytes);
    case 'delete':
      return INSERT_RU_PER_KB * kb(op.documentBytes);
    case 'query':
      return QUERY_RU_ASSUMED;
    case 'batch':
    case 'bulk':
      return REPLACE_FACTOR * INSERT_RU_PER_KB * kb(op.documentBytes);
  }
}

export function estimatedRequestUnitsPerJob(operations: readonly CosmosOperation[], jobs: number): number {
  return operations.reduce((total, op) => total + estimatedRequestUnits(op), 0) / jobs;
}
