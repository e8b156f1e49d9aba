/**
 * Weighted max-min fair division ("water filling"): capacity is shared in proportion to weight, but no
 * claimant gets more than it asks for, and what a modest claimant leaves goes to the others, again by
 * weight. This is the allocation weighted fair queuing converges to when every claimant is backlogged,
 * computed directly from each claimant's demand over the window.
 */
export interface Claim<K> {
  readonly key: K;
  readonly weight: number;
  readonly demand: number;
}

export function waterFill<K>(capacity: number, claims: readonly Claim<K>[]): Map<K, number> {
  const shares = new Map<K, number>();
  // Smallest demand per unit of weight first: each one either is satisfied or caps the water level.
  const ordered = [...claims].sort((a, b) => a.demand / a.weight - b.demand / b.weight);
  let remaining = Math.max(0, capacity);
  let weight = ordered.reduce((sum, claim) => sum + claim.weight, 0);
  for (const claim of ordered) {
    const fair = weight > 0 ? (remaining * claim.weight) / weight : 0;
    const given = Math.min(Math.max(0, claim.demand), fair);
    shares.set(claim.key, given);
    remaining -= given;
    weight -= claim.weight;
  }
  return shares;
}
