/** The Service Bus client the host's queue triggers receive with, retrying as host.json's clientRetryOptions say. */
import type { TokenCredential } from '@azure/identity';
import { RetryMode, ServiceBusClient, type ServiceBusClientOptions } from '@azure/service-bus';
import type { ServiceBusHostSettings } from './host-settings.js';

/** A connection string (the local emulator) or, in Azure, the namespace and a credential (no keys). */
export type ServiceBusConnection =
  | { readonly connectionString: string }
  | { readonly fullyQualifiedNamespace: string; readonly credential: TokenCredential };

export function triggerClientOptions(retry: ServiceBusHostSettings['clientRetry']): ServiceBusClientOptions {
  return {
    retryOptions: {
      mode: retry.mode === 'exponential' ? RetryMode.Exponential : RetryMode.Fixed,
      retryDelayInMs: retry.delayMs,
      maxRetryDelayInMs: retry.maxDelayMs,
      maxRetries: retry.maxRetries,
      timeoutInMs: retry.tryTimeoutMs,
    },
  };
}

export function createTriggerClient(
  connection: ServiceBusConnection,
  retry: ServiceBusHostSettings['clientRetry'],
): ServiceBusClient {
  const options = triggerClientOptions(retry);
  return 'connectionString' in connection
    ? new ServiceBusClient(connection.connectionString, options)
    : new ServiceBusClient(connection.fullyQualifiedNamespace, connection.credential, options);
}
