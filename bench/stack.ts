/**
 * The benchmark's own deployment, one process per part, as production runs them: the Temporal
 * dev server, the sandbox partners, the API (`npm start` with AUDIENCE_SYNC_WORKER=off and
 * SANDBOX_URL) and the worker(s) (`npm run worker`). Each part's peak RSS and CPU time are read
 * from /proc while it is alive; with `cpuProfDir` the API and workers write V8 CPU profiles.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevServer } from '../src/temporal/devserver.js';
import { freePort, spawnServer, type ServerProcess } from '../src/temporal/process.js';
import { writeWorkflowBundle } from '../src/temporal/worker.js';
import { CLI, defaultToolchainContext, resolveBinary } from '../src/temporal/toolchain/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ProcessStats {
  peakRssMb: number;
  cpuSeconds: number;
  /** RSS now (at the first reading: when the stack was ready, before any load). */
  rssMb: number;
}

type Part = 'api' | 'worker' | 'sandbox' | 'temporal';

export interface BenchStack {
  api: string;
  sandbox: string;
  temporal: string;
  adminKey: string;
  /** RSS of each part once it was ready, before any load (MB; the largest worker's). */
  startRssMb: Record<Part, number>;
  /** Peak RSS (the largest worker's) and CPU so far (summed over workers) of each part we started. */
  stats(): Promise<Record<Part, ProcessStats>>;
  stop(): Promise<void>;
}

/** A stack this process started: its parts can be crashed and restarted (the reliability suites). */
export interface ProcessStack extends BenchStack {
  /** Starts one more worker process (as at start); answers its index. */
  startWorker(): Promise<number>;
  /** `kill -9` of worker `i`: no shutdown, no drain; resolves once it is gone. */
  killWorker(i: number): Promise<void>;
  /** Stops the dev server, waits `downMs`, and starts it again on the same port and SQLite file. */
  restartTemporal(downMs: number): Promise<void>;
}

export interface StackOptions {
  dataDir: string;
  limits: boolean;
  /** Environment for the API and workers (partner limit overrides). */
  env: Record<string, string>;
  workers: number;
  /** Extra node flags for the workers (e.g. a heap cap). */
  workerNodeArgs?: string[];
  /** Run the API and workers from `npm run build`'s output, as the image does (default: tsx). */
  built?: boolean;
  cpuProfDir?: string;
  onOutput: (part: string, line: string) => void;
}

/** /proc facts of a live process: peak RSS (VmHWM) and CPU seconds (user + system). */
export async function procStats(pid: number): Promise<ProcessStats> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')).split(') ')[1]?.split(' ') ?? [];
  const cpu = (Number(stat[11] ?? 0) + Number(stat[12] ?? 0)) / 100; // utime + stime, clock ticks of 1/100 s
  return { peakRssMb: Math.round(hwm), cpuSeconds: Math.round(cpu * 10) / 10, rssMb: Math.round(rss) };
}

/** Starts a node entry point and resolves once a line of its output matches `ready`. */
async function startNode(
  name: string,
  nodeArgs: string[],
  entry: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  o: StackOptions,
): Promise<{ proc: ServerProcess; match: RegExpMatchArray }> {
  // One file per thread (the SDK runs workflows in worker threads): a directory per part.
  const prof = o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', join(o.cpuProfDir, name)] : [];
  let found!: (m: RegExpMatchArray) => void;
  const matched = new Promise<RegExpMatchArray>((r) => (found = r));
  const runner = entry.endsWith('.ts') ? ['--import', 'tsx'] : []; // built entries are plain JS
  const proc = spawnServer(process.execPath, [...nodeArgs, ...prof, ...runner, join(ROOT, entry), ...args], {
    env: { ...process.env, ...env },
    onOutput: (line) => {
      const m = line.match(ready);
      if (m) found(m);
      o.onOutput(name, line);
    },
  });
  const match = await Promise.race([
    matched,
    proc.exited.then((code) => {
      throw new Error(`${name} exited (code ${code}) before it was ready`);
    }),
  ]);
  return { proc, match };
}

