/**
 * Every .bicep file parses with tree-sitter-bicep and keeps the house rules: keyless, local auth off,
 * shared keys off, no Flex-forbidden settings, well-formed role assignments, tags, existing modules.
 * Each rule is also run on a deliberately bad snippet, so a rule that cannot fail would be caught here.
 */
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { infraDir, listFiles, parseBicep, readBicep, resources, syntaxErrors } from './bicep-tree.js';
import { ALL_RULES, checkAll, type Rule } from './bicep-rules.js';

const bicepFiles = listFiles(infraDir, '.bicep');

describe('Bicep templates', () => {
  it('include main.bicep and one module per concern', () => {
    const names = bicepFiles.map((path) => path.slice(infraDir.length + 1));
    expect(names).toEqual(
      expect.arrayContaining([
        'main.bicep',
        'modules/identity.bicep',
        'modules/storage.bicep',
        'modules/monitoring.bicep',
        'modules/functionapp.bicep',
        'modules/servicebus.bicep',
        'modules/cosmos.bicep',
        'modules/openai.bicep',
        'modules/keyvault.bicep',
        'modules/alerts.bicep',
        'modules/workbook.bicep',
      ]),
    );
  });

  it.each(bicepFiles.map((path) => [path.slice(infraDir.length + 1), path]))(
    '%s parses without syntax errors',
    (_name, path) => {
      const file = readBicep(path);
      expect(syntaxErrors(file)).toEqual([]);
      expect(file.root.hasError).toBe(false);
    },
  );

  it.each(bicepFiles.map((path) => [path.slice(infraDir.length + 1), path]))(
    '%s keeps every house rule',
    (_name, path) => {
      expect(checkAll(readBicep(path))).toEqual([]);
    },
  );

  it('use every query file under infra/workbooks', () => {
    const loaded = bicepFiles.flatMap((path) => {
      const file = readBicep(path);
      return [...file.source.matchAll(/loadTextContent\('([^']+\.kql)'\)/g)].map((m) =>
        resolve(dirname(path), m[1] ?? ''),
      );
    });
    const queries = listFiles(join(infraDir, 'workbooks'), '.kql');
    expect(queries.length).toBeGreaterThan(5);
    expect(queries.filter((query) => !loaded.includes(query))).toEqual([]);
  });

  it('the parser reports a broken template (so the syntax check can fail)', () => {
    const broken = parseBicep(
      "resource sb 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {\n  name: 'x'\n",
    );
    expect(broken.root.hasError).toBe(true);
    expect(syntaxErrors(broken).length).toBeGreaterThan(0);
  });

  it('declares each data service with its keyless setting in the real templates', () => {
    const all = bicepFiles.flatMap((path) => resources(readBicep(path)));
    const types = new Set(all.filter((r) => !r.existing).map((r) => r.type));
    for (const type of [
      'Microsoft.ServiceBus/namespaces',
      'Microsoft.DocumentDB/databaseAccounts',
      'Microsoft.CognitiveServices/accounts',
      'Microsoft.Insights/components',
      'Microsoft.Storage/storageAccounts',
      'Microsoft.KeyVault/vaults',
      'Microsoft.ManagedIdentity/userAssignedIdentities',
      'Microsoft.Web/sites',
      'Microsoft.Web/serverfarms',
      'Microsoft.Insights/metricAlerts',
      'Microsoft.Insights/scheduledQueryRules',
      'Microsoft.Insights/workbooks',
      'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments',
    ]) {
      expect(types, type).toContain(type);
    }
  });
});

