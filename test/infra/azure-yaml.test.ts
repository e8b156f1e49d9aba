/**
 * azure.yaml is what `azd up` reads: it validates against the azd schema kept in tools/azd (written from
 * azd's published v1.0 schema, see tools/azd/README.md), provisions main.bicep with a parameters file whose
 * every parameter main.bicep declares, builds and checks the templates before provisioning, and deploys the
 * zip `npm run package` stages to the function app azd finds by its azd-service-name tag.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/scripts/bicep.js';
import { parameterProblems } from './arm-checks.js';
import { byType, compilerAvailable, mainTemplate, scenarioSnapshot } from './compiled.js';

const schema = JSON.parse(
  readFileSync(join(repoRoot, 'tools', 'azd', 'azure.yaml.schema.json'), 'utf8'),
) as object;
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);
const azureYaml = parse(readFileSync(join(repoRoot, 'azure.yaml'), 'utf8')) as Record<string, unknown>;

function errors(document: unknown): string[] {
  return validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

interface Service {
  project: string;
  host: string;
  dist: string;
  remoteBuild: boolean;
  hooks: Record<string, { run: string }>;
}

describe('azure.yaml', () => {
  it('is valid against the azd schema', () => {
    expect(errors(azureYaml)).toEqual([]);
  });

  it.each<[string, (doc: Record<string, unknown>) => void]>([
    ['a name with capitals', (doc) => (doc.name = 'Prompt_Pipeline')],
    ['an unknown top-level key', (doc) => (doc.servics = {})],
    [
      'a service without host',
      (doc) => delete (doc.services as Record<string, Record<string, unknown>>).api!.host,
    ],
    [
      'a function service without project',
      (doc) => delete (doc.services as Record<string, Record<string, unknown>>).api!.project,
    ],
    ['an unknown hook', (doc) => ((doc.hooks as Record<string, unknown>).beforeprovision = { run: 'x' })],
    ['a hook without run', (doc) => ((doc.hooks as Record<string, unknown>).preprovision = { shell: 'sh' })],
    [
      'remoteBuild on a non-function host',
      (doc) => ((doc.services as Record<string, Record<string, unknown>>).api!.host = 'appservice'),
    ],
  ])('the schema refuses %s', (_label, breakIt) => {
    const broken = structuredClone(azureYaml);
    breakIt(broken);
    expect(errors(broken).length).toBeGreaterThan(0);
  });

  it('provisions infra/main.bicep after the compiler checks, and deploys the packaged app', () => {
    expect(azureYaml.infra).toMatchObject({ provider: 'bicep', path: 'infra', module: 'main' });
    const hooks = azureYaml.hooks as Record<string, { run: string }>;
    expect(hooks.preprovision?.run).toMatch(/dotnet restore tools\/bicep.*npm run infra:build/);
    const api = (azureYaml.services as Record<string, Service>).api;
    expect(api).toMatchObject({ project: '.', host: 'function', dist: '.package/app' });
    expect(api?.hooks.prepackage?.run).toBe('npm run package');
    const scripts = (
      JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts.package).toBeDefined();
    expect(scripts['infra:build']).toBeDefined();
  });

  it.skipIf(!compilerAvailable)(
    'main.parameters.json sets only parameters main.bicep declares, typed',
    () => {
      const file = JSON.parse(readFileSync(join(repoRoot, 'infra', 'main.parameters.json'), 'utf8')) as {
        parameters: Record<string, { value: unknown }>;
      };
      // azd fills ${NAME} and ${NAME=default} from the azd environment; stand-ins of the right shape.
      const filled = JSON.parse(
        JSON.stringify(file.parameters).replace(
          /\$\{([A-Z_]+)(?:=([^}]*))?\}/g,
          (_m, name: string, fallback?: string) =>
            name === 'AZURE_LOCATION'
              ? 'swedencentral'
              : name === 'AZURE_ENV_NAME'
                ? 'pp-azd'
                : (fallback ?? '00000000-0000-0000-0000-000000000009'),
        ),
      ) as Record<string, { value: unknown }>;
      expect(parameterProblems(filled, mainTemplate())).toEqual([]);
    },
  );

  it.skipIf(!compilerAvailable)(
    'tags the function app for azd and the resource group with the azd environment',
    () => {
      const snapshot = scenarioSnapshot({
        environmentName: 'dev',
        location: 'swedencentral',
        azdEnvironmentName: 'pp-azd',
      });
      expect(byType(snapshot, 'Microsoft.Web/sites')[0]?.tags).toMatchObject({ 'azd-service-name': 'api' });
      expect(byType(snapshot, 'Microsoft.Resources/resourceGroups')[0]?.tags).toMatchObject({
        'azd-env-name': 'pp-azd',
      });
      expect(Object.keys(azureYaml.services as object)).toEqual(['api']);
    },
  );
});
