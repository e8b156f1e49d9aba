/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): self time per function and per package, so a
 * benchmark can say where the time goes without a GUI.
 *
 *   node dist/bench/lib/profile-summary.js <file.cpuprofile> [top]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

/** Where a script lives: an npm package, one of our top-level folders, Node internals, or V8. */
export function ownerOf(url: string): string {
  if (!url) return '(native/V8)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg?.[1]) return pkg[1];
  if (url.startsWith('node:')) return 'node internals';
  const ours = /\/dist\/([^/]+)\/(?:([^/]+)\/)?/.exec(url);
  if (ours?.[1]) return `ours: ${ours[1]}${ours[2] && !ours[2].endsWith('.js') ? `/${ours[2]}` : ''}`;
  return url;
}

const UNATTRIBUTED = new Set(['(native/V8)', 'node internals']);

export function summariseProfile(
  profile: Profile,
  top = 15,
): { functions: SelfTime[]; owners: SelfTime[]; callers: SelfTime[]; ourFrames: SelfTime[] } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  /** The nearest frame (itself or an ancestor) in a package or in our code: who caused this time. */
  const callerOf = (id: number): string => {
    for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
      const owner = ownerOf(byId.get(current)?.callFrame.url ?? '');
      if (!UNATTRIBUTED.has(owner)) return owner;
    }
    const name = byId.get(id)?.callFrame.functionName ?? '';
    return name.startsWith('(') ? name : '(node internals, no JS caller)';
  };
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0) || 1;
  const functions = new Map<string, number>();
  const owners = new Map<string, number>();
  const callers = new Map<string, number>();
  /** The nearest frame of our own code (dist/, not node_modules): what of ours led to this time. */
  const ourFrameOf = (id: number): string => {
    for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
      const frame = byId.get(current)?.callFrame;
      if (frame && frame.url.includes('/dist/') && !frame.url.includes('node_modules')) {
        return `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/dist\//, '')}:${frame.lineNumber + 1}`;
      }
    }
    return '(no frame of ours on the stack)';
  };
  const ours = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const mine = ourFrameOf(id);
    ours.set(mine, (ours.get(mine) ?? 0) + us);
    const caller = callerOf(id);
    callers.set(caller, (callers.get(caller) ?? 0) + us);
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const file = frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/');
    const name =
      `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : ''}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + us);
    const owner = ownerOf(frame.url);
    owners.set(owner, (owners.get(owner) ?? 0) + us);
  }
  const rank = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({
        name,
        ms: Math.round(us / 100) / 10,
        share: Math.round((1000 * us) / total) / 10,
      }));
  return { functions: rank(functions), owners: rank(owners), callers: rank(callers), ourFrames: rank(ours) };
}

export function readProfile(path: string): Profile {
  return JSON.parse(readFileSync(path, 'utf8')) as Profile;
}

export function formatSelfTimes(title: string, rows: readonly SelfTime[]): string {
  return [
    `${title}:`,
    ...rows.map(
      (row) => `  ${String(row.share).padStart(5)} %  ${String(row.ms).padStart(8)} ms  ${row.name}`,
    ),
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [path, top] = process.argv.slice(2);
  if (!path) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
  const summary = summariseProfile(readProfile(path), Number(top) || 15);
  console.log(
    formatSelfTimes(
      'Time by package/folder, node internals charged to the nearest JS caller',
      summary.callers,
    ),
  );
  console.log(formatSelfTimes('Self time by package/folder', summary.owners));
  console.log(formatSelfTimes('Self time by function', summary.functions));
  console.log(formatSelfTimes('Time under the nearest frame of our code', summary.ourFrames));
}
