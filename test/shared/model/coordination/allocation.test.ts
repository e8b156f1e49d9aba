import { describe, expect, it } from 'vitest';
import {
  claimAt,
  claimSchedule,
  decideShare,
  fairShares,
  observePeers,
  type Observation,
} from '../../../../shared/model/coordination/allocation.js';
import type { LeaseMember } from '../../../../shared/model/coordination/lease-document.js';

const member = (share: number, demand: number, seq = 1, claims?: number[], leaseMs = 300): LeaseMember => ({
  seq,
  leaseMs,
  share,
  demand,
  claims: claims ?? [share, share, share, share, share],
});
const times = { windowMs: 1_000 };

describe('fair shares', () => {
  it('gives small demands what they ask and splits the rest equally', () => {
    expect(fairShares([0.1, 0.8, 0.8])).toEqual([0.1, 0.45, 0.45]);
    expect(fairShares([1, 1, 1, 1])).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('splits what nobody asked for equally, so a growing instance can use it at once', () => {
    const shares = fairShares([0.1, 0.2]);
    expect(shares[0]).toBeCloseTo(0.45);
    expect(shares[1]).toBeCloseTo(0.55);
    expect(fairShares([0])).toEqual([1]);
  });
});

describe('share decisions', () => {
  it('never grants more than the others leave free, and never more than the upper bound', () => {
    const observations = new Map<string, Observation>();
    const peers = observePeers({ a: member(1, 1), me: member(0, 0) }, 'me', observations, 0, times);
    expect(decideShare(1, peers, 1)).toEqual({ target: 0.5, share: 0 });
    const bounded = observePeers({ a: member(0.1, 0.1) }, 'me', new Map(), 0, times);
    expect(decideShare(1, bounded, 0.6)).toEqual({ target: 0.6, share: 0.6 });
  });

  it('reads a claim schedule from when this reader first saw the entry', () => {
    const leaving = member(0, 0, 7, [0.8, 0.6, 0.3, 0.1, 0]);
    expect(claimAt(leaving, 0, 1_000)).toBe(0.8);
    expect(claimAt(leaving, 260, 1_000)).toBe(0.6);
    expect(claimAt(leaving, 999, 1_000)).toBe(0.1);
    expect(claimAt(leaving, 5_000, 1_000)).toBe(0);
  });

  it('builds claims from what is still in the window, never below the share', () => {
    const usage = (offset: number) => Math.max(0, 0.9 - offset / 1_000);
    expect(claimSchedule(0.5, usage, 1_000)).toEqual([0.9, 0.65, 0.5, 0.5, 0.5]);
    expect(claimSchedule(0, usage, 1_000)).toEqual([0.9, 0.65, 0.4, 0.15, 0]);
  });
});

describe('liveness on the reader clock', () => {
  it('counts a member live while its sequence number changes, keeps its claim a window longer, then expires it', () => {
    const observations = new Map<string, Observation>();
    const start = 5_000_000; // any clock: only differences on this reader's clock matter
    const at = (offset: number, seq: number) =>
      observePeers({ a: member(0.5, 1, seq) }, 'me', observations, start + offset, times);
    expect(at(0, 1)).toEqual({ liveDemands: [1], othersClaim: 0.5, expired: [] });
    expect(at(250, 2).liveDemands).toEqual([1]); // renewed: a new sequence number restarts its age
    expect(at(540, 2).liveDemands).toEqual([1]);
    const dead = at(600, 2);
    expect(dead.liveDemands).toEqual([]); // 350 ms without a change: not live
    expect(dead.othersClaim).toBe(0.5); // but what it sent may still be in the service's window
    expect(at(250 + 1_299, 2).expired).toEqual([]);
    expect(at(250 + 1_300, 2)).toEqual({ liveDemands: [], othersClaim: 0, expired: ['a'] });
  });

  it('judges each member by the lease it states: a member of a large fleet renews less often', () => {
    const observations = new Map<string, Observation>();
    const members = { small: member(0.5, 1, 1), large: member(0.5, 1, 1, undefined, 1_200) };
    observePeers(members, 'me', observations, 0, times);
    expect(observePeers(members, 'me', observations, 1_000, times).liveDemands).toEqual([1]);
    expect(observePeers(members, 'me', observations, 2_199, times).expired).toEqual(['small']);
    expect(observePeers(members, 'me', observations, 2_200, times).expired).toEqual(['small', 'large']);
  });

  it('forgets members that left the document', () => {
    const observations = new Map<string, Observation>();
    observePeers({ a: member(0.5, 1) }, 'me', observations, 0, times);
    observePeers({}, 'me', observations, 10, times);
    expect(observations.size).toBe(0);
  });
});
