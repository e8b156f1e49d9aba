/**
 * shared/ is cut by concept (pipeline, jobs, tenancy, cosmos, webhooks, ...), and no concept folder may
 * import one that imports it back, directly or around a longer loop: each folder can then be read,
 * tested and changed knowing only what it depends on. dependency-cruiser resolves the imports (the same
 * tool and config `npm run lint` runs); this test collapses its module graph to folders.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const run = promisify(execFile);

interface CruiseOutput {
  readonly modules: ReadonlyArray<{
    readonly source: string;
    readonly dependencies: ReadonlyArray<{ readonly resolved: string }>;
  }>;
}

async function cruise(cwd: string, root: string): Promise<CruiseOutput> {
  const { stdout } = await run(process.execPath, [CLI, root, '--no-config', '--output-type', 'json'], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as CruiseOutput;
}

/** `shared/tenancy/admin.ts` -> `shared/tenancy`; files directly under the root have no folder. */
function folderOf(path: string, root: string): string | undefined {
  const match = new RegExp(`^${root}/([^/]+)/`).exec(path);
  return match ? `${root}/${match[1]}` : undefined;
}

/** Every set of folders that reach each other (strongly connected, more than one folder), with an edge each. */
function folderCycles(output: CruiseOutput, root: string): string[][] {
  const edges = new Map<string, Map<string, string>>();
  for (const module of output.modules) {
    const from = folderOf(module.source, root);
    if (!from) continue;
    for (const dependency of module.dependencies) {
      const to = folderOf(dependency.resolved, root);
      if (!to || to === from) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      edges.get(from)!.set(to, `${module.source} -> ${dependency.resolved}`);
    }
  }
  // Tarjan's strongly connected components over a graph of a few dozen folders.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (folder: string): void => {
    index.set(folder, index.size);
    low.set(folder, index.get(folder)!);
    stack.push(folder);
    onStack.add(folder);
    for (const next of edges.get(folder)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(folder, Math.min(low.get(folder)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(folder, Math.min(low.get(folder)!, index.get(next)!));
      }
    }
    if (low.get(folder) !== index.get(folder)) return;
    const component: string[] = [];
    for (let member = stack.pop()!; ; member = stack.pop()!) {
      onStack.delete(member);
      component.push(member);
      if (member === folder) break;
    }
    if (component.length > 1) {
      const inside = new Set(component);
      cycles.push(
        component.flatMap((from) =>
          [...(edges.get(from) ?? [])].filter(([to]) => inside.has(to)).map(([, edge]) => edge),
        ),
      );
    }
  };
  for (const folder of edges.keys()) if (!index.has(folder)) visit(folder);
  return cycles;
}

describe('shared/ concept folders', () => {
  it('never import a folder that imports them back', async () => {
    const output = await cruise(ROOT, 'shared');
    // The imports were resolved (a run that resolved nothing would find no cycle either).
    const pipelineToJobs = output.modules.some(
      (m) =>
        m.source.startsWith('shared/pipeline/') &&
        m.dependencies.some((d) => d.resolved.startsWith('shared/jobs/')),
    );
    expect(pipelineToJobs).toBe(true);
    const cycles = folderCycles(output, 'shared');
    expect(cycles, cycles.map((edges) => edges.join('\n')).join('\n\n')).toEqual([]);
  });

  it('the check finds a loop through three folders', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-folders-'));
    try {
      const files: Record<string, string> = {
        'shared/a/one.ts': "import { two } from '../b/two.js';\nexport const one = two;\n",
        'shared/b/two.ts': "import { three } from '../c/three.js';\nexport const two = three;\n",
        'shared/c/three.ts': "import { four } from '../a/four.js';\nexport const three = four;\n",
        'shared/a/four.ts': 'export const four = 4;\n',
        'shared/d/free.ts': "import { one } from '../a/one.js';\nexport const free = one;\n",
      };
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      const cycles = folderCycles(await cruise(dir, 'shared'), 'shared');
      expect(cycles).toHaveLength(1);
      expect(cycles[0]!.toSorted()).toEqual([
        'shared/a/one.ts -> shared/b/two.ts',
        'shared/b/two.ts -> shared/c/three.ts',
        'shared/c/three.ts -> shared/a/four.ts',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
