/**
 * Azurite, Microsoft's Azure Storage emulator (the `azurite` npm package), for Blob Storage: the Files
 * API's store on a laptop. It runs in a child process of its own, like the separate service it stands
 * for: the blobs it holds in memory (up to 200 MB per file) then never count toward the platform
 * process, whose memory the upload tests measure. Its own `azurite-blob` entry is used unchanged, with
 * telemetry off (it would otherwise try to reach the internet) and, without a data folder, nothing on
 * disk (`--inMemoryPersistence`). Nothing is downloaded at run time: the package is the emulator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';

/** Azurite's well-known development account (public, documented by Microsoft; local only). */
export const DEV_ACCOUNT_NAME = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Blob port; 0 (the default) for a free one. */
  readonly port?: number;
  /** Keep blobs in this folder between runs instead of in memory. */
  readonly location?: string;
  /** In-memory extent limit in MB (Azurite's default is half the machine's memory). */
  readonly memoryLimitMb?: number;
}

export interface AzuriteEmulator {
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  readonly blobEndpoint: string;
  /** A connection string for the dev account, for `BlobServiceClient.fromConnectionString`. */
  readonly connectionString: string;
  close(): Promise<void>;
}

const LISTENING = /successfully listens on (http:\/\/[^\s]+)/;

export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteEmulator> {
  const entry = createRequire(import.meta.url).resolve('azurite/dist/src/blob/main.js');
  const args = [
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(options.port ?? 0),
    '--disableTelemetry',
    '--silent',
    '--skipApiVersionCheck',
  ];
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence', '--extentMemoryLimit', String(options.memoryLimitMb ?? 2048));
  }
  // Azurite's own entry behind a guard: it exits when our end of its stdin closes, so a platform
  // process that dies without closing it (SIGKILL, a crashed test worker) leaves no emulator behind.
  const bootstrap = [
    "process.stdin.on('end', () => process.exit(0)).resume();",
    `process.argv = [process.execPath, ${JSON.stringify(entry)}, ...process.argv.slice(1)];`,
    `require(${JSON.stringify(entry)});`,
  ].join('\n');
  const child = spawn(process.execPath, ['-e', bootstrap, '--', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const url = await listeningUrl(child);
  const blobEndpoint = `${url}/${DEV_ACCOUNT_NAME}`;
  return {
    blobEndpoint,
    connectionString: [
      'DefaultEndpointsProtocol=http',
      `AccountName=${DEV_ACCOUNT_NAME}`,
      `AccountKey=${DEV_ACCOUNT_KEY}`,
      `BlobEndpoint=${blobEndpoint};`,
    ].join(';'),
    // In memory there is nothing to flush: ending its stdin exits it at once. Azurite's own SIGTERM
    // path waits for idle keep-alive connections to close (seconds); with a folder it saves its
    // metadata there, so it gets that path, bounded.
    close: () => stop(child, options.location ? 'SIGTERM' : 'stdin'),
  };
}

/** The URL Azurite prints once it listens (the real port when asked for 0); its error if it exits first. */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = LISTENING.exec(output);
      if (match?.[1]) {
        child.stdout?.off('data', onData);
        // Keep draining its output so a full pipe never blocks it.
        child.stdout?.resume();
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`Azurite exited with code ${String(code)} before listening: ${output.trim()}`)),
    );
  });
}

function stop(child: ChildProcess, how: 'SIGTERM' | 'stdin'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    // 'close', then a timer: libuv frees the process handle in the close phase of the loop, after
    // setImmediate callbacks, so a caller that checks for leaked handles right after close() sees none.
    child.once('close', () => {
      clearTimeout(timer);
      setTimeout(resolve, 5);
    });
    if (how === 'stdin') child.stdin?.end();
    else child.kill('SIGTERM');
  });
}
