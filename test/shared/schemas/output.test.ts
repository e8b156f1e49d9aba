/**
 * Model output against a tenant schema (shared/schemas/output.ts).
 */
import { describe, expect, it } from 'vitest';
import { checkAgainstSchema } from '../../../shared/schemas/output.js';

describe('checkAgainstSchema', () => {
  it('tests each property with its own pattern when a schema has several', () => {
    // ajv keys compiled patterns by the engine object's toString(): one shared key made every pattern
    // of a schema the first one compiled, so `p1` was tested with `p0`'s pattern.
    const properties: Record<string, unknown> = {};
    for (let i = 0; i < 4; i++) properties[`p${i}`] = { type: 'string', pattern: `^[a-z]+${i}$` };
    const schema = { type: 'object', properties };
    for (let i = 0; i < 4; i++) {
      expect(checkAgainstSchema(schema, { [`p${i}`]: `abc${i}` }, 20)).toEqual({ ok: true });
      expect(checkAgainstSchema(schema, { [`p${i}`]: `abc${(i + 1) % 4}` }, 20).ok).toBe(false);
    }
  });
});
