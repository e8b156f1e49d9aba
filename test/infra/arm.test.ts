/**
 * The templates as the real Bicep compiler builds them (infra/.build, see compiled.ts): keyless, least
 * privilege, every queue and container of infra/definitions deployed with its properties, both parameter
 * files valid for main.bicep. Every check also runs on a copy broken the way it guards against, so a
 * check that cannot fail is caught here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  COSMOS_ROLES,
  ROLES,
  containerProblems,
  keylessProblems,
  producerProblems,
  parameterProblems,
  queueProblems,
  roleProblems,
  scopeOf,
  typeOfId,
  type CosmosDefinition,
  type QueueDefinition,
} from './arm-checks.js';
import {
  ENVIRONMENTS,
  buildParamsText,
  buildResult,
  byType,
  clone,
  compilerAvailable,
  infraDir,
  mainTemplate,
  parametersOf,
  scenarioSnapshot,
  snapshotOf,
  type ArmResource,
} from './compiled.js';

const queues = (
  JSON.parse(readFileSync(join(infraDir, 'definitions', 'queues.json'), 'utf8')) as {
    queues: QueueDefinition[];
  }
).queues;
const cosmos = JSON.parse(
  readFileSync(join(infraDir, 'definitions', 'cosmos.json'), 'utf8'),
) as CosmosDefinition;
const premium = { dev: false, prod: true } as const;

const PRODUCER = 'aaaaaaaa-0000-0000-0000-000000000001';
const ADMIN = 'bbbbbbbb-0000-0000-0000-000000000002';
/** Producers, admins and Entra set; Service Bus without target-based scaling (Sender + Receiver). */
const accessScenario = {
  environmentName: 'test',
  location: 'swedencentral',
  producerPrincipalIds: [PRODUCER],
  adminPrincipalIds: [ADMIN],
  entraAudience: 'api://prompt-pipeline-test',
  serviceBusTargetBasedScaling: false,
};

const first = <T>(items: T[]): T => {
  const item = items[0];
  if (!item) throw new Error('none');
  return item;
};

