/**
 * infra/definitions/queues.json and cosmos.json are the one source of truth for queues and containers:
 * main.bicep loads them with loadJsonContent and hands them to the Service Bus and Cosmos DB modules, and
 * every field a definition carries reaches the resource property of the same name. A field added to the
 * JSON but not mapped in Bicep (or a queue or container provisioned some other way) fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  calledFunction,
  descendants,
  infraDir,
  modules,
  objectProperties,
  readBicep,
  resources,
  stringLiteral,
  valueAt,
  variables,
  type BicepFile,
  type SyntaxNode,
} from './bicep-tree.js';

interface QueueDefinition {
  readonly name: string;
  readonly lockDuration: string;
  readonly maxDeliveryCount: number;
  readonly [key: string]: unknown;
}
interface ContainerDefinition {
  readonly name: string;
  readonly partitionKeyPaths: readonly string[];
  readonly [key: string]: unknown;
}

const queuesJson = JSON.parse(readFileSync(join(infraDir, 'definitions', 'queues.json'), 'utf8')) as {
  queues: QueueDefinition[];
};
const cosmosJson = JSON.parse(readFileSync(join(infraDir, 'definitions', 'cosmos.json'), 'utf8')) as {
  database: string;
  containers: ContainerDefinition[];
};
const main = readBicep(join(infraDir, 'main.bicep'));
const serviceBus = readBicep(join(infraDir, 'modules', 'servicebus.bicep'));
const cosmos = readBicep(join(infraDir, 'modules', 'cosmos.bicep'));

/** The main.bicep variable holding loadJsonContent('<path>'). */
function loadedVariable(file: BicepFile, path: string): string | undefined {
  for (const [name, value] of variables(file)) {
    if (value.type === 'call_expression' && calledFunction(value) === 'loadJsonContent') {
      const argument = value.childForFieldName('arguments')?.namedChildren[0];
      if (stringLiteral(argument) === path) return name;
    }
  }
  return undefined;
}

function moduleArgument(file: BicepFile, modulePath: string, parameter: string): string | undefined {
  const call = modules(file).find((module) => module.path === modulePath);
  return objectProperties(objectProperties(call?.body).get('params')).get(parameter)?.text;
}

/** `for <item> in <source>: {...}` of the resource of `type`: the loop variable, source and body. */
function loopOf(
  file: BicepFile,
  type: string,
): { item: string; source: string; body: SyntaxNode | undefined } {
  const resource = resources(file).find((candidate) => candidate.type === type);
  const loop = resource ? descendants(resource.node, 'for_statement')[0] : undefined;
  if (!resource || !loop) throw new Error(`${file.name}: no loop declares ${type}`);
  const [item, source] = loop.namedChildren;
  return { item: item?.text ?? '', source: source?.text ?? '', body: resource.body };
}

/** Every `<item>.<field>` the loop body reads. */
function fieldsRead(body: SyntaxNode | undefined, item: string): Set<string> {
  const read = new Set<string>();
  for (const member of body ? descendants(body, 'member_expression') : []) {
    if (member.childForFieldName('object')?.text === item)
      read.add(member.childForFieldName('property')?.text ?? '');
  }
  return read;
}

