import { describe, expect, it } from 'vitest';
import { InvalidEnvironmentError, parseConfig } from '../../../shared/config/index.js';

const local = {
  PIPELINE_ENVIRONMENT: 'local',
  COSMOS_ENDPOINT: 'http://127.0.0.1:8081/',
  COSMOS_KEY: 'k',
  ServiceBusConnection:
    'Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=a;SharedAccessKey=b;UseDevelopmentEmulator=true;',
};
const azure = {
  COSMOS_ENDPOINT: 'https://acct.documents.azure.com:443/',
  ServiceBusConnection__fullyQualifiedNamespace: 'ns.servicebus.windows.net',
  AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001',
};

describe('parseConfig', () => {
  it('uses keys and connection strings for the local emulators', () => {
    const config = parseConfig(local);
    expect(config.cosmos).toMatchObject({ kind: 'key', database: 'prompt-pipeline' });
    expect(config.serviceBus.kind).toBe('connectionString');
  });

  it('uses managed identity in Azure', () => {
    const config = parseConfig(azure);
    expect(config.PIPELINE_ENVIRONMENT).toBe('azure');
    expect(config.cosmos).toEqual({
      kind: 'identity',
      endpoint: azure.COSMOS_ENDPOINT,
      database: 'prompt-pipeline',
      clientId: azure.AZURE_CLIENT_ID,
    });
    expect(config.serviceBus).toEqual({
      kind: 'identity',
      fullyQualifiedNamespace: 'ns.servicebus.windows.net',
    });
  });

  it.each([
    ['a missing Cosmos endpoint', { ...azure, COSMOS_ENDPOINT: undefined }, 'COSMOS_ENDPOINT'],
    ['a malformed number', { ...azure, JOB_MAX_ATTEMPTS: 'many' }, 'JOB_MAX_ATTEMPTS'],
    [
      'no Service Bus setting',
      { COSMOS_ENDPOINT: azure.COSMOS_ENDPOINT },
      'ServiceBusConnection__fullyQualifiedNamespace',
    ],
    ['a Cosmos key in Azure', { ...azure, COSMOS_KEY: 'secret' }, 'COSMOS_KEY'],
    [
      'a SAS connection string in Azure',
      {
        COSMOS_ENDPOINT: azure.COSMOS_ENDPOINT,
        ServiceBusConnection:
          'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=b',
      },
      'ServiceBusConnection',
    ],
  ])('fails fast naming the variable for %s', (_case, env, variable) => {
    const error = (() => {
      try {
        parseConfig(env);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    expect((error as InvalidEnvironmentError).variables).toContain(variable);
    expect((error as InvalidEnvironmentError).message).toContain(variable);
    // The message names the variable, never a secret value.
    expect((error as InvalidEnvironmentError).message).not.toContain('secret');
  });
});
