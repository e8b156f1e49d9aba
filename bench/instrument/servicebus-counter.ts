/**
 * Counts what the real @azure/service-bus SDK does in this process: every sender and receiver a
 * `ServiceBusClient` creates after `instrumentServiceBus()` (the publisher's senders, the dev host's
 * trigger receivers) has its data-plane methods wrapped, and `ServiceBusAdministrationClient` calls are
 * counted as management operations. Start it before the local stack so the host's receivers are seen.
 *
 * Kinds, as Azure Service Bus throttling counts them (Standard tier, 1,000 credits/s per namespace):
 * send / receive / settlement are data operations (1 credit each); `admin` is an entity management call
 * (10 credits). Requests the SDK makes on an entity's `$management` link (schedule, cancel, renew lock,
 * peek, receive deferred) are data operations too, but are counted apart because the happy path should
 * make none. The SDK's automatic lock renewal is internal to the receiver and not visible here; with the
 * queues' lock durations (infra/definitions/queues.json) a fast run does not renew.
 */
import {
  ServiceBusAdministrationClient,
  ServiceBusClient,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
  type ServiceBusSender,
} from '@azure/service-bus';

export type ServiceBusOperationKind =
  | 'send'
  | 'receive'
  | 'complete'
  | 'abandon'
  | 'deadLetter'
  | 'defer'
  | 'schedule'
  | 'cancelScheduled'
  | 'renewLock'
  | 'peek'
  | 'receiveDeferred'
  | 'admin';

export interface ServiceBusOperation {
  readonly kind: ServiceBusOperationKind;
  readonly queue: string;
  /** Messages in the call (a batch send of 10 is one operation with 10 messages). */
  readonly messages: number;
  /** For `receive`: the message's delivery count as the SDK reports it (0 = first delivery). */
  readonly deliveryCount?: number;
  /** Whether the call succeeded. */
  readonly ok: boolean;
}

export interface ServiceBusCounter {
  operations(): readonly ServiceBusOperation[];
  reset(): void;
  restore(): void;
}

type AnyMethod = (this: unknown, ...args: unknown[]) => unknown;

const countOf = (messages: unknown): number => {
  if (Array.isArray(messages)) return messages.length;
  const batch = messages as { count?: unknown } | undefined;
  return typeof batch?.count === 'number' ? batch.count : 1;
};

let active: ServiceBusCounter | undefined;

