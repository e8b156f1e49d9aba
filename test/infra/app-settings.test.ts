/**
 * The app settings the templates deploy agree with what the code reads (shared/config/schema.ts): every
 * variable the code needs in Azure is set, identity-based, and nothing the template sets is unknown to the
 * code or the Functions host (a typo there would silently fall back to a default).
 */
import { describe, expect, it } from 'vitest';
import { EnvironmentSchema } from '../../shared/config/schema.js';
import { DeploymentSettingsSchema } from '../../shared/model/settings.js';
import { join } from 'node:path';
import {
  descendants,
  infraDir,
  objectProperties,
  parseBicep,
  readBicep,
  stringLiteral,
  variables,
} from './bicep-tree.js';
import { appSettingsFrom, deployedAppSettings } from './app-settings.js';

const settings = deployedAppSettings();
const schemaKeys = Object.keys(EnvironmentSchema.shape);

/** Read by the Functions host and its extensions, not by shared/config. */
const HOST_SETTINGS = new Set([
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
  'ServiceBusConnection__credential',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
]);

/**
 * Variables whose schema default is right for the local stack but wrong in Azure (the default points at
 * the simulator, or Azure needs them set): the template must set each one.
 */
const AZURE_REQUIRED = [
  'PIPELINE_ENVIRONMENT',
  'ServiceBusConnection__fullyQualifiedNamespace',
  'ServiceBusConnection__clientId',
  'COSMOS_ENDPOINT',
  'COSMOS_DATABASE',
  'AZURE_CLIENT_ID',
  'PUBLIC_BASE_URL',
  'MODEL_POOLS',
  'WEBHOOK_KEK_BASE64',
];

/** Local-emulator credentials the config module refuses in Azure. */
const LOCAL_ONLY = ['ServiceBusConnection', 'COSMOS_KEY', 'MODEL_API_KEY'];

function requiredBySchema(): string[] {
  const shape = EnvironmentSchema.shape as Record<
    string,
    { safeParse(value: unknown): { success: boolean } }
  >;
  return Object.entries(shape)
    .filter(([, schema]) => !schema.safeParse(undefined).success)
    .map(([key]) => key);
}

describe('function app settings', () => {
  it('are found in the templates', () => {
    expect(settings.size).toBeGreaterThan(10);
  });

  it('set every variable the code requires, and every one Azure needs', () => {
    const missing = [...new Set([...requiredBySchema(), ...AZURE_REQUIRED])].filter(
      (key) => !settings.has(key),
    );
    expect(missing).toEqual([]);
  });

  it('are all known to the code or the Functions host', () => {
    const unknown = [...settings.keys()].filter(
      (key) => !schemaKeys.includes(key) && !HOST_SETTINGS.has(key),
    );
    expect(unknown).toEqual([]);
  });

  it('never set a local-only credential', () => {
    expect(LOCAL_ONLY.filter((key) => settings.has(key))).toEqual([]);
  });

  it('connect with the managed identity', () => {
    expect(settings.get('PIPELINE_ENVIRONMENT')?.literal).toBe('azure');
    expect(settings.get('ServiceBusConnection__credential')?.literal).toBe('managedidentity');
    expect(settings.get('AzureWebJobsStorage__credential')?.literal).toBe('managedidentity');
    for (const key of [
      'ServiceBusConnection__clientId',
      'AzureWebJobsStorage__clientId',
      'AZURE_CLIENT_ID',
    ]) {
      expect(settings.get(key)?.value, key).toBe('identityClientId');
    }
    expect(settings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')?.value).toContain('Authorization=AAD');
    expect(settings.get('WEBHOOK_KEK_BASE64')?.value).toBe('keyVault.outputs.webhookKekReference');
  });

  it('carry secrets only as Key Vault references resolved with the identity', () => {
    const secretShaped = [...settings.keys()].filter((key) => /PEPPER|SECRET|KEK|PASSWORD|_KEY$/.test(key));
    expect(secretShaped).toEqual(expect.arrayContaining(['WEBHOOK_KEK_BASE64', 'API_KEY_PEPPER']));
    for (const key of secretShaped) {
      expect(settings.get(key)?.value, key).toMatch(/@Microsoft\.KeyVault\(|keyVault\.outputs\.\w+Reference/);
    }
  });

  it('build MODEL_POOLS entries the model layer accepts (its schema is strict)', () => {
    expect(settings.get('MODEL_POOLS')?.value).toContain('generatedModelPools');
    const main = readBicep(join(infraDir, 'main.bicep'));
    const pools = variables(main).get('generatedModelPools');
    const entry = pools ? descendants(pools, 'object')[0] : undefined;
    const fields = objectProperties(entry);
    const allowed = Object.keys(DeploymentSettingsSchema.shape);
    expect([...fields.keys()].filter((key) => !allowed.includes(key))).toEqual([]);
    // Every field the schema requires is present.
    const shape = DeploymentSettingsSchema.shape as Record<
      string,
      { safeParse(value: unknown): { success: boolean } }
    >;
    const required = Object.entries(shape)
      .filter(([, schema]) => !schema.safeParse(undefined).success)
      .map(([key]) => key);
    expect(required.filter((key) => !fields.has(key))).toEqual([]);
    expect(stringLiteral(fields.get('auth'))).toBe('entra');
    expect(stringLiteral(fields.get('kind'))).toBe('azure');
  });

  it('the reader follows union(), variables, module arguments and ternaries (and so can miss a setting)', () => {
    const app = parseBicep(
      [
        'param platform object',
        'param extra object = {',
        "  FROM_DEFAULT: 'd'",
        '}',
        "var base = { FROM_VAR: 'v' }",
        "resource site 'Microsoft.Web/sites@2024-04-01' existing = {",
        "  name: 'x'",
        "  resource cfg 'config' = {",
        "    name: 'appsettings'",
        "    properties: union(base, platform, extra, flag ? { FROM_TERNARY: 't' } : {})",
        '  }',
        '}',
      ].join('\n'),
      `${infraDir}/modules/app.bicep`,
    );
    const caller = parseBicep(
      "module app 'modules/app.bicep' = {\n  name: 'app'\n  params: {\n    platform: {\n      FROM_CALLER: 'c'\n    }\n  }\n}",
      `${infraDir}/main.bicep`,
    );
    expect(app.root.hasError).toBe(false);
    expect(caller.root.hasError).toBe(false);
    const found = appSettingsFrom(app, caller, 'app');
    expect([...found.keys()].sort()).toEqual(['FROM_CALLER', 'FROM_DEFAULT', 'FROM_TERNARY', 'FROM_VAR']);
    // Without the caller's arguments the caller's settings are missing, which the required check would flag.
    expect(appSettingsFrom(app, parseBicep('', `${infraDir}/main.bicep`), 'app').has('FROM_CALLER')).toBe(
      false,
    );
  });
});
