/**
 * Resource names stay within each resource type's limits for the longest values the parameters allow:
 * the compiler evaluates main.bicep's names for an 8-character workload name (its @maxLength) and a
 * 4-character environment (the longest @allowed value), and each name is checked against its type's
 * length limit and character set.
 */
import { describe, expect, it } from 'vitest';
import { compilerAvailable, mainTemplate, scenarioSnapshot, type ArmResource } from './compiled.js';

// Limits from the Azure naming rules (Microsoft.Web sites are held to 32: Flex Consumption app names and
// their host names are kept short so the default host name stays valid).
export const LIMITS: Readonly<Record<string, { max: number; characters: RegExp }>> = {
  'Microsoft.Resources/resourceGroups': { max: 90, characters: /^[\w.()-]*[\w()-]$/ },
  'Microsoft.ManagedIdentity/userAssignedIdentities': { max: 128, characters: /^[a-zA-Z0-9_-]+$/ },
  'Microsoft.Storage/storageAccounts': { max: 24, characters: /^[a-z0-9]{3,}$/ },
  'Microsoft.OperationalInsights/workspaces': { max: 63, characters: /^[a-zA-Z0-9-]+$/ },
  'Microsoft.Insights/components': { max: 260, characters: /^[a-zA-Z0-9_.()-]+$/ },
  'Microsoft.Web/serverfarms': { max: 60, characters: /^[a-zA-Z0-9-]+$/ },
  'Microsoft.Web/sites': { max: 32, characters: /^[a-z0-9-]+$/ },
  'Microsoft.ServiceBus/namespaces': { max: 50, characters: /^[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9]$/ },
  'Microsoft.DocumentDB/databaseAccounts': { max: 44, characters: /^[a-z0-9-]+$/ },
  'Microsoft.CognitiveServices/accounts': { max: 64, characters: /^[a-zA-Z0-9-]+$/ },
  'Microsoft.KeyVault/vaults': { max: 24, characters: /^[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9]$/ },
};

export function nameProblems(resources: readonly ArmResource[]): string[] {
  const problems: string[] = [];
  for (const resource of resources) {
    const limit = LIMITS[resource.type];
    if (!limit) continue;
    if (resource.name.length > limit.max)
      problems.push(`${resource.type} ${resource.name}: ${resource.name.length} > ${limit.max} characters`);
    if (!limit.characters.test(resource.name))
      problems.push(`${resource.type} ${resource.name}: bad characters`);
  }
  return problems;
}

describe.skipIf(!compilerAvailable)('resource names', () => {
  it('the parameters bound the name parts: workload 8 characters, environment 4', () => {
    const parameters = mainTemplate().parameters ?? {};
    expect((parameters.workloadName as { maxLength?: number }).maxLength).toBe(8);
    const environments = parameters.environmentName?.allowedValues as string[];
    expect(Math.max(...environments.map((value) => value.length))).toBe(4);
  });

  it('fit their limits and character sets for the longest parameter values', () => {
    const snapshot = scenarioSnapshot({
      environmentName: 'prod',
      location: 'swedencentral',
      workloadName: 'abcdefgh',
    });
    const checked = snapshot.predictedResources.filter((resource) => LIMITS[resource.type]);
    expect(new Set(checked.map((resource) => resource.type)).size).toBe(Object.keys(LIMITS).length);
    expect(nameProblems(snapshot.predictedResources)).toEqual([]);
  });

  it('the check catches a name that is too long or uses the wrong characters', () => {
    const storage = (name: string): ArmResource => ({
      id: 'x',
      type: 'Microsoft.Storage/storageAccounts',
      name,
      apiVersion: '2026-09-01',
    });
    expect(nameProblems([storage('st' + 'a'.repeat(23))])).toHaveLength(1);
    expect(nameProblems([storage('st-pp-dev')])).toHaveLength(1);
    expect(nameProblems([storage('stppdev')])).toEqual([]);
  });
});