describe.skipIf(!compilerAvailable)('compiled templates (Bicep CLI)', () => {
  it('npm run infra:build passes: zero warnings, no unexplained suppression', () => {
    expect(buildResult?.problems).toEqual([]);
    expect(buildResult?.ok).toBe(true);
  });

  describe.each(ENVIRONMENTS)('%s', (env) => {
    const snapshot = snapshotOf(env);

    it('creates every platform resource', () => {
      const types = new Set(snapshot.predictedResources.map((resource) => resource.type));
      for (const type of [
        'Microsoft.Resources/resourceGroups',
        'Microsoft.ManagedIdentity/userAssignedIdentities',
        'Microsoft.ServiceBus/namespaces',
        'Microsoft.DocumentDB/databaseAccounts',
        'Microsoft.CognitiveServices/accounts',
        'Microsoft.Insights/components',
        'Microsoft.Storage/storageAccounts',
        'Microsoft.KeyVault/vaults',
        'Microsoft.KeyVault/vaults/keys',
        'Microsoft.Web/sites',
        'Microsoft.Web/serverfarms',
        'Microsoft.Insights/metricAlerts',
        'Microsoft.Insights/scheduledQueryRules',
        'Microsoft.Insights/workbooks',
      ])
        expect(types, type).toContain(type);
    });

    it('is keyless: local auth off, no shared keys, no list*() or credentials in outputs or settings', () => {
      expect(keylessProblems(snapshot, mainTemplate())).toEqual([]);
    });

    it('grants every role least privilege, by its documented id, on its narrowest scope', () => {
      expect(roleProblems(snapshot)).toEqual([]);
      expect(byType(snapshot, 'Microsoft.Authorization/roleAssignments').length).toBeGreaterThanOrEqual(6);
    });

    it('deploys every queue of queues.json with its properties', () => {
      expect(queueProblems(snapshot, queues, premium[env])).toEqual([]);
    });

    it('deploys the database and every container of cosmos.json with its properties', () => {
      expect(containerProblems(snapshot, cosmos)).toEqual([]);
    });

    it(`${env}.bicepparam builds and sets only declared parameters, typed and allowed`, () => {
      const { parameters } = parametersOf(env);
      expect(parameters.environmentName?.value).toBe(env);
      expect(parameterProblems(parameters, mainTemplate())).toEqual([]);
    });

    it('runs the function app on Node.js 22 with GA API versions', () => {
      const site = first(byType(snapshot, 'Microsoft.Web/sites'));
      expect(site.properties?.functionAppConfig).toMatchObject({ runtime: { name: 'node', version: '22' } });
      const previews = snapshot.predictedResources.filter((resource) => /preview/i.test(resource.apiVersion));
      expect(previews.map((resource) => `${resource.type}@${resource.apiVersion}`)).toEqual([]);
    });

    it('creates the webhook KEK as a non-exportable RSA key for wrap/unwrap only', () => {
      const key = first(byType(snapshot, 'Microsoft.KeyVault/vaults/keys'));
      expect(key.properties).toMatchObject({ kty: 'RSA', keyOps: ['wrapKey', 'unwrapKey'] });
      expect(Number(key.properties?.keySize)).toBeGreaterThanOrEqual(3072);
    });
  });

  it('prod keeps production settings: purge protection, always-ready stages, Premium Service Bus', () => {
    const prod = parametersOf('prod').parameters;
    expect(prod.keyVaultPurgeProtection?.value).toBe(true);
    expect(Number(prod.alwaysReadyInstanceCount?.value)).toBeGreaterThan(0);
    expect(prod.serviceBusSku?.value).toBe('Premium');
  });

  describe('producers and admins', () => {
    const snapshot = scenarioSnapshot(accessScenario);
    const assignments = byType(snapshot, 'Microsoft.Authorization/roleAssignments');

    it('producers get Azure Service Bus Data Sender on the intake queue only', () => {
      const producer = assignments.filter((assignment) => assignment.properties?.principalId === PRODUCER);
      expect(producer).toHaveLength(1);
      const [grant] = producer as [ArmResource];
      expect(grant.properties?.roleDefinitionId).toMatch(/69a216fc-b8fb-44d8-bc22-1f3c2cd27a39$/);
      expect(typeOfId(scopeOf(grant))).toBe('Microsoft.ServiceBus/namespaces/queues');
      expect(scopeOf(grant)).toMatch(/\/queues\/intake$/);
      expect(producerProblems(snapshot, [PRODUCER])).toEqual([]);
      expect(roleProblems(snapshot)).toEqual([]);
    });

    it('without target-based scaling the app gets Data Sender + Data Receiver, not Data Owner', () => {
      const app = assignments.filter(
        (assignment) => typeOfId(scopeOf(assignment)) === 'Microsoft.ServiceBus/namespaces',
      );
      const roles = app.map((assignment) =>
        String(assignment.properties?.roleDefinitionId).split('/').at(-1),
      );
      expect(roles.sort()).toEqual([
        '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0',
        '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39',
      ]);
    });

    it('admins are mapped to the admin platform tenant in ENTRA_TENANT_MAP, with Entra sign-in on', () => {
      const settings = byType(snapshot, 'Microsoft.Web/sites/config')[0]?.properties ?? {};
      expect(settings.ENTRA_TENANT_ID).toBe('11111111-1111-1111-1111-111111111111');
      expect(settings.ENTRA_AUDIENCE).toBe(accessScenario.entraAudience);
      expect(JSON.parse(String(settings.ENTRA_TENANT_MAP))).toEqual([
        { tid: '11111111-1111-1111-1111-111111111111', oid: ADMIN, tenantId: 'platform-ops' },
      ]);
    });
  });

  describe('each check fails on a template broken the way it guards against', () => {
    const snapshot = snapshotOf('prod');
    const template = mainTemplate();
    const resource = (copy: typeof snapshot, type: string): ArmResource => first(byType(copy, type));

    it.each([
      [
        'Service Bus local auth on',
        (s: typeof snapshot) =>
          (resource(s, 'Microsoft.ServiceBus/namespaces').properties!.disableLocalAuth = false),
      ],
      [
        'Cosmos DB keys on',
        (s: typeof snapshot) =>
          delete resource(s, 'Microsoft.DocumentDB/databaseAccounts').properties!.disableLocalAuth,
      ],
      [
        'Azure OpenAI keys on',
        (s: typeof snapshot) =>
          (resource(s, 'Microsoft.CognitiveServices/accounts').properties!.disableLocalAuth = false),
      ],
      [
        'App Insights instrumentation-key ingestion on',
        (s: typeof snapshot) =>
          (resource(s, 'Microsoft.Insights/components').properties!.DisableLocalAuth = false),
      ],
      [
        'storage shared keys on',
        (s: typeof snapshot) =>
          (resource(s, 'Microsoft.Storage/storageAccounts').properties!.allowSharedKeyAccess = true),
      ],
      [
        'Key Vault access policies instead of RBAC',
        (s: typeof snapshot) =>
          (resource(s, 'Microsoft.KeyVault/vaults').properties!.enableRbacAuthorization = false),
      ],
      [
        'SCM basic auth on',
        (s: typeof snapshot) =>
          (resource(s, 'Microsoft.Web/sites/basicPublishingCredentialsPolicies').properties!.allow = true),
      ],
      [
        'a SAS rule',
        (s: typeof snapshot) =>
          s.predictedResources.push({
            id: 'x',
            type: 'Microsoft.ServiceBus/namespaces/authorizationRules',
            name: 'sb/send',
            apiVersion: '2026-01-01',
          }),
      ],
      [
        'a connection string with a key in a setting',
        (s: typeof snapshot) =>
          (resource(s, 'Microsoft.Web/sites/config').properties!.AzureWebJobsStorage =
            'DefaultEndpointsProtocol=https;AccountName=st;AccountKey=abc=='),
      ],
      [
        'listKeys() in a setting',
        (s: typeof snapshot) =>
          (resource(s, 'Microsoft.Web/sites/config').properties!.COSMOS_KEY =
            "[listKeys(resourceId('Microsoft.DocumentDB/databaseAccounts', 'c'), '2026-03-15').primaryMasterKey]"),
      ],
    ])('keyless: %s', (_label, breakIt) => {
      const broken = clone(snapshot);
      breakIt(broken);
      expect(keylessProblems(broken, template).length).toBeGreaterThan(0);
    });

    it('keyless: an output that lists keys or is named like a secret', () => {
      const broken = clone(template);
      broken.outputs = {
        ...broken.outputs,
        storageKey: {
          type: 'string',
          value:
            "[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st'), '2026-09-01').keys[0].value]",
        },
      };
      const problems = keylessProblems(snapshot, broken);
      expect(problems.join('\n')).toMatch(/storageKey/);
    });

    it.each([
      [
        'Owner instead of a data role',
        (a: ArmResource) =>
          (a.properties!.roleDefinitionId =
            '/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635'),
      ],
      [
        'Contributor',
        (a: ArmResource) =>
          (a.properties!.roleDefinitionId =
            '/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42d9-82f8-4a5fdd5d2702'),
      ],
      [
        'a role on the resource group instead of the resource',
        (a: ArmResource) =>
          (a.id = `[extensionResourceId('/subscriptions/s/resourceGroups/rg', 'Microsoft.Authorization/roleAssignments', 'x')]`),
      ],
      ['a user principal type', (a: ArmResource) => (a.properties!.principalType = 'User')],
      ['a fixed name', (a: ArmResource) => (a.name = 'my-assignment')],
    ])('roles: %s', (_label, breakIt) => {
      const broken = clone(snapshot);
      breakIt(first(byType(broken, 'Microsoft.Authorization/roleAssignments')));
      expect(roleProblems(broken).length).toBeGreaterThan(0);
    });

    it('roles: producers granted on the namespace instead of the intake queue', () => {
      const broken = clone(scenarioSnapshot(accessScenario));
      const grant = first(
        byType(broken, 'Microsoft.Authorization/roleAssignments').filter(
          (a) => a.properties?.principalId === PRODUCER,
        ),
      );
      grant.id = grant.id.replace('/queues/intake', '');
      expect(producerProblems(broken, [PRODUCER]).join('\n')).toMatch(/not the intake queue/);
      grant.id = grant.id.replace("', 'Microsoft.Authorization", "/queues/invoke', 'Microsoft.Authorization");
      expect(producerProblems(broken, [PRODUCER]).join('\n')).toMatch(/not the intake queue/);
      expect(producerProblems(broken, ['cccccccc-0000-0000-0000-000000000003']).join('\n')).toMatch(/0 role/);
    });

    it('roles: a Cosmos DB role beyond Data Contributor, or on the whole account', () => {
      const broken = clone(snapshot);
      const assignment = first(byType(broken, 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments'));
      assignment.properties!.roleDefinitionId = 'x/sqlRoleDefinitions/00000000-0000-0000-0000-000000000001';
      assignment.properties!.scope =
        '/subscriptions/s/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/c';
      expect(roleProblems(broken)).toHaveLength(2);
    });

    it.each([
      [
        'a queue missing',
        (s: typeof snapshot) =>
          (s.predictedResources = s.predictedResources.filter((r) => !r.name.endsWith('/deliver'))),
      ],
      [
        'a lock duration changed',
        (s: typeof snapshot) =>
          (resource(s, 'Microsoft.ServiceBus/namespaces/queues').properties!.lockDuration = 'PT30S'),
      ],
      [
        'duplicate detection off',
        (s: typeof snapshot) =>
          (resource(s, 'Microsoft.ServiceBus/namespaces/queues').properties!.requiresDuplicateDetection =
            false),
      ],
      [
        'an extra queue',
        (s: typeof snapshot) =>
          s.predictedResources.push({
            ...resource(s, 'Microsoft.ServiceBus/namespaces/queues'),
            name: 'sb/stray',
          }),
      ],
    ])('queues: %s', (_label, breakIt) => {
      const broken = clone(snapshot);
      breakIt(broken);
      expect(queueProblems(broken, queues, true).length).toBeGreaterThan(0);
    });

    it.each([
      [
        'a container missing',
        (s: typeof snapshot) =>
          (s.predictedResources = s.predictedResources.filter((r) => !r.name.endsWith('/payloads'))),
      ],
      [
        'a partition key changed',
        (s: typeof snapshot) =>
          ((
            resource(s, 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers').properties!
              .resource as { partitionKey: { paths: string[] } }
          ).partitionKey.paths = ['/other']),
      ],
      [
        'an indexing policy changed',
        (s: typeof snapshot) =>
          ((
            resource(s, 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers').properties!
              .resource as { indexingPolicy: unknown }
          ).indexingPolicy = { indexingMode: 'consistent' }),
      ],
      [
        'a TTL changed',
        (s: typeof snapshot) =>
          ((
            resource(s, 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers').properties!
              .resource as { defaultTtl: number }
          ).defaultTtl = 5),
      ],
    ])('containers: %s', (_label, breakIt) => {
      const broken = clone(snapshot);
      breakIt(broken);
      expect(containerProblems(broken, cosmos).length).toBeGreaterThan(0);
    });

    it.each([
      ['an undeclared parameter', { noSuchParam: { value: 1 } }, 'noSuchParam'],
      ['a value outside @allowed', { environmentName: { value: 'staging' } }, 'staging'],
      [
        'a string for an int',
        { environmentName: { value: 'dev' }, logRetentionDays: { value: '30' } },
        'logRetentionDays',
      ],
      ['a missing required parameter', {}, 'environmentName'],
    ])('parameters: %s', (_label, parameters, expected) => {
      expect(parameterProblems(parameters, template).join('\n')).toContain(expected);
    });

    it('parameters: the compiler itself refuses a parameter file with an undeclared parameter', () => {
      const bad = buildParamsText(
        "using '../../../main.bicep'\n\nparam environmentName = 'dev'\nparam noSuchParam = 1\n",
      );
      expect(bad.status).not.toBe(0);
      expect(bad.output).toMatch(/noSuchParam/);
      const badSku = buildParamsText(
        "using '../../../main.bicep'\n\nparam environmentName = 'dev'\nparam openAiDeployments = [\n  {\n    alias: 'a'\n    name: 'a'\n    model: 'gpt-4o-mini'\n    version: '2024-07-18'\n    skuName: 'Cheap'\n    capacity: 1\n  }\n]\n",
      );
      expect(badSku.status, 'a SKU outside the modelDeployment type').not.toBe(0);
      const good = buildParamsText("using '../../../main.bicep'\n\nparam environmentName = 'dev'\n");
      expect(good.status, good.output).toBe(0);
    });
  });

  it('the tables name each role once per scope', () => {
    expect(new Set(ROLES.map((role) => `${role.id}@${role.scope}`)).size).toBe(ROLES.length);
    expect(COSMOS_ROLES).toHaveLength(1);
  });
});
