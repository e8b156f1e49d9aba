/**
 * Checks on the compiler's output (see compiled.ts). Each returns the problems it finds as sentences, so a
 * test can assert none on the real templates and at least one on a copy broken on purpose.
 */
import { byType, strings, type ArmResource, type ArmTemplate, type Snapshot } from './compiled.js';

/** A property that must be a string, as text ('' otherwise). */
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

// ── Keyless ───────────────────────────────────────────────────────────────────────────────────────

/** Data-plane services and the property that turns their keys (local auth) off. */
export const LOCAL_AUTH_OFF: Readonly<Record<string, { property: string; value: boolean }>> = {
  'Microsoft.ServiceBus/namespaces': { property: 'disableLocalAuth', value: true },
  'Microsoft.DocumentDB/databaseAccounts': { property: 'disableLocalAuth', value: true },
  'Microsoft.CognitiveServices/accounts': { property: 'disableLocalAuth', value: true },
  'Microsoft.Insights/components': { property: 'DisableLocalAuth', value: true },
  'Microsoft.Storage/storageAccounts': { property: 'allowSharedKeyAccess', value: false },
  'Microsoft.KeyVault/vaults': { property: 'enableRbacAuthorization', value: true },
};

/** Credential shapes in text: connection strings with keys, SAS, account keys, instrumentation keys. */
const CREDENTIAL_TEXT =
  /AccountKey=|SharedAccessKey|SharedAccessSignature|sig=|primaryMasterKey|primaryKey|secondaryKey|InstrumentationKey=/i;
/** ARM's list* functions hand out keys, SAS and connection strings (listKeys, listConnectionStrings, ...). */
const LIST_CALL = /\blist[A-Z]?\w*\(/;
const SECRET_OUTPUT_NAME = /connection_?string|key$|keys$|secret|sas|password|token/i;

/** Every output in the template and every nested deployment (module). */
export function allOutputs(
  template: unknown,
  path = 'main',
): Array<{ path: string; name: string; value: unknown }> {
  const found: Array<{ path: string; name: string; value: unknown }> = [];
  const visit = (node: unknown, where: string): void => {
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.outputs && typeof record.outputs === 'object' && record.$schema) {
      for (const [name, output] of Object.entries(record.outputs as Record<string, { value?: unknown }>))
        found.push({ path: where, name, value: output.value });
    }
    for (const [key, child] of Object.entries(record))
      visit(child, key === 'template' ? `${where}>module` : where);
  };
  visit(template, path);
  return found;
}

export function keylessProblems(snapshot: Snapshot, template: ArmTemplate): string[] {
  const problems: string[] = [];
  for (const resource of snapshot.predictedResources) {
    const rule = LOCAL_AUTH_OFF[resource.type];
    if (rule && resource.properties?.[rule.property] !== rule.value)
      problems.push(`${resource.type} ${resource.name}: properties.${rule.property} must be ${rule.value}`);
    if (/\/authorizationRules$/i.test(resource.type))
      problems.push(`${resource.type} ${resource.name}: SAS authorization rules are key-based access`);
    if (
      resource.type === 'Microsoft.Web/sites/basicPublishingCredentialsPolicies' &&
      resource.properties?.allow !== false
    )
      problems.push(`${resource.name}: basic publishing credentials must be off`);
  }
  const cosmos = byType(snapshot, 'Microsoft.DocumentDB/databaseAccounts');
  for (const account of cosmos)
    if (account.properties?.disableKeyBasedMetadataWriteAccess !== true)
      problems.push(`${account.name}: disableKeyBasedMetadataWriteAccess must be true`);
  for (const { path, text } of strings(template)) {
    if (text.startsWith('[') && LIST_CALL.test(text))
      problems.push(`${path}: ${text.slice(0, 80)} lists keys or secrets`);
    if (CREDENTIAL_TEXT.test(text)) problems.push(`${path}: credential-shaped text ${text.slice(0, 80)}`);
  }
  for (const { path, text } of strings(snapshot.predictedResources)) {
    if (CREDENTIAL_TEXT.test(text)) problems.push(`${path}: credential-shaped text ${text.slice(0, 80)}`);
    if (text.startsWith('[') && LIST_CALL.test(text))
      problems.push(`${path}: ${text.slice(0, 80)} lists keys`);
  }
  for (const output of allOutputs(template)) {
    const value = JSON.stringify(output.value);
    if (SECRET_OUTPUT_NAME.test(output.name) && !/Name$|Id$/.test(output.name))
      problems.push(`output ${output.name} (${output.path}) looks like a credential`);
    if (LIST_CALL.test(value) || /connectionstring/i.test(value))
      problems.push(`output ${output.name} (${output.path}) exposes ${value.slice(0, 80)}`);
  }
  return problems;
}

