/** A job's `model`: a platform model alias (MODEL_POOLS), routed to the deployments that serve it. */
import { z } from 'zod';

export const ModelAliasSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-zA-Z0-9._-]+$/, 'letters, digits, ., _ and -');
