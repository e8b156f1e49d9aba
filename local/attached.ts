/**
 * The dev host against real Azure resources: configuration comes from the environment exactly as in a
 * Function App (shared/config), credentials from DefaultAzureCredential (your `az login` locally).
 */
import { DefaultAzureCredential } from '@azure/identity';
import { getConfig } from '../shared/config/index.js';
import { functionDefinitions } from '../functions/registry.js';
import { closeServices, getServices } from '../functions/services.js';
import { startDevHost } from './devhost/index.js';

export interface AttachedHost {
  readonly apiUrl: string;
  readonly cosmosEndpoint: string;
  readonly serviceBusNamespace: string;
  close(): Promise<void>;
}

export async function startAttachedHost(options: { port: number }): Promise<AttachedHost> {
  const config = getConfig();
  const services = await getServices();
  const serviceBus =
    config.serviceBus.kind === 'connectionString'
      ? { serviceBusConnectionString: config.serviceBus.connectionString }
      : {
          serviceBusIdentity: {
            fullyQualifiedNamespace: config.serviceBus.fullyQualifiedNamespace,
            credential: new DefaultAzureCredential(
              config.AZURE_CLIENT_ID ? { managedIdentityClientId: config.AZURE_CLIENT_ID } : {},
            ),
          },
        };
  const host = await startDevHost({
    definitions: functionDefinitions,
    port: options.port,
    ...serviceBus,
    log: services.logger,
  });
  return {
    apiUrl: `${host.url}/api`,
    cosmosEndpoint: config.cosmos.endpoint,
    serviceBusNamespace:
      config.serviceBus.kind === 'identity'
        ? config.serviceBus.fullyQualifiedNamespace
        : '(connection string)',
    async close() {
      await host.close();
      await closeServices();
    },
  };
}
