import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { waitForTemporal } from './client.js';
import { spawnServer, type ServerProcess } from './process.js';

/**
 * Partner rate limits are held by the server (PARTNERS.md): per-key limits need task-queue
 * fairness, and one partition per queue keeps a queue's rate from being spread over several
 * token buckets (which lets one second briefly see more than the limit).
 */
export const RATE_LIMIT_CONFIG = [
  'matching.enableFairness=true',
  'matching.numTaskqueueReadPartitions=1',
  'matching.numTaskqueueWritePartitions=1',
];

export interface DevServerOptions {
  /** Path of the `temporal` CLI (see toolchain). */
  exe: string;
  host: string;
  port: number;
  /** Web UI port; `undefined` runs headless (tests). */
  uiPort?: number;
  /** SQLite file; `undefined` keeps everything in memory. */
  dbFile?: string;
  namespace: string;
  onOutput?: (line: string) => void;
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ServerProcess;
  /** Stops passing the server's output on (its complaints while clients shut down are noise). */
  mute(): void;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` and resolves once it serves the namespace. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  if (opts.dbFile) await mkdir(dirname(opts.dbFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    opts.host,
    '--port',
    String(opts.port),
    '--namespace',
    opts.namespace,
    '--log-level',
    'warn',
    // The dev server would otherwise phone home for a version check on every start.
    '--dynamic-config-value',
    'frontend.enableServerVersionCheck=false',
    ...RATE_LIMIT_CONFIG.flatMap((v) => ['--dynamic-config-value', v]),
    ...(opts.dbFile ? ['--db-filename', opts.dbFile] : []),
    ...(opts.uiPort ? ['--ui-port', String(opts.uiPort)] : ['--headless']),
  ];
  // While it shuts down the server warns about its own internal pollers losing it: noise.
  let stopping = false;
  const recent: string[] = []; // the server's last words, for the error if it dies while starting
  const proc = spawnServer(opts.exe, args, {
    onOutput: (line) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      if (!stopping) opts.onOutput?.(line);
    },
  });
  const address = `${opts.host}:${opts.port}`;
  try {
    await Promise.race([
      waitForTemporal(address, opts.namespace, opts.startTimeoutMs ?? 60_000),
      proc.exited.then((code) => {
        throw new Error(
          `temporal server start-dev exited with code ${code} before it was ready:\n${recent.join('\n')}`,
        );
      }),
    ]);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    address,
    uiUrl: opts.uiPort ? `http://${opts.host}:${opts.uiPort}` : undefined,
    process: proc,
    mute: () => {
      stopping = true;
    },
    stop: () => {
      stopping = true;
      return proc.stop();
    },
  };
}
