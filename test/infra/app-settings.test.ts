/**
 * The app settings the compiled templates deploy agree with what the code reads (shared/config/schema.ts):
 * every variable the code needs in Azure is set, identity-based, nothing the template sets is unknown to
 * the code or the Functions host (a typo there would silently fall back to a default), nothing the code
 * refuses in Azure is there, and the platform's own configuration parser accepts the deployed settings.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/index.js';
import { EnvironmentSchema } from '../../shared/config/schema.js';
import { evaluatedSettings } from './arm-expression.js';
import { ENVIRONMENTS, appSettingsOf, compilerAvailable, scenarioSnapshot, snapshotOf } from './compiled.js';

const schemaKeys = Object.keys(EnvironmentSchema.shape);

/** Read by the Functions host and its extensions, not by shared/config. */
export const HOST_SETTINGS = [
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
  'ServiceBusConnection__credential',
  // An address, not a credential: the component refuses instrumentation-key ingestion (DisableLocalAuth).
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  // The host's request body cap, raised for 200 MB file uploads.
  'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT',
];

/** Set by the templates ahead of the code that reads it (none today). */
export const AHEAD_OF_CODE: readonly string[] = [];

/** Variables whose schema default is right for the local stack but wrong in Azure: the template sets each. */
const AZURE_REQUIRED = [
  'PIPELINE_ENVIRONMENT',
  'ServiceBusConnection__fullyQualifiedNamespace',
  'ServiceBusConnection__clientId',
  'COSMOS_ENDPOINT',
  'COSMOS_DATABASE',
  'AZURE_CLIENT_ID',
  'PUBLIC_BASE_URL',
  'MODEL_POOLS',
  'WEBHOOK_KEK_KEY_ID',
  'STORAGE_BLOB_ENDPOINT',
];

/**
 * Refused in Azure, by the code (local-emulator credentials) or by Flex Consumption (it manages runtime
 * and package itself), or a key where an identity belongs.
 */
export const REFUSED_IN_AZURE = [
  'ServiceBusConnection',
  'COSMOS_KEY',
  'STORAGE_CONNECTION_STRING',
  'MODEL_API_KEY',
  'AzureWebJobsStorage',
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'ENABLE_ORYX_BUILD',
  'DEPLOYMENT_STORAGE_CONNECTION_STRING',
  'APPINSIGHTS_INSTRUMENTATIONKEY',
];

function requiredBySchema(): string[] {
  const shape = EnvironmentSchema.shape as Record<
    string,
    { safeParse(value: unknown): { success: boolean } }
  >;
  return Object.entries(shape)
    .filter(([, schema]) => !schema.safeParse(undefined).success)
    .map(([key]) => key);
}

/** Everything wrong with a set of deployed settings (raw snapshot values). */
export function settingsProblems(settings: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const key of new Set([...requiredBySchema(), ...AZURE_REQUIRED]))
    if (!(key in settings)) problems.push(`${key} is not set`);
  for (const key of Object.keys(settings))
    if (!schemaKeys.includes(key) && !HOST_SETTINGS.includes(key) && !AHEAD_OF_CODE.includes(key))
      problems.push(`${key} is read by neither the code nor the host`);
  for (const key of REFUSED_IN_AZURE) if (key in settings) problems.push(`${key} is refused in Azure`);
  for (const key of ['ServiceBusConnection__credential', 'AzureWebJobsStorage__credential'])
    if (settings[key] !== 'managedidentity') problems.push(`${key} must be managedidentity`);
  for (const key of ['ServiceBusConnection__clientId', 'AzureWebJobsStorage__clientId', 'AZURE_CLIENT_ID'])
    if (
      !/^\[reference\('[^']*Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^']+', '[^']+'\)\.clientId\]$/.test(
        String(settings[key]),
      )
    )
      problems.push(`${key} must be the user-assigned identity's client id`);
  if (!/Authorization=AAD/.test(String(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING)))
    problems.push('APPLICATIONINSIGHTS_AUTHENTICATION_STRING must authorize with Entra ID');
  if (
    !/Microsoft\.KeyVault\/vaults\/[^/']+\/keys\/[^/']+'.*\)\.keyUri\]$/.test(
      String(settings.WEBHOOK_KEK_KEY_ID),
    )
  )
    problems.push("WEBHOOK_KEK_KEY_ID must be the Key Vault key's versionless keyUri");
  for (const key of Object.keys(settings).filter((name) =>
    /PEPPER|SECRET|KEK_BASE64|PASSWORD|_KEY$/.test(name),
  ))
    if (!/^@Microsoft\.KeyVault\(VaultName=[^;]+;SecretName=[^)]+\)$/.test(String(settings[key])))
      problems.push(`${key} must be a Key Vault reference`);
  return problems;
}