// ── Role assignments ──────────────────────────────────────────────────────────────────────────────

/**
 * Every built-in role the templates grant, by its documented id, and the one resource type each may be
 * scoped to: the narrowest role that does the job, on the narrowest scope that exists.
 */
export const ROLES: ReadonlyArray<{ id: string; name: string; scope: string; why: string }> = [
  {
    id: '090c5cfd-751d-490a-894a-3ce6f1109419',
    name: 'Azure Service Bus Data Owner',
    scope: 'Microsoft.ServiceBus/namespaces',
    why: 'app: target-based scaling reads queue runtime properties (serviceBusTargetBasedScaling)',
  },
  {
    id: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0',
    name: 'Azure Service Bus Data Receiver',
    scope: 'Microsoft.ServiceBus/namespaces',
    why: 'app without target-based scaling: receive from every stage queue',
  },
  {
    id: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39',
    name: 'Azure Service Bus Data Sender',
    scope: 'Microsoft.ServiceBus/namespaces',
    why: 'app without target-based scaling: send to every stage queue',
  },
  {
    id: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39',
    name: 'Azure Service Bus Data Sender',
    scope: 'Microsoft.ServiceBus/namespaces/queues',
    why: 'producers: send to intake only',
  },
  {
    id: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    name: 'Storage Blob Data Owner',
    scope: 'Microsoft.Storage/storageAccounts',
    why: 'host storage (leases, keys) and the Flex deployment package',
  },
  {
    id: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
    name: 'Storage Blob Data Contributor',
    scope: 'Microsoft.Storage/storageAccounts/blobServices/containers',
    why: 'the Files API and claim checks: read, write and delete blobs in their containers (batch, batch-output, claim-checks) only',
  },
  {
    id: '3913510d-42f4-4e42-8a64-420c390055eb',
    name: 'Monitoring Metrics Publisher',
    scope: 'Microsoft.Insights/components',
    why: 'Entra-authenticated telemetry ingestion',
  },
  {
    id: '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd',
    name: 'Cognitive Services OpenAI User',
    scope: 'Microsoft.CognitiveServices/accounts',
    why: 'call model deployments, nothing else',
  },
  {
    id: '4633458b-17de-408a-b874-0445c86b69e6',
    name: 'Key Vault Secrets User',
    scope: 'Microsoft.KeyVault/vaults',
    why: 'read the legacy KEK secret and the API key pepper',
  },
  {
    id: 'e147488a-f6f5-4113-8e2d-b22465e65bf6',
    name: 'Key Vault Crypto Service Encryption User',
    scope: 'Microsoft.KeyVault/vaults/keys',
    why: 'wrap and unwrap webhook data keys with the KEK (get, wrapKey, unwrapKey only)',
  },
];

/** Cosmos DB data-plane built-in roles (sqlRoleDefinitions), scoped to the platform's database. */
export const COSMOS_ROLES = [
  { id: '00000000-0000-0000-0000-000000000002', name: 'Cosmos DB Built-in Data Contributor' },
];

/** The resource type a scope id names: /providers/A.B/x/n/y/m -> A.B/x/y. */
export function typeOfId(id: string): string {
  const providers = id.lastIndexOf('/providers/');
  const parts = id.slice(providers + '/providers/'.length).split('/');
  const namespace = parts[0] ?? '';
  const types = parts.slice(1).filter((_part, index) => index % 2 === 0);
  return [namespace, ...types].join('/');
}

