/**
 * The local stack's dev API key, the same on every start of the same checkout by the same user on the
 * same machine, so a curl or a script written against one run keeps working after a restart. It is
 * derived (HMAC-SHA256) from the host name, the user id and the checkout's path: nothing to store,
 * nothing in the source that would be the key, and a different key on another machine or checkout.
 * It only exists where PIPELINE_ENVIRONMENT is `local` (the stack refuses otherwise), and is shown
 * nowhere but the banner `npm start` prints: the record stored for it holds a hash, like every key.
 */
import { createHmac } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashApiKeySecret, type NewApiKey } from '../shared/auth/api-keys.js';

const LABEL = 'prompt-pipeline local dev API key v1';

/** This checkout: the folder above local/ (or dist/local/ when compiled). */
function checkout(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.replace(/[\\/]dist[\\/]local$|[\\/]local$/, '');
}

function machineSeed(): string {
  let uid = -1;
  try {
    uid = userInfo().uid;
  } catch {
    // no user entry (some containers): the host name and path still tell checkouts apart
  }
  return [hostname(), uid, checkout()].join('\u0000');
}

export function devApiKey(input: {
  readonly tenantId: string;
  readonly environment: string;
  readonly now: Date;
  readonly pepper?: string;
  /** Replaces the machine seed (tests). */
  readonly seed?: string;
}): NewApiKey {
  if (input.environment !== 'local')
    throw new Error('The dev API key exists only for PIPELINE_ENVIRONMENT=local');
  const derive = (what: string) =>
    createHmac('sha256', input.seed ?? machineSeed())
      .update(`${LABEL}\u0000${what}\u0000${input.tenantId}`)
      .digest();
  const keyId = derive('key id').subarray(0, 12).toString('hex');
  const secret = derive('secret').toString('base64url');
  const prefix = `pp_test_${keyId}`;
  return {
    key: `${prefix}_${secret}`,
    record: {
      keyId,
      tenantId: input.tenantId,
      env: 'test',
      prefix,
      name: 'local-dev',
      ...hashApiKeySecret(keyId, secret, input.pepper),
      createdAt: input.now.toISOString(),
    },
  };
}

/**
 * The local stack's webhook key-encryption key (`WEBHOOK_KEK_BASE64`), derived like the dev key: the same
 * for every host instance of a run (a secret one instance wrapped, another unwraps) and across restarts
 * (endpoints kept in a data folder stay readable). Local only: Azure uses a Key Vault key.
 */
export function devWebhookKek(seed: string = machineSeed()): string {
  return createHmac('sha256', 'prompt-pipeline local webhook KEK v1').update(seed).digest('base64');
}
