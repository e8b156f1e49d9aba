/**
 * The page's files: its own (local/dashboard/page, plain HTML, CSS and ES modules, no build step) and
 * uPlot's from node_modules, so nothing is fetched from outside. An allow-list, not a folder: only these
 * names are served, whatever the path says.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  readonly path: string;
  readonly contentType: string;
}

const TYPES = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
} as const;

/**
 * The page folder, found upwards from this module: it is local/dashboard/page beside the source, and
 * three levels above dist/local/dashboard/ when running the build (`npm start`).
 */
export function findPageDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let directory = from; ; directory = dirname(directory)) {
    const candidate = join(directory, 'local', 'dashboard', 'page');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    if (dirname(directory) === directory) throw new Error(`local/dashboard/page not found above ${from}`);
  }
}

/** URL path below /dashboard → file. */
export function staticFiles(pageDir: string = findPageDir()): ReadonlyMap<string, StaticFile> {
  // uplot's package.json has no exports map, so its main entry resolves; dist/ holds the browser builds.
  const uplotDist = dirname(createRequire(import.meta.url).resolve('uplot'));
  const page = (name: string, type: keyof typeof TYPES): [string, StaticFile] => [
    `/${name}`,
    { path: join(pageDir, name), contentType: TYPES[type] },
  ];
  return new Map([
    ['', { path: join(pageDir, 'index.html'), contentType: TYPES.html }],
    ['/', { path: join(pageDir, 'index.html'), contentType: TYPES.html }],
    page('dashboard.css', 'css'),
    page('app.js', 'js'),
    page('api.js', 'js'),
    page('charts.js', 'js'),
    page('panels.js', 'js'),
    page('waterfall.js', 'js'),
    ['/vendor/uPlot.iife.min.js', { path: join(uplotDist, 'uPlot.iife.min.js'), contentType: TYPES.js }],
    ['/vendor/uPlot.min.css', { path: join(uplotDist, 'uPlot.min.css'), contentType: TYPES.css }],
  ]);
}

export const readStatic = (file: StaticFile): Promise<Buffer> => readFile(file.path);
