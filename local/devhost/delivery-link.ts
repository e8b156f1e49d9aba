/**
 * Whether a received message can still be settled through the link that delivered it.
 *
 * @azure/service-bus settles a message with a disposition on the link it came on, found by the link's
 * name. After a dropped connection the receiver re-attaches under the same name, so the SDK takes the
 * old delivery for a live one: the disposition is queued on the dead connection and the settle waits
 * for its acknowledgement for the whole try timeout (host.json's 60 s), holding the handler's slot and
 * a host's shutdown (the chaos suite's 40 s close). A settlement already sent when the connection
 * drops waits the same way. The Functions host's own SDK fails such a settlement at once with
 * MessageLockLost; settleOnLiveLink lets the dev host do the same. The lock stays with the broker until
 * it expires, and the message comes back then, as after any lost lock.
 */
import type { ServiceBusReceivedMessage } from '@azure/service-bus';

/** The parts of the SDK's received message (ServiceBusMessageImpl) and rhea's link read here. */
interface WithDelivery {
  readonly delivery?: { readonly link?: { is_open?: () => boolean } };
}

export function deliveredOnLiveLink(message: ServiceBusReceivedMessage): boolean {
  const link = (message as WithDelivery).delivery?.link;
  // A deferred message has no delivery link (the SDK settles it over the management link): live enough.
  if (!link || typeof link.is_open !== 'function') return true;
  return link.is_open();
}

/** The error a settlement gets when its link is gone, named as the Functions host names it. */
export function linkGoneError(): Error {
  const error = new Error(
    'The link that delivered the message is gone (connection lost); its lock expires on the broker and the message is delivered again.',
  );
  error.name = 'MessageLockLostError';
  return error;
}

/** How often a settlement in flight looks at its link: a dropped connection is noticed within this. */
const LINK_CHECK_MS = 200;

/**
 * Runs `settleCall` unless the message's link is gone, and stops waiting for it (MessageLockLost) once
 * the link goes while it is in flight. The SDK's own promise is left to its timeout; its outcome no
 * longer matters.
 */
export async function settleOnLiveLink(
  message: ServiceBusReceivedMessage,
  settleCall: () => Promise<void>,
): Promise<void> {
  if (!deliveredOnLiveLink(message)) throw linkGoneError();
  const settling = settleCall();
  settling.catch(() => undefined);
  let watch: NodeJS.Timeout | undefined;
  const gone = new Promise<never>((_resolve, reject) => {
    watch = setInterval(() => {
      if (!deliveredOnLiveLink(message)) reject(linkGoneError());
    }, LINK_CHECK_MS);
  });
  try {
    await Promise.race([settling, gone]);
  } finally {
    clearInterval(watch);
  }
}
