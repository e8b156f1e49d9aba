/**
 * infra/definitions/queues.json and cosmos.json are the one source of truth for queues and containers:
 * main.bicep loads them with loadJsonContent, and arm.test.ts checks on the compiled snapshot that every
 * queue and container is deployed with every field. Here: the definitions themselves respect the service
 * limits, and every workbook query file is used by a template.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { infraDir } from '../../infra/scripts/build.js';

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
const bicepSources = readdirSync(infraDir, { withFileTypes: true, recursive: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.bicep'))
  .map((entry) => ({
    dir: entry.parentPath,
    text: readFileSync(join(entry.parentPath, entry.name), 'utf8'),
  }));

it('main.bicep loads both definition files', () => {
  const main = readFileSync(join(infraDir, 'main.bicep'), 'utf8');
  expect(main).toContain("loadJsonContent('definitions/queues.json')");
  expect(main).toContain("loadJsonContent('definitions/cosmos.json')");
});

it('every query file under infra/workbooks is used by a template', () => {
  const loaded = bicepSources.flatMap(({ dir, text }) =>
    [...text.matchAll(/loadTextContent\('([^']+\.kql)'\)/g)].map((m) => join(dir, m[1] ?? '')),
  );
  const queries = readdirSync(join(infraDir, 'workbooks'))
    .filter((name) => name.endsWith('.kql'))
    .map((name) => join(infraDir, 'workbooks', name));
  expect(queries.length).toBeGreaterThan(5);
  expect(queries.filter((query) => !loaded.includes(query))).toEqual([]);
});

describe('queue definitions', () => {
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
