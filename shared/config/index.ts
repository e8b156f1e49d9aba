/**
 * The one module that reads `process.env`. Parsed once, on first use; a missing or malformed variable
 * fails at start-up naming the variable, never later in the middle of a message.
 */
import { EnvironmentSchema, type Environment } from './schema.js';
import { storageSettings, type StorageSettings } from './storage.js';

export type Config = Environment & {
  readonly serviceBus:
    | { readonly kind: 'connectionString'; readonly connectionString: string }
    | { readonly kind: 'identity'; readonly fullyQualifiedNamespace: string; readonly clientId?: string };
  readonly cosmos:
    | { readonly kind: 'key'; readonly endpoint: string; readonly key: string; readonly database: string }
    | {
        readonly kind: 'identity';
        readonly endpoint: string;
        readonly database: string;
        readonly clientId?: string;
      };
  readonly storage: StorageSettings;
};

/**
 * The environment does not describe a platform that can start: thrown at start-up, naming the
 * variables. Not to be confused with ConfigurationError (shared/errors), which a running platform raises
 * when a dependency refuses its configuration (401/403) and retries later.
 */
export class InvalidEnvironmentError extends Error {
  constructor(
    readonly variables: readonly string[],
    detail: string,
  ) {
    super(`Invalid configuration: ${detail}`);
    this.name = 'InvalidEnvironmentError';
  }
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    const variables = parsed.error.issues.map((issue) => String(issue.path[0] ?? '?'));
    const detail = parsed.error.issues
      .map((issue) => `${String(issue.path[0])}: ${issue.message}`)
      .join('; ');
    throw new InvalidEnvironmentError(variables, detail);
  }
  const values = parsed.data;
  return {
    ...values,
    serviceBus: serviceBusSettings(values),
    cosmos: cosmosSettings(values),
    storage: storageSettings(values, (variables, detail) => new InvalidEnvironmentError(variables, detail)),
  };
}

function serviceBusSettings(values: Environment): Config['serviceBus'] {
  if (values.ServiceBusConnection__fullyQualifiedNamespace) {
    return {
      kind: 'identity',
      fullyQualifiedNamespace: values.ServiceBusConnection__fullyQualifiedNamespace,
      ...(values.ServiceBusConnection__clientId ? { clientId: values.ServiceBusConnection__clientId } : {}),
    };
  }
  if (values.ServiceBusConnection) {
    if (
      values.PIPELINE_ENVIRONMENT === 'azure' &&
      !values.ServiceBusConnection.includes('UseDevelopmentEmulator=true')
    ) {
      // Keyless in Azure: a SAS connection string there means someone bypassed managed identity.
      throw new InvalidEnvironmentError(
        ['ServiceBusConnection'],
        'ServiceBusConnection: use ServiceBusConnection__fullyQualifiedNamespace with managed identity in Azure',
      );
    }
    return { kind: 'connectionString', connectionString: values.ServiceBusConnection };
  }
  throw new InvalidEnvironmentError(
    ['ServiceBusConnection__fullyQualifiedNamespace'],
    'ServiceBusConnection__fullyQualifiedNamespace (or ServiceBusConnection for the local emulator) is required',
  );
}

function cosmosSettings(values: Environment): Config['cosmos'] {
  if (values.COSMOS_KEY) {
    if (values.PIPELINE_ENVIRONMENT === 'azure') {
      throw new InvalidEnvironmentError(
        ['COSMOS_KEY'],
        'COSMOS_KEY: keys are for the local emulator only; Azure uses managed identity',
      );
    }
    return {
      kind: 'key',
      endpoint: values.COSMOS_ENDPOINT,
      key: values.COSMOS_KEY,
      database: values.COSMOS_DATABASE,
    };
  }
  return {
    kind: 'identity',
    endpoint: values.COSMOS_ENDPOINT,
    database: values.COSMOS_DATABASE,
    ...(values.AZURE_CLIENT_ID ? { clientId: values.AZURE_CLIENT_ID } : {}),
  };
}

let cached: Config | undefined;

/** The process-wide configuration, parsed on first call. */
export function getConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
