/**
 * What the Files API and the claim checks need in Azure, as deployed: a private container per file purpose
 * and one for claim-check bodies (the names the code uses), lifecycle rules that expire files and claim
 * checks (the latter past the queues' message time-to-live), Storage Blob Data Contributor for the app on
 * those containers only, the blob endpoint in the app settings, and the host's body cap raised for 200 MB.
 */
import { describe, expect, it } from 'vitest';
import { FILE_CONTAINERS } from '../../shared/files/file.js';
import { CLAIM_CHECK_CONTAINER } from '../../shared/blob/payload-store.js';
import { scopeOf, typeOfId } from './arm-checks.js';
import { ENVIRONMENTS, appSettingsOf, byType, compilerAvailable, snapshotOf } from './compiled.js';

const CONTRIBUTOR = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe';
const APP_CONTAINERS = [...Object.values(FILE_CONTAINERS), CLAIM_CHECK_CONTAINER];

interface LifecycleRule {
  name: string;
  definition: {
    filters: { prefixMatch: string[] };
    actions: { baseBlob: { delete: Record<string, number> } };
  };
}

function lifecycleRule(snapshot: ReturnType<typeof snapshotOf>, name: string): LifecycleRule | undefined {
  const [policy] = byType(snapshot, 'Microsoft.Storage/storageAccounts/managementPolicies');
  const rules = (policy?.properties?.policy as { rules: LifecycleRule[] }).rules;
  return rules.find((each) => each.name === name);
}

describe.skipIf(!compilerAvailable).each(ENVIRONMENTS)('files storage (%s)', (env) => {
  const snapshot = snapshotOf(env);

  it('has a private container for each file purpose and one for claim checks', () => {
    const containers = byType(snapshot, 'Microsoft.Storage/storageAccounts/blobServices/containers');
    for (const name of APP_CONTAINERS) {
      const container = containers.find((each) => each.name.endsWith(`/${name}`));
      expect(container, name).toBeDefined();
      expect(container?.properties?.publicAccess).toBe('None');
    }
  });

  it('expires files with a lifecycle rule on those containers', () => {
    const rule = lifecycleRule(snapshot, 'expire-files')!;
    expect(rule.definition.filters.prefixMatch.sort()).toEqual(
      Object.values(FILE_CONTAINERS)
        .map((name) => `${name}/`)
        .sort(),
    );
    expect(rule.definition.actions.baseBlob.delete.daysAfterCreationGreaterThan).toBeGreaterThan(0);
  });

  it('expires claim-check bodies after the longest a message lives (14 days)', () => {
    const rule = lifecycleRule(snapshot, 'expire-claim-checks')!;
    expect(rule.definition.filters.prefixMatch).toEqual([`${CLAIM_CHECK_CONTAINER}/`]);
    expect(rule.definition.actions.baseBlob.delete.daysAfterCreationGreaterThan).toBeGreaterThanOrEqual(14);
  });

  it('grants the app Storage Blob Data Contributor on each of those containers, nothing wider', () => {
    const grants = byType(snapshot, 'Microsoft.Authorization/roleAssignments').filter((assignment) =>
      String(assignment.properties?.roleDefinitionId).endsWith(CONTRIBUTOR),
    );
    expect(grants).toHaveLength(APP_CONTAINERS.length);
    for (const grant of grants)
      expect(typeOfId(scopeOf(grant))).toBe('Microsoft.Storage/storageAccounts/blobServices/containers');
  });

  it('gives the app the blob endpoint and a host body cap above 200 MB', () => {
    const settings = appSettingsOf(snapshot);
    expect(String(settings.STORAGE_BLOB_ENDPOINT)).toMatch(/primaryEndpoints\.blob\]$/);
    expect(Number(settings.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT)).toBeGreaterThan(200 * 1024 * 1024);
  });
});
