/** Messages between the main thread and an emulator worker (emulator-worker.ts). */
import type { EmbeddedCosmos, EmbeddedCosmosOptions } from '../cosmos/index.js';
import type { FaultSettings, GlobalBatchTiming, ModelSimulatorOptions } from '../model-simulator/index.js';
import type { ServiceBusEmulator, ServiceBusEmulatorOptions } from '../servicebus/index.js';
import type { MessagePort } from 'node:worker_threads';

export type EmulatorName = 'cosmos' | 'serviceBus' | 'model';

/** Which emulators one worker runs, with their usual options (plain data: they are cloned). */
export interface EmulatorThreadSpec {
  readonly cosmos?: EmbeddedCosmosOptions;
  readonly serviceBus?: ServiceBusEmulatorOptions;
  readonly model?: ModelSimulatorOptions;
}

export interface WorkerInit {
  readonly spec: EmulatorThreadSpec;
  /** The worker's end of the synchronous control channel (sync-call.ts). */
  readonly control: MessagePort;
  readonly signal: SharedArrayBuffer;
}

/** What the worker reports once its emulators listen (or why they could not start). */
export type StartupMessage =
  | {
      readonly type: 'ready';
      readonly cosmos?: {
        readonly endpoint: string;
        readonly key: string;
        readonly restored?: EmbeddedCosmos['restored'];
      };
      readonly serviceBus?: {
        readonly connectionString: string;
        readonly port: number;
        readonly statsUrl?: string;
        readonly restored?: ServiceBusEmulator['restored'];
      };
      readonly model?: { readonly url: string };
    }
  | { readonly type: 'failed'; readonly message: string };

/** Calls answered synchronously (the emulators' own methods are synchronous). */
export type SyncRequest =
  | { readonly op: 'serviceBus.stats' }
  | { readonly op: 'thread.heapUsed' }
  | { readonly op: 'model.stats' }
  | { readonly op: 'model.occupancy' }
  | { readonly op: 'model.resetStats' }
  | { readonly op: 'model.setFaults'; readonly settings: FaultSettings }
  | { readonly op: 'model.batchStats' }
  | { readonly op: 'model.setBatchTiming'; readonly timing: Partial<GlobalBatchTiming> };

/** Closing is asynchronous in every emulator; answered on the worker's parent port. */
export interface CloseRequest {
  readonly type: 'close';
  readonly id: number;
  readonly emulator: EmulatorName;
}

export interface CloseReply {
  readonly type: 'closed';
  readonly id: number;
  readonly error?: string;
}

export type Reply =
  { readonly ok: true; readonly value?: unknown } | { readonly ok: false; readonly message: string };
