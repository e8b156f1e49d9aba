/**
 * A tenant's JSON schema as a request field (`response_format.json_schema.schema`, a tool's `parameters`),
 * checked where it is submitted (HTTP, batch, intake queue) before any spend: limits, patterns that must
 * run on RE2, references that must stay inside the schema, the 2020-12 meta-schema. Each problem is an
 * issue at its path (`response_format/json_schema/schema/properties/x/pattern`). An ordinary schema is
 * checked here in a few ms. A heavy one (schemaCost) could take ~700 ms: here only what is cheap is
 * checked, and the accept use case runs the rest on the heavy-work pool (shared/pipeline/submitted-schema.ts).
 */
import { z } from 'zod';
import { submitIssues } from '../schemas/check.js';

export const SchemaObjectSchema = z.record(z.string(), z.unknown());

export const TenantJsonSchemaSchema = SchemaObjectSchema.superRefine((schema, ctx) => {
  for (const issue of submitIssues(schema)) {
    ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
  }
});
