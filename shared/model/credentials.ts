/**
 * Entra ID for Azure OpenAI: a bearer token provider for the Cognitive Services scope. In Azure the
 * Function App's user-assigned managed identity (AZURE_CLIENT_ID) signs in; elsewhere DefaultAzureCredential
 * picks up a developer's `az login`. No keys in Azure.
 */
import {
  DefaultAzureCredential,
  ManagedIdentityCredential,
  getBearerTokenProvider,
  type TokenCredential,
} from '@azure/identity';

export const COGNITIVE_SERVICES_SCOPE = 'https://cognitiveservices.azure.com/.default';

export function defaultModelCredential(options: { azure: boolean; clientId?: string }): TokenCredential {
  if (options.azure) {
    // ManagedIdentityCredential directly: DefaultAzureCredential's chain only adds start-up latency there.
    return options.clientId
      ? new ManagedIdentityCredential({ clientId: options.clientId })
      : new ManagedIdentityCredential();
  }
  return new DefaultAzureCredential(options.clientId ? { managedIdentityClientId: options.clientId } : {});
}

/** The SDK calls this per request; the provider caches the token and refreshes it before it expires. */
export function entraTokenProvider(credential: TokenCredential): () => Promise<string> {
  return getBearerTokenProvider(credential, COGNITIVE_SERVICES_SCOPE);
}
