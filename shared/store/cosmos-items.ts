/**
 * Helpers shared by the Cosmos adapters: strip system properties, read status codes from SDK errors.
 */
const SYSTEM_PROPERTIES = ['_rid', '_self', '_etag', '_attachments', '_ts', '_lsn'] as const;

export function fromCosmosItem<T>(item: object): T {
  const copy: Record<string, unknown> = { ...(item as Record<string, unknown>) };
  for (const key of SYSTEM_PROPERTIES) delete copy[key];
  return copy as T;
}

export function statusCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code =
    (error as { code?: unknown; statusCode?: unknown }).code ??
    (error as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' ? code : undefined;
}