export async function startStack(o: StackOptions): Promise<ProcessStack> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    while (stops.length) await stops.pop()!().catch(() => undefined);
  };
  try {
    const cli = await resolveBinary(
      CLI,
      defaultToolchainContext(process.env, () => {}),
    );
    const port = await freePort();
    const startTemporal = () =>
      startDevServer({
        exe: cli.path,
        host: '127.0.0.1',
        port,
        dbFile: join(o.dataDir, 'temporal.db'),
        namespace: 'default',
        onOutput: (line) => o.onOutput('temporal', line),
      });
    let dev = await startTemporal();
    stops.push(() => dev.stop());

    const sandbox = await startNode(
      'sandbox',
      [],
      'bench/sandbox-process.ts',
      [o.limits ? 'on' : 'off'],
      {},
      /listening (\S+)/,
      o,
    );
    stops.push(() => sandbox.proc.stop(5_000));
    const sandboxUrl = sandbox.match[1]!;

    // Workers load a prebuilt bundle, as in production: no bundler in their memory.
    const bundle = join(o.dataDir, 'workflows.bundle.js');
    await writeWorkflowBundle(bundle);
    const adminKey = `adm_${randomBytes(24).toString('base64url')}`;
    const shared = {
      ...o.env,
      TEMPORAL_ADDRESS: dev.address,
      SANDBOX_URL: sandboxUrl,
      DATA_DIR: o.dataDir,
      AUDIENCE_SYNC_WORKFLOW_BUNDLE: bundle,
      AUDIENCE_SYNC_ADMIN_KEY: adminKey,
      AUDIENCE_SYNC_CODEC_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    };
    const apiPort = await freePort();
    const api = await startNode(
      'api',
      [],
      o.built ? 'dist/src/bin/start.js' : 'src/bin/start.ts',
      [],
      { ...shared, API_PORT: String(apiPort), AUDIENCE_SYNC_WORKER: 'off' },
      /press Ctrl-C to stop/,
      o,
    );
    stops.push(() => api.proc.stop(15_000));
    const workers: ServerProcess[] = [];
    const startWorker = async (): Promise<number> => {
      const w = await startNode(
        `worker-${workers.length + 1}`,
        o.workerNodeArgs ?? [],
        o.built ? 'dist/src/bin/worker.js' : 'src/bin/worker.ts',
        [],
        // glibc's per-thread malloc arenas (the SDK's Rust threads, the workflow thread) hold freed
        // memory: two arenas keep a worker ~50 MB smaller at the same speed. The Dockerfile sets it too.
        { ...shared, MALLOC_ARENA_MAX: '2' },
        /polling /,
        o,
      );
      workers.push(w.proc);
      stops.push(() => w.proc.stop(15_000));
      return workers.length - 1;
    };
    for (let i = 0; i < o.workers; i++) await startWorker();

    // /proc of a process is gone once it exits: keep the last figures read.
    const last = new Map<number, ProcessStats>();
    const read = async (p: ServerProcess) => {
      const s = await procStats(p.pid);
      if (s.peakRssMb > 0) last.set(p.pid, s);
      return last.get(p.pid) ?? { peakRssMb: 0, cpuSeconds: 0, rssMb: 0 };
    };
    const parts = { api: [api.proc], worker: workers, sandbox: [sandbox.proc], temporal: [dev.process] };
    const startRss = Object.fromEntries(
      await Promise.all(
        Object.entries(parts).map(async ([k, ps]) => [
          k,
          Math.max(...(await Promise.all(ps.map(read))).map((s) => s.rssMb)),
        ]),
      ),
    ) as Record<keyof typeof parts, number>;
    return {
      api: `http://127.0.0.1:${apiPort}`,
      sandbox: sandboxUrl,
      temporal: dev.address,
      adminKey,
      startRssMb: startRss,
      async stats() {
        const sum = async (ps: ServerProcess[]): Promise<ProcessStats> => {
          const all = await Promise.all(ps.map(read));
          return {
            peakRssMb: Math.max(0, ...all.map((s) => s.peakRssMb)),
            rssMb: Math.max(0, ...all.map((s) => s.rssMb)),
            cpuSeconds: Math.round(all.reduce((a, s) => a + s.cpuSeconds, 0) * 10) / 10,
          };
        };
        return {
          api: await sum(parts.api),
          worker: await sum(parts.worker),
          sandbox: await sum(parts.sandbox),
          temporal: await sum(parts.temporal),
        };
      },
      startWorker,
      async killWorker(i) {
        process.kill(workers[i]!.pid, 'SIGKILL');
        await workers[i]!.exited;
      },
      async restartTemporal(downMs) {
        await dev.stop();
        await new Promise((r) => setTimeout(r, downMs));
        dev = await startTemporal();
        parts.temporal.push(dev.process);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
