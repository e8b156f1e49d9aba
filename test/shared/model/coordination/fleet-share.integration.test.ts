/**
 * Fleet-wide pacing against the embedded Cosmos DB through the real SDK: several instances, each with
 * its own Cosmos client, lease shares of one deployment. Time is simulated: each instance "sends" by
 * topping its own sliding window up to its share on every tick, as a backlogged pacer does, and the test
 * adds up what all instances have in the service's window. That sum must never exceed the quota, while
 * instances join, leave, crash, lose the store or run on clocks hours apart.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetShare } from '../../../../shared/model/coordination/fleet-share.js';
import type { QuotaLeaseStore } from '../../../../shared/model/coordination/lease-store.js';
import { startCosmosFleet, type CosmosFleet } from '../../../fakes/embedded-cosmos-fleet.js';

let cosmos: CosmosFleet;

beforeAll(async () => {
  cosmos = await startCosmosFleet();
});

afterAll(() => cosmos.close());

const WINDOW_MS = 1_000;
const RENEW_MS = 100;
const TICK_MS = 25;

/** A store that can be cut off, as an outage of the coordination store would. */
class SwitchableStore implements QuotaLeaseStore {
  down = false;
  constructor(private readonly inner: QuotaLeaseStore) {}
  private check(): void {
    if (this.down) throw Object.assign(new Error('Service unavailable'), { code: 503 });
  }
  read: QuotaLeaseStore['read'] = async (deployment) => (this.check(), this.inner.read(deployment));
  create: QuotaLeaseStore['create'] = async (document) => (this.check(), this.inner.create(document));
  replace: QuotaLeaseStore['replace'] = async (document, etag) => (
    this.check(),
    this.inner.replace(document, etag)
  );
  stats = () => this.inner.stats();
}

/** One simulated instance: its leased share, and what it has sent into the service's sliding window. */
class Instance {
  readonly sent: Array<{ at: number; amount: number }> = [];
  readonly store: SwitchableStore;
  readonly fleet: FleetShare;
  alive = true;

  constructor(
    readonly world: World,
    readonly skewMs: number,
  ) {
    this.store = new SwitchableStore(cosmos.leaseStore());
    this.fleet = new FleetShare({
      store: this.store,
      deployment: world.deployment,
      instanceId: randomUUID().slice(0, 12),
      windowMs: WINDOW_MS,
      renewMs: RENEW_MS,
      upperBound: 1,
      fallbackShare: 0.1,
      tokensPerWindow: 1,
      requestsPerWindow: 1_000,
      clock: () => world.now + skewMs,
      usageAt: (time) => this.usage(time - skewMs),
      apply: () => undefined,
      timer: false,
    });
  }

  /** Fraction of the quota still in the window at (true) time `time`. */
  usage(time: number): number {
    return this.sent.reduce((sum, s) => (s.at + WINDOW_MS > time ? sum + s.amount : sum), 0);
  }

  /** A backlogged pacer: sends whatever its share leaves room for, and asks for the whole quota. */
  tick(): void {
    if (!this.alive) return;
    const now = this.world.now;
    this.fleet.recordDemand(1, now + this.skewMs);
    const room = this.fleet.share() - this.usage(now);
    if (room > 1e-9) this.sent.push({ at: now, amount: room });
  }
}

class World {
  now = 1_000_000;
  readonly deployment = `d-${randomUUID().slice(0, 8)}`;
  readonly instances: Instance[] = [];
  /** The most the service's window held at any tick. */
  peak = 0;

  add(skewMs = 0): Instance {
    const instance = new Instance(this, skewMs);
    this.instances.push(instance);
    return instance;
  }

  /** Runs `ms` of simulated time; each live instance renews every RENEW_MS, on its own phase. */
  async run(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += TICK_MS) {
      this.now += TICK_MS;
      for (const [index, instance] of this.instances.entries()) {
        const phase = (index * TICK_MS) % RENEW_MS;
        if (instance.alive && (this.now + phase) % RENEW_MS === 0) await instance.fleet.renew();
      }
      for (const instance of this.instances) instance.tick();
      const total = this.instances.reduce((sum, i) => sum + i.usage(this.now), 0);
      this.peak = Math.max(this.peak, total);
    }
  }

  shares(): number[] {
    return this.instances.map((i) => Math.round(i.fleet.share() * 100) / 100);
  }
}

