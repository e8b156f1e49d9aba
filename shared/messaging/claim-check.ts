/**
 * Claim check: Standard tier caps a message at 256 KB, headers included, so a body above the threshold is
 * stored in the `payloads` container and the message carries only its id. The happy path (small bodies)
 * costs nothing extra.
 */
import { Buffer } from 'node:buffer';

export interface PayloadStore {
  put(id: string, body: unknown): Promise<void>;
  get(id: string): Promise<unknown>;
}

export interface ClaimCheckReference {
  readonly claimCheck: { readonly id: string; readonly bytes: number };
}

export function isClaimCheckReference(body: unknown): body is ClaimCheckReference {
  if (typeof body !== 'object' || body === null || !('claimCheck' in body)) return false;
  const ref = body.claimCheck;
  return typeof ref === 'object' && ref !== null && typeof (ref as { id?: unknown }).id === 'string';
}

export async function checkIn(
  store: PayloadStore,
  messageId: string,
  body: unknown,
  thresholdBytes: number,
): Promise<unknown> {
  const bytes = Buffer.byteLength(JSON.stringify(body));
  if (bytes <= thresholdBytes) return body;
  await store.put(messageId, body);
  const reference: ClaimCheckReference = { claimCheck: { id: messageId, bytes } };
  return reference;
}

export function checkOut(store: PayloadStore, body: unknown): Promise<unknown> {
  return isClaimCheckReference(body) ? store.get(body.claimCheck.id) : Promise.resolve(body);
}
