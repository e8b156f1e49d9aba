/**
 * The parts of `host.json` the dev host honours, with the Functions runtime's defaults where the file is
 * silent (https://learn.microsoft.com/azure/azure-functions/functions-bindings-service-bus#hostjson-settings).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export interface ServiceBusHostSettings {
  readonly maxConcurrentCalls: number;
  /** true: the host settles by outcome and abandons on throw; false: a throw leaves the lock to expire. */
  readonly autoCompleteMessages: boolean;
  readonly maxAutoLockRenewalDurationMs: number;
  /** Read for completeness: the JS SDK's subscribe() keeps `maxConcurrentCalls` credits and has no prefetch. */
  readonly prefetchCount: number;
  /** `clientRetryOptions`, for the SDK client: how fast it retries and reconnects. */
  readonly clientRetry: {
    readonly mode: 'exponential' | 'fixed';
    readonly delayMs: number;
    readonly maxDelayMs: number;
    readonly maxRetries: number;
    readonly tryTimeoutMs: number;
  };
}

export interface HostSettings {
  /** `api` unless host.json says otherwise; '' serves functions at the root. */
  readonly routePrefix: string;
  readonly serviceBus: ServiceBusHostSettings;
}

const TIMESPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/;

/** .NET TimeSpan text as host.json uses it: `[d.]hh:mm:ss[.fffffff]`. */
export function parseTimeSpanMs(text: string): number {
  const match = TIMESPAN.exec(text.trim());
  if (!match) throw new Error(`host.json: invalid TimeSpan '${text}', expected [d.]hh:mm:ss[.fff]`);
  const [, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = ''] = match;
  const fractionMs = fraction ? Number(`0.${fraction}`) * 1000 : 0;
  return Math.round(
    ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 +
      Number(seconds) * 1000 +
      fractionMs,
  );
}

const HostJsonSchema = z.object({
  extensions: z
    .object({
      http: z.object({ routePrefix: z.string().optional() }).optional(),
      serviceBus: z
        .object({
          maxConcurrentCalls: z.number().int().positive().optional(),
          autoCompleteMessages: z.boolean().optional(),
          maxAutoLockRenewalDuration: z.string().optional(),
          prefetchCount: z.number().int().nonnegative().optional(),
          clientRetryOptions: z
            .object({
              mode: z.enum(['exponential', 'fixed']).optional(),
              tryTimeout: z.string().optional(),
              delay: z.string().optional(),
              maxDelay: z.string().optional(),
              maxRetries: z.number().int().nonnegative().optional(),
            })
            .optional(),
        })
        .optional(),
    })
    .optional(),
});

/** The nearest host.json above this module: the project root from source and from `dist/` alike. */
export function findHostJson(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let directory = from; ; directory = dirname(directory)) {
    const candidate = join(directory, 'host.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(directory) === directory) throw new Error(`host.json not found above ${from}`);
  }
}

/** Settings from a parsed host.json object (unknown keys ignored, wrong types rejected). */
export function toHostSettings(hostJson: unknown): HostSettings {
  const extensions = HostJsonSchema.parse(hostJson).extensions;
  const serviceBus = extensions?.serviceBus;
  const retry = serviceBus?.clientRetryOptions;
  return {
    routePrefix: (extensions?.http?.routePrefix ?? 'api').replace(/^\/+|\/+$/g, ''),
    serviceBus: {
      maxConcurrentCalls: serviceBus?.maxConcurrentCalls ?? 16,
      autoCompleteMessages: serviceBus?.autoCompleteMessages ?? true,
      maxAutoLockRenewalDurationMs: parseTimeSpanMs(serviceBus?.maxAutoLockRenewalDuration ?? '00:05:00'),
      prefetchCount: serviceBus?.prefetchCount ?? 0,
      // Defaults of the Functions Service Bus extension's ServiceBusRetryOptions.
      clientRetry: {
        mode: retry?.mode ?? 'exponential',
        delayMs: parseTimeSpanMs(retry?.delay ?? '00:00:00.80'),
        maxDelayMs: parseTimeSpanMs(retry?.maxDelay ?? '00:01:00'),
        maxRetries: retry?.maxRetries ?? 3,
        tryTimeoutMs: parseTimeSpanMs(retry?.tryTimeout ?? '00:01:00'),
      },
    },
  };
}

export function readHostSettings(path: string = findHostJson()): HostSettings {
  return toHostSettings(JSON.parse(readFileSync(path, 'utf8')));
}
