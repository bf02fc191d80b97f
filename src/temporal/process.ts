import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';

/** A server we started and must stop: no orphan process, no port left bound. */
export interface ServerProcess {
  readonly pid: number;
  /** Resolves once the process has exited (after `stop`, or on its own). */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnServerOptions {
  /** Lines of the server's own output are handed here (it is noisy; callers decide). */
  onOutput?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * On Linux the server is started through `setpriv --pdeathsig TERM` (util-linux; it `exec`s, so
 * the PID is the server's): if our process dies without stopping it — a crash, a SIGKILL, a
 * test runner killed mid-run — the kernel stops the server too, so no orphan keeps its ports.
 */
const SETPRIV = '/usr/bin/setpriv';
const useSetpriv = process.platform === 'linux' && existsSync(SETPRIV);

export function spawnServer(exe: string, args: string[], opts: SpawnServerOptions = {}): ServerProcess {
  const [command, argv] = useSetpriv ? [SETPRIV, ['--pdeathsig', 'TERM', '--', exe, ...args]] : [exe, args];
  const child: ChildProcess = spawn(command, argv, {
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own: a terminal's Ctrl-C reaches only us, and we stop the server
    // last, after the worker and the API, instead of it dying under them.
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`could not start ${exe}`);
  // Elsewhere, at least an ordinary exit (including an uncaught exception) takes the server along.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      process.off('exit', killOnExit);
      resolve(code);
    });
    child.once('error', () => resolve(null));
  });
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) opts.onOutput?.(line);
    });
  }
  return {
    pid: child.pid,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves once something accepts TCP connections on host:port; rejects after `timeoutMs`. */
export async function waitForPort(
  host: string,
  port: number,
  timeoutMs: number,
  died?: Promise<unknown>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void died?.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead) throw new Error(`the server exited before listening on ${host}:${port}`);
    if (await canConnect(host, port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs / 1000} s`);
}

export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A port the OS just handed out on loopback (closed again, so a server can bind it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
