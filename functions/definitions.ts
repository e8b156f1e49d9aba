/**
 * Function definitions: one list, two hosts. `functions/index.ts` registers each with the Azure Functions
 * runtime (`app.http`, `app.serviceBusQueue`, `app.timer`); the local dev host (`local/devhost`) runs the very same
 * definitions over its own HTTP server and Service Bus receivers. Handlers never know which host runs them.
 */
import type { HttpHandler, HttpMethod, InvocationContext } from '@azure/functions';

export interface HttpFunctionDefinition {
  readonly kind: 'http';
  readonly name: string;
  /** Route under the `/api` prefix, Azure Functions syntax: `v1/jobs/{id}`. */
  readonly route: string;
  readonly methods: readonly HttpMethod[];
  /** `stream`: the body reaches the handler as it arrives, under the handler's own limit. */
  readonly requestBody?: 'stream';
  readonly handler: HttpHandler;
}

/** What a queue handler sees of a Service Bus message, the same under both hosts. */
export interface QueueMessage {
  readonly body: unknown;
  readonly messageId: string;
  readonly deliveryCount: number;
  readonly applicationProperties: Readonly<Record<string, unknown>>;
  readonly contentType?: string;
  readonly correlationId?: string;
  readonly enqueuedTimeUtc?: Date;
  readonly sequenceNumber?: string;
}

/**
 * How the handler wants the message settled. Throwing means "abandon": the message comes back with
 * delivery count + 1 (the host's behaviour with autoCompleteMessages).
 */
export type QueueOutcome =
  | { readonly settle: 'complete' }
  | { readonly settle: 'deadLetter'; readonly reason: string; readonly description: string };

export interface QueueFunctionDefinition {
  readonly kind: 'serviceBusQueue';
  readonly name: string;
  readonly queueName: string;
  readonly handler: (message: QueueMessage, context: InvocationContext) => Promise<QueueOutcome>;
}

export interface TimerFunctionDefinition {
  readonly kind: 'timer';
  readonly name: string;
  /** NCRONTAB with seconds, as Azure Functions reads it: `0 * * * * *` is second 0 of every minute. */
  readonly schedule: string;
  readonly handler: (context: InvocationContext) => Promise<void>;
}

export type FunctionDefinition = HttpFunctionDefinition | QueueFunctionDefinition | TimerFunctionDefinition;