describe.skipIf(!compilerAvailable)('function app settings (compiled)', () => {
  describe.each(ENVIRONMENTS)('%s', (env) => {
    const settings = appSettingsOf(snapshotOf(env));

    it('set every variable the code requires and Azure needs, identity-based, nothing unknown or refused', () => {
      expect(Object.keys(settings).length).toBeGreaterThan(10);
      expect(settingsProblems(settings)).toEqual([]);
    });

    it("are accepted by the platform's own configuration parser (run-time values stood in)", () => {
      const config = parseConfig(evaluatedSettings(settings));
      expect(config.PIPELINE_ENVIRONMENT).toBe('azure');
      expect(config.serviceBus.kind).toBe('identity');
      expect(config.cosmos.kind).toBe('identity');
      const pools = Object.values(config.MODEL_POOLS).flat();
      expect(pools.length).toBeGreaterThan(0);
      for (const deployment of pools) {
        expect(deployment.auth).toBe('entra');
        // Real-time deployments, and the Global Batch deployment routing by deadline sends far work to.
        expect(['azure', 'globalBatch']).toContain(deployment.kind);
      }
    });
  });

  it('with the legacy KEK secret dropped, WEBHOOK_KEK_BASE64 is gone and the key id stays', () => {
    const settings = appSettingsOf(
      scenarioSnapshot({
        environmentName: 'test',
        location: 'swedencentral',
        legacyWebhookKekSecretName: '',
      }),
    );
    expect(settings).not.toHaveProperty('WEBHOOK_KEK_BASE64');
    expect(settingsProblems(settings)).toEqual([]);
  });

  describe('the checks fail on settings broken the way they guard against', () => {
    const settings = appSettingsOf(snapshotOf('dev'));
    it.each<[string, (s: Record<string, unknown>) => void]>([
      ['a required setting missing', (s) => delete s.COSMOS_ENDPOINT],
      ['a misspelt setting', (s) => (s.COSMOS_DATABSE = 'x')],
      ['a Cosmos DB key', (s) => (s.COSMOS_KEY = 'key')],
      [
        'a Service Bus connection string',
        (s) => (s.ServiceBusConnection = 'Endpoint=sb://x/;SharedAccessKey=y'),
      ],
      ['a Flex-managed setting', (s) => (s.FUNCTIONS_WORKER_RUNTIME = 'node')],
      [
        'host storage through a key instead of the identity',
        (s) => (s.AzureWebJobsStorage__credential = 'connectionstring'),
      ],
      [
        'a client id that is not the identity',
        (s) => (s.AZURE_CLIENT_ID = '00000000-0000-0000-0000-000000000000'),
      ],
      ['a secret as plain text', (s) => (s.API_KEY_PEPPER = 'a'.repeat(40))],
      ['the KEK key id missing', (s) => delete s.WEBHOOK_KEK_KEY_ID],
    ])('%s', (_label, breakIt) => {
      const broken = structuredClone(settings);
      breakIt(broken);
      expect(settingsProblems(broken).length).toBeGreaterThan(0);
    });

    it('the code itself refuses a Cosmos DB key in Azure (why it is on the refused list)', () => {
      const evaluated = evaluatedSettings(settings);
      expect(() => parseConfig({ ...evaluated, COSMOS_KEY: 'key' })).toThrow(/COSMOS_KEY/);
      expect(() => parseConfig({ ...evaluated, COSMOS_ENDPOINT: 'not a url' })).toThrow(/COSMOS_ENDPOINT/);
    });
  });
});