/** Bad snippets: each must be caught by the rule named. */
const badSnippets: ReadonlyArray<readonly [keyof typeof ALL_RULES, string]> = [
  ['noKeyListing', "var k = listKeys(stg.id, '2023-05-01').keys[0].value"],
  ['noKeyListing', 'var k = stg.listKeys().keys[0].value'],
  ['noKeyListing', 'var c = cosmos.listConnectionStrings().connectionStrings[0].connectionString'],
  ['noSecretOutputs', 'output storageConnectionString string = x'],
  ['noSecretOutputs', 'output endpoint string = appi.properties.ConnectionString'],
  [
    'noCredentialText',
    "var c = 'Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=b'",
  ],
  [
    'noSasRules',
    "resource r 'Microsoft.ServiceBus/namespaces/authorizationRules@2022-10-01-preview' = {\n  name: 'x'\n}",
  ],
  [
    'localAuthDisabled',
    "resource sb 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {\n  name: 'x'\n  location: 'l'\n  tags: {}\n  properties: {\n    disableLocalAuth: false\n  }\n}",
  ],
  [
    'localAuthDisabled',
    "resource c 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {\n  name: 'x'\n  location: 'l'\n  tags: {}\n  properties: {}\n}",
  ],
  [
    'localAuthDisabled',
    "resource o 'Microsoft.CognitiveServices/accounts@2024-10-01' = {\n  name: 'x'\n  location: 'l'\n  tags: {}\n  properties: {\n    disableLocalAuth: flag\n  }\n}",
  ],
  [
    'localAuthDisabled',
    "resource a 'Microsoft.Insights/components@2020-02-02' = {\n  name: 'x'\n  location: 'l'\n  tags: {}\n  properties: {\n    disableLocalAuth: true\n  }\n}",
  ],
  [
    'sharedKeyAccessOff',
    "resource s 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'x'\n  location: 'l'\n  tags: {}\n  properties: {\n    allowSharedKeyAccess: true\n  }\n}",
  ],
  ['noForbiddenSettings', "var s = {\n  FUNCTIONS_WORKER_RUNTIME: 'node'\n}"],
  ['noForbiddenSettings', "var s = [\n  {\n    name: 'WEBSITE_RUN_FROM_PACKAGE'\n    value: '1'\n  }\n]"],
  ['noForbiddenSettings', "var s = {\n  AzureWebJobsStorage: 'x'\n}"],
  [
    'roleAssignmentsWellFormed',
    "resource r 'Microsoft.Authorization/roleAssignments@2022-04-01' = {\n  name: 'fixed-name'\n  properties: {\n    principalType: 'ServicePrincipal'\n  }\n}",
  ],
  [
    'roleAssignmentsWellFormed',
    "resource r 'Microsoft.Authorization/roleAssignments@2022-04-01' = {\n  name: guid('a')\n  properties: {\n    principalId: p\n  }\n}",
  ],
  [
    'roleAssignmentsWellFormed',
    "resource r 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = {\n  name: 'x'\n}",
  ],
  [
    'taggedResources',
    "resource i 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {\n  name: 'x'\n  location: 'l'\n}",
  ],
  ['modulesExist', "module m 'modules/does-not-exist.bicep' = {\n  name: 'm'\n}"],
  ['loadedFilesExist', "var q = loadTextContent('workbooks/no-such-query.kql')"],
  ['loadedFilesExist', 'var d = loadJsonContent(path)'],
];

describe('house rules catch bad snippets', () => {
  it.each(badSnippets.map(([rule, source], index) => [`${rule} #${index}`, rule, source]))(
    '%s',
    (_label, rule, source) => {
      const file = parseBicep(source, `${infraDir}/snippet.bicep`);
      expect(file.root.hasError, 'the snippet itself must parse').toBe(false);
      const check: Rule | undefined = ALL_RULES[rule];
      if (!check) throw new Error(`no rule ${rule}`);
      const violations = check(file);
      expect(violations.length).toBeGreaterThan(0);
      expect(violations[0]!.line).toBeGreaterThan(0);
    },
  );

  it('accepts the good counterparts', () => {
    const good = parseBicep(
      [
        "resource sb 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {",
        "  name: 'x'",
        "  location: 'l'",
        '  tags: {}',
        '  properties: {',
        '    disableLocalAuth: true',
        '  }',
        '}',
        "resource r 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
        '  name: guid(sb.id, p)',
        '  scope: sb',
        '  properties: {',
        '    principalId: p',
        "    principalType: 'ServicePrincipal'",
        '  }',
        '}',
        "var settings = {\n  AzureWebJobsStorage__accountName: 'st'\n}",
        "output endpoint string = 'https://x'",
      ].join('\n'),
      `${infraDir}/snippet.bicep`,
    );
    expect(good.root.hasError).toBe(false);
    expect(checkAll(good)).toEqual([]);
  });
});
