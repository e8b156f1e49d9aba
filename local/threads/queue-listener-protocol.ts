/** Messages between the dev host (main thread) and its queue listener thread (queue-listener-worker.ts). */
import type { QueueMessage } from '../../functions/definitions.js';
import type { ServiceBusHostSettings } from '../devhost/host-settings.js';
import type { DevHostLogFields } from '../devhost/logger.js';

export interface QueueListenerInit {
  /** The local emulator's: a credential (Azure) cannot cross to another thread. Never logged. */
  readonly connectionString: string;
  readonly queueNames: readonly string[];
  readonly settings: ServiceBusHostSettings;
}

export type SettleAction =
  | { readonly action: 'complete' }
  | { readonly action: 'abandon' }
  | { readonly action: 'deadLetter'; readonly reason: string; readonly description: string };

/** Main thread -> listener. */
export type ListenerRequest =
  | ({ readonly type: 'settle'; readonly token: number } & SettleAction)
  /** Stop taking messages (the ones still arriving are handed straight back). */
  | { readonly type: 'stop' }
  /** Give these messages back now (their handlers outlived the grace time); later settles are ignored. */
  | { readonly type: 'release'; readonly tokens: readonly number[] }
  /** Close the receivers and the client, then end the thread. */
  | { readonly type: 'close' };

/** Listener -> main thread. */
export type ListenerEvent =
  /** `osThreadId`: the listener's OS thread (Linux), so benchmarks can read its CPU time. */
  | { readonly type: 'ready'; readonly osThreadId?: number }
  /** A received message to invoke the queue's function with; `token` names it in later requests. */
  | {
      readonly type: 'message';
      readonly token: number;
      readonly queue: string;
      readonly message: QueueMessage;
    }
  | { readonly type: 'settled'; readonly token: number }
  | { readonly type: 'stopped' }
  | { readonly type: 'released' }
  | { readonly type: 'closed' }
  | {
      readonly type: 'log';
      readonly level: 'info' | 'warn' | 'error';
      readonly event: string;
      readonly fields: DevHostLogFields;
    };
