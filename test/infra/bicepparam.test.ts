/**
 * Parameter files are checked against main.bicep: the `using` target exists, every assigned parameter is
 * declared there, every parameter without a default is assigned, and a string value respects @allowed.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { infraDir, listFiles, parameters, readBicep, type ParameterDeclaration } from './bicep-tree.js';
import { parseBicepParam, readBicepParam, stringValue, type ParamFile } from './bicepparam.js';

function checkParamFile(file: ParamFile): string[] {
  const problems: string[] = [];
  if (!file.using) return [`${file.path}: no using statement`];
  const target = resolve(dirname(file.path), file.using);
  if (!existsSync(target)) return [`${file.path}: using target ${file.using} does not exist`];
  const declared = new Map<string, ParameterDeclaration>(
    parameters(readBicep(target)).map((p) => [p.name, p]),
  );
  for (const duplicate of file.duplicates) problems.push(`${file.path}: ${duplicate} assigned twice`);
  for (const [name, value] of file.assignments) {
    const parameter = declared.get(name);
    if (!parameter) {
      problems.push(`${file.path}: ${name} is not a parameter of ${file.using}`);
      continue;
    }
    const literal = stringValue(value);
    if (parameter.allowed && literal !== undefined && !parameter.allowed.includes(literal)) {
      problems.push(`${file.path}: ${name} = '${literal}' is not one of ${parameter.allowed.join(', ')}`);
    }
    if (parameter.type === 'int' && /^'/.test(value))
      problems.push(`${file.path}: ${name} is an int, got a string`);
    if (parameter.type === 'string' && /^-?\d+$/.test(value))
      problems.push(`${file.path}: ${name} is a string, got a number`);
  }
  for (const parameter of declared.values()) {
    if (!parameter.hasDefault && !file.assignments.has(parameter.name)) {
      problems.push(`${file.path}: required parameter ${parameter.name} is not set`);
    }
  }
  return problems;
}

const paramFiles = listFiles(infraDir, '.bicepparam');

describe('.bicepparam files', () => {
  it('exist for dev and prod', () => {
    expect(paramFiles.map((path) => path.slice(infraDir.length + 1))).toEqual(
      expect.arrayContaining(['dev.bicepparam', 'prod.bicepparam']),
    );
  });

  it.each(paramFiles.map((path) => [path.slice(infraDir.length + 1), path]))(
    '%s matches main.bicep',
    (_name, path) => {
      const file = readBicepParam(path);
      expect(file.using).toBe('./main.bicep');
      expect(file.assignments.size).toBeGreaterThan(3);
      expect(checkParamFile(file)).toEqual([]);
    },
  );

  it('sets the environment each file is named after', () => {
    for (const path of paramFiles) {
      const environment = path.slice(infraDir.length + 1).replace('.bicepparam', '');
      expect(stringValue(readBicepParam(path).assignments.get('environmentName') ?? '')).toBe(environment);
    }
  });

  it('prod keeps production defaults: purge protection, always-ready stages, Premium Service Bus', () => {
    const prod = readBicepParam(join(infraDir, 'prod.bicepparam')).assignments;
    expect(prod.get('keyVaultPurgeProtection')).toBe('true');
    expect(Number(prod.get('alwaysReadyInstanceCount'))).toBeGreaterThan(0);
    expect(prod.get('serviceBusSku')).toBe("'Premium'");
  });

  describe('the checker catches bad parameter files', () => {
    const at = join(infraDir, 'bad.bicepparam');
    it.each([
      [
        'an undeclared parameter',
        "using './main.bicep'\nparam environmentName = 'dev'\nparam noSuchParam = 1\n",
        'noSuchParam',
      ],
      ['a value outside @allowed', "using './main.bicep'\nparam environmentName = 'staging'\n", 'staging'],
      [
        'a missing required parameter',
        "using './main.bicep'\nparam location = 'westeurope'\n",
        'environmentName',
      ],
      ['a missing using target', "using './nope.bicep'\nparam environmentName = 'dev'\n", 'does not exist'],
      [
        'a duplicate assignment',
        "using './main.bicep'\nparam environmentName = 'dev'\nparam environmentName = 'prod'\n",
        'twice',
      ],
      [
        'a string for an int',
        "using './main.bicep'\nparam environmentName = 'dev'\nparam logRetentionDays = '30'\n",
        'int',
      ],
    ])('%s', (_label, source, expected) => {
      const problems = checkParamFile(parseBicepParam(source, at));
      expect(problems.join('\n')).toContain(expected);
    });

    it('multi-line values belong to their parameter', () => {
      const file = parseBicepParam(
        "using './main.bicep'\nparam tags = {\n  a: 'b'\n}\nparam environmentName = 'dev'\n",
        at,
      );
      expect(file.assignments.get('tags')).toContain("a: 'b'");
      expect(checkParamFile(file)).toEqual([]);
    });
  });
});
