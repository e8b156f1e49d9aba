/**
 * SchemaWork on the heavy-work pool: a schema that schemaCost calls heavy is checked and applied on a
 * worker thread (which keeps it compiled for the next output), an ordinary one on the calling thread,
 * where it costs a few ms at most.
 */
import { schemaCost } from '../schemas/check.js';
import { inlineSchemaWork, type SchemaWork } from '../schemas/schema-work.js';
import type { HeavyWorkPool } from './heavy-work-pool.js';

export function pooledSchemaWork(pool: HeavyWorkPool): SchemaWork {
  return {
    issues: (tenantId, schema, options = {}) =>
      schemaCost(schema).heavy
        ? pool.run(tenantId, { kind: 'schemaIssues', schemaJson: JSON.stringify(schema) }, options)
        : inlineSchemaWork.issues(tenantId, schema),
    validate: (tenantId, schema, value, outputChars) =>
      schemaCost(schema).heavy
        ? pool.run(
            tenantId,
            {
              kind: 'schemaValidate',
              schemaJson: JSON.stringify(schema),
              valueJson: JSON.stringify(value),
              outputChars,
            },
            { wait: true },
          )
        : inlineSchemaWork.validate(tenantId, schema, value, outputChars),
  };
}