describe('fleet-wide pacing through Cosmos DB leases', () => {
  it('splits the quota as instances join, and the fleet never exceeds it', async () => {
    const world = new World();
    const a = world.add();
    await a.fleet.ready();
    await world.run(1_000);
    expect(world.shares()).toEqual([1]);
    world.add();
    await world.run(3_000);
    expect(world.shares()).toEqual([0.5, 0.5]);
    world.add();
    world.add();
    await world.run(3_000);
    expect(world.shares()).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(world.peak).toBeLessThanOrEqual(1 + 1e-6);
    // Most of the quota is in use at the end: the joiners got what the others gave back.
    const inUse = world.instances.reduce((sum, i) => sum + i.usage(world.now), 0);
    expect(inUse).toBeGreaterThan(0.95);
  });

  it('mostly reads once the split is steady: a renewal writes only what changed, or a heartbeat', async () => {
    const world = new World();
    for (let i = 0; i < 4; i += 1) world.add();
    await world.run(3_000);
    const totals = () =>
      world.instances.reduce(
        (sum, i) => {
          const stats = i.store.stats();
          return { reads: sum.reads + stats.reads, writes: sum.writes + stats.writes };
        },
        { reads: 0, writes: 0 },
      );
    const before = totals();
    await world.run(2_000);
    const after = totals();
    const reads = after.reads - before.reads;
    const writes = after.writes - before.writes;
    expect(reads).toBeGreaterThanOrEqual(4 * 19); // every instance renews every 100 ms
    // A heartbeat is due every 1.5 renewals, so about every other renewal writes; each used to.
    expect(writes / reads).toBeLessThan(0.7);
    expect(world.shares()).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('gives a leaving instance’s share to the others once its requests have left the window', async () => {
    const world = new World();
    const [a, b] = [world.add(), world.add()];
    await world.run(3_000);
    expect(world.shares()).toEqual([0.5, 0.5]);
    b.alive = false;
    await b.fleet.leave();
    let freedAfter: number | undefined;
    for (let waited = 0; waited < 2_000; waited += TICK_MS) {
      await world.run(TICK_MS);
      // a may only have what b's requests still in the window leave free.
      expect(a.fleet.share() + b.usage(world.now)).toBeLessThanOrEqual(1 + 1e-6);
      if (freedAfter === undefined && a.fleet.share() === 1) freedAfter = waited;
    }
    // A leave frees the share within a window (plus a renewal), sooner than a lease expiry would.
    expect(freedAfter).toBeDefined();
    expect(freedAfter!).toBeLessThanOrEqual(WINDOW_MS + RENEW_MS);
    expect(world.peak).toBeLessThanOrEqual(1 + 1e-6);
  });

  it('takes over a crashed instance’s share only after its lease and a window have passed', async () => {
    const world = new World();
    const [a, b] = [world.add(), world.add()];
    await world.run(3_000);
    b.alive = false; // no leave: the process died
    await world.run(300 + WINDOW_MS - 100);
    expect(a.fleet.share()).toBe(0.5);
    await world.run(600);
    expect(a.fleet.share()).toBe(1);
    expect(world.peak).toBeLessThanOrEqual(1 + 1e-6);
  });

  it('keeps pacing through a store outage, falls back to a conservative share, and recovers', async () => {
    const world = new World();
    const [a, b] = [world.add(), world.add()];
    await world.run(3_000);
    for (const instance of [a, b]) instance.store.down = true;
    // While the others still count its claim, an instance keeps its share; renewals fail quietly.
    await world.run(500);
    expect(world.shares()).toEqual([0.5, 0.5]);
    await world.run(1_500);
    expect(world.shares()).toEqual([0.1, 0.1]);
    expect(a.fleet.status().degraded).toBe(true);
    // A cold instance that never got a lease paces at the fallback share at once.
    const c = world.add();
    c.store.down = true;
    await c.fleet.ready();
    expect(c.fleet.share()).toBe(0.1);
    for (const instance of world.instances) instance.store.down = false;
    await world.run(4_000);
    expect(world.shares().map((s) => Math.round(s * 3 * 10) / 10)).toEqual([1, 1, 1]);
    expect(a.fleet.status().degraded).toBe(false);
    expect(world.peak).toBeLessThanOrEqual(1 + 1e-6);
  });

  it('is indifferent to clock skew between instances', async () => {
    const world = new World();
    const hour = 3_600_000;
    const [a, b, c] = [world.add(-hour), world.add(2 * hour), world.add(17)];
    await world.run(4_000);
    expect(world.shares()).toEqual([0.33, 0.33, 0.33]);
    // Far-off clocks neither expire a live member early nor keep a dead one: c crashes, a and b take over.
    c.alive = false;
    await world.run(2_000);
    expect(world.shares().slice(0, 2)).toEqual([0.5, 0.5]);
    expect(world.peak).toBeLessThanOrEqual(1 + 1e-6);
    void a;
    void b;
  });
});
