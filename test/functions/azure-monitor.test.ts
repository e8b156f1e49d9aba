import { describe, expect, it } from 'vitest';
import { clientIdOf } from '../../functions/azure-monitor.js';

describe('clientIdOf', () => {
  it("reads the managed identity's client id from the host's Entra ID authentication string", () => {
    expect(clientIdOf('ClientId=1f2e;Authorization=AAD')).toBe('1f2e');
    expect(clientIdOf('authorization=aad; clientid=abc')).toBe('abc');
  });

  it('gives none without an authentication string or when it does not ask for Entra ID', () => {
    expect(clientIdOf(undefined)).toBeUndefined();
    expect(clientIdOf('ClientId=1f2e')).toBeUndefined();
  });
});
