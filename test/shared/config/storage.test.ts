/** Blob Storage settings: the identity in Azure, the emulator's connection string only locally. */
import { describe, expect, it } from 'vitest';
import { InvalidEnvironmentError, parseConfig } from '../../../shared/config/index.js';

const base = {
  COSMOS_ENDPOINT: 'https://x.documents.azure.com',
  ServiceBusConnection__fullyQualifiedNamespace: 'x',
};

describe('storage settings', () => {
  it('uses the managed identity with STORAGE_BLOB_ENDPOINT', () => {
    const config = parseConfig({ ...base, STORAGE_BLOB_ENDPOINT: 'https://st.blob.core.windows.net' });
    expect(config.storage).toEqual({ kind: 'identity', blobEndpoint: 'https://st.blob.core.windows.net' });
  });

  it('refuses a connection string in Azure, naming the variable', () => {
    const parse = () => parseConfig({ ...base, STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' });
    expect(parse).toThrow(InvalidEnvironmentError);
    expect(parse).toThrow(/STORAGE_CONNECTION_STRING/);
  });

  it('takes the emulator connection string locally, and nothing when neither is set', () => {
    const local = { ...base, PIPELINE_ENVIRONMENT: 'local' };
    expect(parseConfig({ ...local, STORAGE_CONNECTION_STRING: 'c' }).storage).toEqual({
      kind: 'connectionString',
      connectionString: 'c',
    });
    expect(parseConfig(local).storage).toEqual({ kind: 'none' });
  });

  it('defaults the file limits to OpenAI batch limits', () => {
    const config = parseConfig(base);
    expect([config.FILES_MAX_BYTES, config.FILES_MAX_LINES]).toEqual([200 * 1024 * 1024, 100_000]);
  });
});