describe('queue definitions', () => {
  it('are loaded once by main.bicep and passed to the Service Bus module', () => {
    const variable = loadedVariable(main, 'definitions/queues.json');
    expect(variable).toBeDefined();
    expect(moduleArgument(main, 'modules/servicebus.bicep', 'queues')).toBe(`${variable}.queues`);
  });

  it('become one queue resource each, every field mapped to the property of the same name', () => {
    const loop = loopOf(serviceBus, 'Microsoft.ServiceBus/namespaces/queues');
    expect(loop.source).toBe('queues');
    expect(objectProperties(loop.body).get('name')?.text).toBe(`${loop.item}.name`);
    const read = fieldsRead(loop.body, loop.item);
    const properties = objectProperties(objectProperties(loop.body).get('properties'));
    for (const queue of queuesJson.queues) {
      for (const field of Object.keys(queue).filter((key) => key !== 'name' && key !== 'description')) {
        expect(read, `${queue.name}.${field} is read`).toContain(field);
        expect(properties.get(field)?.text, `properties.${field}`).toContain(`${loop.item}.${field}`);
      }
    }
  });

  it('respect Service Bus limits', () => {
    const names = queuesJson.queues.map((queue) => queue.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['intake', 'invoke', 'postprocess', 'persist', 'deliver']));
    for (const queue of queuesJson.queues) {
      expect(queue.name).toMatch(/^[a-z0-9][a-z0-9._-]{0,259}$/);
      // Lock duration is at most 5 minutes (ISO 8601 PTnM / PTnS).
      const match = /^PT(?:(\d+)M)?(?:(\d+)S)?$/.exec(queue.lockDuration);
      expect(match, queue.lockDuration).not.toBeNull();
      const seconds = Number(match?.[1] ?? 0) * 60 + Number(match?.[2] ?? 0);
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThanOrEqual(300);
      expect(queue.maxDeliveryCount).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('Cosmos DB definitions', () => {
  it('are loaded once by main.bicep and passed to the Cosmos DB module', () => {
    const variable = loadedVariable(main, 'definitions/cosmos.json');
    expect(variable).toBeDefined();
    expect(moduleArgument(main, 'modules/cosmos.bicep', 'definition')).toBe(variable);
  });

  it('declare the database and one container each, every field mapped', () => {
    const database = resources(cosmos).find(
      (resource) => resource.type === 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases',
    );
    expect(objectProperties(database?.body).get('name')?.text).toBe('definition.database');
    const loop = loopOf(cosmos, 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers');
    expect(loop.source).toBe('definition.containers');
    expect(objectProperties(loop.body).get('name')?.text).toBe(`${loop.item}.name`);
    const read = fieldsRead(loop.body, loop.item);
    const resource = valueAt(loop.body, 'properties.resource');
    for (const container of cosmosJson.containers) {
      for (const field of Object.keys(container).filter((key) => key !== 'description'))
        expect(read, `${container.name}.${field}`).toContain(field);
    }
    expect(valueAt(resource, 'partitionKey.paths')?.text).toBe(`${loop.item}.partitionKeyPaths`);
    expect(valueAt(resource, 'indexingPolicy')?.text).toBe(`${loop.item}.indexingPolicy`);
    expect(valueAt(resource, 'defaultTtl')?.text).toBe(`${loop.item}.defaultTtl`);
  });

  it('grant data access through sqlRoleAssignments scoped to the database, with the built-in Data Contributor', () => {
    const assignment = resources(cosmos).find(
      (resource) => resource.type === 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments',
    );
    expect(assignment).toBeDefined();
    expect(valueAt(assignment?.body, 'properties.roleDefinitionId')?.text).toContain(
      'sqlRoleDefinitions/${dataContributorRoleDefinitionId}',
    );
    expect(variables(cosmos).get('dataContributorRoleDefinitionId')?.text).toBe(
      "'00000000-0000-0000-0000-000000000002'",
    );
    expect(valueAt(assignment?.body, 'properties.scope')?.text).toContain('/dbs/${definition.database}');
  });

  it('keep payload paths out of the index and the partition key in it', () => {
    const names = cosmosJson.containers.map((container) => container.name);
    expect(new Set(names).size).toBe(names.length);
    for (const container of cosmosJson.containers) {
      expect(container.partitionKeyPaths.length).toBeGreaterThanOrEqual(1);
      expect(container.partitionKeyPaths.length).toBeLessThanOrEqual(3);
      for (const path of container.partitionKeyPaths) expect(path).toMatch(/^\/[A-Za-z0-9_]+$/);
      const policy = container.indexingPolicy as { indexingMode: string; excludedPaths: { path: string }[] };
      if (policy.indexingMode === 'none') continue;
      for (const path of container.partitionKeyPaths) {
        expect(policy.excludedPaths.map((excluded) => excluded.path)).not.toContain(`${path}/?`);
      }
    }
    const jobs = cosmosJson.containers.find((container) => container.name === 'jobs')?.indexingPolicy as {
      excludedPaths: { path: string }[];
    };
    expect(jobs.excludedPaths.map((excluded) => excluded.path)).toEqual(
      expect.arrayContaining(['/request/*', '/result/*']),
    );
  });
});
