/**
 * Where files live: Blob Storage through the managed identity in Azure, or the local emulator (Azurite)
 * through its well-known development key. A connection string in Azure means someone bypassed the
 * identity (or shipped a key): refused at start-up, like the Cosmos DB key and the SAS connection string.
 */
import type { Environment } from './schema.js';

export type StorageSettings =
  | { readonly kind: 'identity'; readonly blobEndpoint: string }
  | { readonly kind: 'connectionString'; readonly connectionString: string }
  /** No Blob Storage configured: the Files API answers 503 and nothing else is affected. */
  | { readonly kind: 'none' };

export function storageSettings(
  values: Environment,
  invalid: (variables: readonly string[], detail: string) => Error,
): StorageSettings {
  if (values.STORAGE_CONNECTION_STRING) {
    if (values.PIPELINE_ENVIRONMENT === 'azure') {
      throw invalid(
        ['STORAGE_CONNECTION_STRING'],
        'STORAGE_CONNECTION_STRING: connection strings are for the local emulator only; Azure uses STORAGE_BLOB_ENDPOINT with managed identity',
      );
    }
    return { kind: 'connectionString', connectionString: values.STORAGE_CONNECTION_STRING };
  }
  if (values.STORAGE_BLOB_ENDPOINT) return { kind: 'identity', blobEndpoint: values.STORAGE_BLOB_ENDPOINT };
  return { kind: 'none' };
}