/** The scope an Azure role assignment is written to, from its id: extensionResourceId('<scope>', ...). */
export function scopeOf(assignment: ArmResource): string {
  const match = /^\[extensionResourceId\('([^']+)'/.exec(assignment.id);
  if (match?.[1]) return match[1];
  return assignment.id.slice(0, assignment.id.indexOf('/providers/Microsoft.Authorization/'));
}

export function roleProblems(snapshot: Snapshot): string[] {
  const problems: string[] = [];
  for (const assignment of byType(snapshot, 'Microsoft.Authorization/roleAssignments')) {
    const roleId = str(assignment.properties?.roleDefinitionId).split('/').at(-1) ?? '';
    const scopeType = typeOfId(scopeOf(assignment));
    const allowed = ROLES.filter((role) => role.id === roleId);
    if (allowed.length === 0)
      problems.push(`${assignment.name}: role ${roleId} is not in the least-privilege table`);
    else if (!allowed.some((role) => role.scope === scopeType))
      problems.push(
        `${allowed[0]?.name} assigned on ${scopeType}; allowed only on ${allowed.map((r) => r.scope).join(', ')}`,
      );
    if (assignment.properties?.principalType !== 'ServicePrincipal')
      problems.push(`${assignment.name}: principalType must be ServicePrincipal`);
    // guid(...), or its value when every input was known at compile time: deterministic, so idempotent.
    if (!/^\[guid\(|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(assignment.name))
      problems.push(`${assignment.name}: name must be guid(...)`);
  }
  for (const assignment of byType(snapshot, 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments')) {
    const roleId = str(assignment.properties?.roleDefinitionId).split('/').at(-1) ?? '';
    if (!COSMOS_ROLES.some((role) => role.id === roleId))
      problems.push(`${assignment.name}: Cosmos DB role ${roleId} is not in the table`);
    if (!/\/dbs\/[^/]+$/.test(str(assignment.properties?.scope)))
      problems.push(`${assignment.name}: Cosmos DB data access must be scoped to the database`);
  }
  return problems;
}

/** Producers: exactly Azure Service Bus Data Sender, on the `intake` queue, nothing else. */
export function producerProblems(snapshot: Snapshot, producers: readonly string[]): string[] {
  const problems: string[] = [];
  for (const producer of producers) {
    const grants = byType(snapshot, 'Microsoft.Authorization/roleAssignments').filter(
      (assignment) => assignment.properties?.principalId === producer,
    );
    if (grants.length !== 1)
      problems.push(`producer ${producer} has ${grants.length} role assignments, want 1`);
    for (const grant of grants) {
      if (!str(grant.properties?.roleDefinitionId).endsWith('69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'))
        problems.push(`producer ${producer}: role must be Azure Service Bus Data Sender`);
      if (!/\/providers\/Microsoft\.ServiceBus\/namespaces\/[^/]+\/queues\/intake$/.test(scopeOf(grant)))
        problems.push(`producer ${producer}: scope ${scopeOf(grant)} is not the intake queue`);
    }
  }
  return problems;
}

// ── Queues and containers ─────────────────────────────────────────────────────────────────────────

export interface QueueDefinition {
  readonly name: string;
  readonly [field: string]: unknown;
}
export interface CosmosDefinition {
  readonly database: string;
  readonly containers: ReadonlyArray<{
    name: string;
    partitionKeyPaths: string[];
    defaultTtl: number;
    indexingPolicy: unknown;
  }>;
}

const lastSegment = (name: string): string => name.split('/').at(-1) ?? '';

export function queueProblems(
  snapshot: Snapshot,
  queues: readonly QueueDefinition[],
  premium: boolean,
): string[] {
  const problems: string[] = [];
  const deployed = new Map(
    byType(snapshot, 'Microsoft.ServiceBus/namespaces/queues').map((q) => [lastSegment(q.name), q]),
  );
  for (const queue of queues) {
    const resource = deployed.get(queue.name);
    if (!resource) {
      problems.push(`queue ${queue.name} is not deployed`);
      continue;
    }
    for (const [field, value] of Object.entries(queue)) {
      if (field === 'name' || field === 'description') continue;
      // Standard fixes the message size at 256 KB and refuses the property.
      const expected = field === 'maxMessageSizeInKilobytes' && !premium ? null : value;
      if (JSON.stringify(resource.properties?.[field] ?? null) !== JSON.stringify(expected))
        problems.push(
          `queue ${queue.name}: ${field} is ${JSON.stringify(resource.properties?.[field])}, want ${JSON.stringify(expected)}`,
        );
    }
  }
  for (const name of deployed.keys())
    if (!queues.some((queue) => queue.name === name)) problems.push(`queue ${name} is not in queues.json`);
  return problems;
}

interface ContainerResource {
  partitionKey?: { paths?: string[]; kind?: string };
  indexingPolicy?: unknown;
  defaultTtl?: number;
}

export function containerProblems(snapshot: Snapshot, definition: CosmosDefinition): string[] {
  const problems: string[] = [];
  const databases = byType(snapshot, 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases').map((d) =>
    lastSegment(d.name),
  );
  if (!databases.includes(definition.database))
    problems.push(`database ${definition.database} is not deployed`);
  const deployed = new Map(
    byType(snapshot, 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers').map((c) => [
      lastSegment(c.name),
      c,
    ]),
  );
  for (const container of definition.containers) {
    const resource = deployed.get(container.name)?.properties?.resource as ContainerResource | undefined;
    if (!resource) {
      problems.push(`container ${container.name} is not deployed`);
      continue;
    }
    if (JSON.stringify(resource.partitionKey?.paths) !== JSON.stringify(container.partitionKeyPaths))
      problems.push(
        `container ${container.name}: partition key ${JSON.stringify(resource.partitionKey?.paths)}`,
      );
    const kind = container.partitionKeyPaths.length > 1 ? 'MultiHash' : 'Hash';
    if (resource.partitionKey?.kind !== kind)
      problems.push(`container ${container.name}: partition key kind must be ${kind}`);
    if (JSON.stringify(resource.indexingPolicy) !== JSON.stringify(container.indexingPolicy))
      problems.push(`container ${container.name}: indexing policy differs from cosmos.json`);
    if (resource.defaultTtl !== container.defaultTtl)
      problems.push(`container ${container.name}: defaultTtl ${resource.defaultTtl}`);
  }
  for (const name of deployed.keys())
    if (!definition.containers.some((container) => container.name === name))
      problems.push(`container ${name} is not in cosmos.json`);
  return problems;
}

// ── Parameter files ───────────────────────────────────────────────────────────────────────────────

const ARM_TYPES: Readonly<Record<string, (value: unknown) => boolean>> = {
  string: (value) => typeof value === 'string',
  securestring: (value) => typeof value === 'string',
  int: (value) => Number.isInteger(value),
  bool: (value) => typeof value === 'boolean',
  array: (value) => Array.isArray(value),
  object: (value) => !!value && typeof value === 'object' && !Array.isArray(value),
  secureobject: (value) => !!value && typeof value === 'object',
};

/** A compiled parameters file against the compiled template: declared, typed, allowed, complete. */
export function parameterProblems(
  parameters: Record<string, { value: unknown }>,
  template: ArmTemplate,
): string[] {
  const problems: string[] = [];
  const declared = template.parameters ?? {};
  for (const [name, { value }] of Object.entries(parameters)) {
    const declaration = declared[name];
    if (!declaration) {
      problems.push(`${name} is not a parameter of main.bicep`);
      continue;
    }
    const check = ARM_TYPES[declaration.type.toLowerCase()];
    if (check && !check(value))
      problems.push(`${name}: ${JSON.stringify(value)} is not a ${declaration.type}`);
    if (declaration.allowedValues && !declaration.allowedValues.includes(value))
      problems.push(
        `${name}: ${JSON.stringify(value)} is not one of ${JSON.stringify(declaration.allowedValues)}`,
      );
  }
  for (const [name, declaration] of Object.entries(declared))
    if (
      !('defaultValue' in declaration) &&
      !(name in parameters) &&
      !(declaration as { nullable?: boolean }).nullable
    )
      problems.push(`required parameter ${name} is not set`);
  return problems;
}