export function instrumentServiceBus(): ServiceBusCounter {
  if (active) throw new Error('Service Bus is already instrumented in this process');
  const recorded: ServiceBusOperation[] = [];
  const undo: Array<() => void> = [];

  const record = (operation: ServiceBusOperation) => recorded.push(operation);

  /** Wraps one method of one SDK object so that each call records one operation. */
  const wrapMethod = (
    object: object,
    method: string,
    kind: ServiceBusOperationKind,
    queue: string,
    messagesOf: (args: unknown[]) => number,
  ) => {
    const target = object as Record<string, AnyMethod>;
    const original = target[method];
    if (typeof original !== 'function') return;
    target[method] = async function (this: unknown, ...args: unknown[]) {
      try {
        const result = await original.apply(this, args);
        record({ kind, queue, messages: messagesOf(args), ok: true });
        return result;
      } catch (error) {
        record({ kind, queue, messages: messagesOf(args), ok: false });
        throw error;
      }
    };
  };

  const clientPrototype = ServiceBusClient.prototype as unknown as Record<string, AnyMethod>;
  const createSender = clientPrototype.createSender;
  const createReceiver = clientPrototype.createReceiver;
  if (typeof createSender !== 'function' || typeof createReceiver !== 'function')
    throw new Error('@azure/service-bus has no createSender/createReceiver to instrument');

  clientPrototype.createSender = function (this: unknown, ...args: unknown[]) {
    const sender = createSender.apply(this, args) as ServiceBusSender;
    const queue = sender.entityPath;
    wrapMethod(sender, 'sendMessages', 'send', queue, ([messages]) => countOf(messages));
    wrapMethod(sender, 'scheduleMessages', 'schedule', queue, ([messages]) => countOf(messages));
    wrapMethod(sender, 'cancelScheduledMessages', 'cancelScheduled', queue, ([ids]) => countOf(ids));
    return sender;
  };

  clientPrototype.createReceiver = function (this: unknown, ...args: unknown[]) {
    const receiver = createReceiver.apply(this, args) as ServiceBusReceiver;
    const queue = receiver.entityPath;
    const one = () => 1;
    wrapMethod(receiver, 'completeMessage', 'complete', queue, one);
    wrapMethod(receiver, 'abandonMessage', 'abandon', queue, one);
    wrapMethod(receiver, 'deadLetterMessage', 'deadLetter', queue, one);
    wrapMethod(receiver, 'deferMessage', 'defer', queue, one);
    wrapMethod(receiver, 'renewMessageLock', 'renewLock', queue, one);
    wrapMethod(receiver, 'peekMessages', 'peek', queue, ([max]) => (typeof max === 'number' ? max : 1));
    wrapMethod(receiver, 'receiveDeferredMessages', 'receiveDeferred', queue, ([ids]) => countOf(ids));
    const receivedOne = (message: ServiceBusReceivedMessage) =>
      record({ kind: 'receive', queue, messages: 1, deliveryCount: message.deliveryCount ?? 0, ok: true });

    const target = receiver as unknown as Record<string, AnyMethod>;
    const subscribe = target.subscribe;
    if (typeof subscribe === 'function') {
      // Push receive: each message handed to processMessage is one received delivery.
      target.subscribe = function (this: unknown, handlers: unknown, ...rest: unknown[]) {
        const h = handlers as { processMessage: (m: ServiceBusReceivedMessage) => Promise<void> };
        const counted = {
          ...h,
          processMessage: (message: ServiceBusReceivedMessage) => {
            receivedOne(message);
            return h.processMessage(message);
          },
        };
        return subscribe.apply(this, [counted, ...rest]);
      };
    }
    const receiveMessages = target.receiveMessages;
    if (typeof receiveMessages === 'function') {
      target.receiveMessages = async function (this: unknown, ...callArgs: unknown[]) {
        const messages = (await receiveMessages.apply(this, callArgs)) as ServiceBusReceivedMessage[];
        for (const message of messages) receivedOne(message);
        return messages;
      };
    }
    return receiver;
  };
  undo.push(() => {
    clientPrototype.createSender = createSender;
    clientPrototype.createReceiver = createReceiver;
  });

  // Entity management (create/get/update/delete queues, runtime properties): 10 credits each in Azure.
  const adminPrototype = ServiceBusAdministrationClient.prototype as unknown as Record<string, AnyMethod>;
  for (const name of Object.getOwnPropertyNames(adminPrototype)) {
    // Only plain methods: reading an accessor on the prototype itself would run it without an instance.
    const original = Object.getOwnPropertyDescriptor(adminPrototype, name)?.value as unknown;
    if (name === 'constructor' || name.startsWith('_') || typeof original !== 'function') continue;
    const method = original as AnyMethod;
    adminPrototype[name] = function (this: unknown, ...args: unknown[]) {
      record({ kind: 'admin', queue: typeof args[0] === 'string' ? args[0] : '', messages: 0, ok: true });
      return method.apply(this, args);
    };
    undo.push(() => {
      adminPrototype[name] = method;
    });
  }

  const counter: ServiceBusCounter = {
    operations: () => recorded.slice(),
    reset: () => {
      recorded.length = 0;
    },
    restore: () => {
      for (const step of undo.reverse()) step();
      undo.length = 0;
      if (active === counter) active = undefined;
    },
  };
  active = counter;
  return counter;
}
