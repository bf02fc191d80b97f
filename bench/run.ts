/**
 * `npm run bench`: the whole product end to end. Starts its own Temporal dev server, sandbox
 * partners, API and worker, each in its own process (or uses running ones: --api, --sandbox,
 * --temporal, --admin-key), launches one step per partner, drives users through the public
 * HTTP API from several concurrent clients, waits until every user is settled, measures the
 * naive designs against the same Temporal and sandbox, prints a table and writes
 * bench/results.json (or --out).
 *
 *   npm run bench -- [--users 200000] [--partners linkedin,facebook,pinterest,tiktok]
 *                    [--limits off|on] [--clients 8] [--duration 300] [--workers 1]
 *                    [--users-per-request N] [--steps-per-partner 1] [--max-pending N]
 *                    [--worker-heap-mb N] [--naive-seconds 10] [--warmup 40000] [--cpu-prof] [--tsx]
 *                    [--out file]
 *
 * The API and the worker run from `npm run build`'s output, as the image runs them (`--tsx`:
 * from the TypeScript sources, as `npm start` does).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { PARTNER_REGISTRY } from '../partners/registry.js';
import { perUserRequests, perUserWorkflows } from './naive/baseline.js';
import { progress } from './progress.js';
import { startStack, type BenchStack } from './stack.js';
import { ceilingUsedPct, fifoLatencies, percentile } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '200000' },
    partners: { type: 'string', default: PARTNER_REGISTRY.ids.join(',') },
    limits: { type: 'string', default: 'off' },
    clients: { type: 'string', default: '8' },
    duration: { type: 'string', default: '300' },
    workers: { type: 'string', default: '1' },
    'worker-heap-mb': { type: 'string' },
    'users-per-request': { type: 'string' },
    'max-pending': { type: 'string' },
    'steps-per-partner': { type: 'string', default: '1' },
    'naive-seconds': { type: 'string', default: '10' },
    warmup: { type: 'string', default: '40000' },
    'cpu-prof': { type: 'boolean', default: false },
    tsx: { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench/results.json') },
    api: { type: 'string' },
    sandbox: { type: 'string' },
    temporal: { type: 'string' },
    'admin-key': { type: 'string' },
  },
});
const USERS = Number(values.users);
const PARTNERS = values.partners.split(',');
const LIMITS = values.limits === 'on';
const CLIENTS = Number(values.clients);
const DEADLINE = Date.now() + Number(values.duration) * 1_000;
const NAIVE_SECONDS = Number(values['naive-seconds']);
/** Several steps (journeys) on one ad account share its rate limit: together they can keep it busy. */
const STEPS_PER_PARTNER = Number(values['steps-per-partner']);
/** Every step of the run: `<partner>-<n>`, round-robin over the partners. */
const STEPS = Array.from({ length: STEPS_PER_PARTNER }, (_, k) => k).flatMap((k) =>
  PARTNERS.map((partner) => ({ partner, id: `${partner}-${k + 1}` })),
);
const PER_API_REQUEST = 10_000;
/** Users sent through a workspace of their own before the run (0: none, a cold start). */
const WARMUP_USERS = Number(values.warmup);
/** Small requests: the warm-up exercises the per-request and per-batch paths many times over. */
const WARMUP_USERS_PER_REQUEST = 1_000;
for (const p of PARTNERS) if (!PARTNER_REGISTRY.get(p)) throw new Error(`--partners: unknown partner ${p}`);
const AD_ACCOUNT: Record<string, string> = Object.fromEntries(
  PARTNERS.map((p) => [p, PARTNER_REGISTRY.require(p).sandboxAdAccountId]),
);
if (!(USERS > 0) || !(CLIENTS > 0)) throw new Error('--users and --clients must be positive numbers');
if (!(WARMUP_USERS >= 0)) throw new Error('--warmup must be a number of users (0: none)');

/**
 * Limits lifted: the sandbox takes any rate, and the product is told the partners allow
 * 100,000 requests a second. Either way `--users-per-request` overrides every partner's request
 * size — with limits on, small requests let a short run keep each partner's rate limit busy.
 */
const partnerEnv: Record<string, string> = {};
for (const p of PARTNERS) {
  if (!LIMITS) partnerEnv[`${p.toUpperCase()}_REQUESTS_PER_SECOND`] = '100000';
  if (values['users-per-request']) partnerEnv[`${p.toUpperCase()}_USERS_PER_REQUEST`] = values['users-per-request'];
}
if (values['max-pending']) partnerEnv.STEP_MAX_PENDING_USERS = values['max-pending'];
const capabilities = PARTNER_REGISTRY.capabilities(partnerEnv);
const bar = progress();

async function stackFor(dataDir: string): Promise<BenchStack> {
  if (values.api) {
    if (!values.sandbox || !values.temporal || !values['admin-key']) {
      throw new Error('--api needs --sandbox, --temporal and --admin-key too');
    }
    const zero = { peakRssMb: 0, cpuSeconds: 0, rssMb: 0 };
    return {
      api: values.api,
      sandbox: values.sandbox,
      temporal: values.temporal,
      adminKey: values['admin-key'],
      startRssMb: { api: 0, worker: 0, sandbox: 0, temporal: 0 },
      stats: () => Promise.resolve({ api: zero, worker: zero, sandbox: zero, temporal: zero }),
      stop: async () => {},
    };
  }
  if (!values.tsx) {
    // The API and the worker run as the image runs them: compiled (under tsx a worker is ~45 MB larger).
    bar.note('building (npm run build)…');
    await promisify(execFile)('npm', ['run', '--silent', 'build'], { cwd: ROOT });
  }
  bar.note('starting the Temporal dev server, sandbox partners, API and worker (each its own process)…');
  const cpuProfDir = values['cpu-prof'] ? join(ROOT, 'bench/profiles') : undefined;
  if (cpuProfDir) await mkdir(cpuProfDir, { recursive: true });
  return startStack({
    dataDir,
    limits: LIMITS,
    env: partnerEnv,
    workers: Number(values.workers),
    built: !values.tsx,
    workerNodeArgs: values['worker-heap-mb'] ? [`--max-old-space-size=${values['worker-heap-mb']}`] : [],
    cpuProfDir,
    onOutput: (part, line) => {
      if (/\b(failed|error)\b/i.test(line) && !line.includes('"level":30') && part !== 'temporal') {
        process.stderr.write(`\n[${part}] ${line}\n`);
      }
    },
  });
}

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), 'audience-sync-bench-'));
  const stack = await stackFor(dataDir);
  try {
    const results = await measure(stack);
    await writeFile(resolve(values.out), `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nwritten to ${resolve(values.out)}`);
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function measure(stack: BenchStack) {
  let retries = 0;
  /**
   * An API call as a client should make it: a 503 (Temporal busy or away, or the step's backlog
   * full) is retried after its Retry-After. Answers the body and when the accepted attempt was sent.
   */
  const send = async <T>(method: string, path: string, key: string, body?: unknown) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    for (;;) {
      const sentAt = Date.now();
      const res = await fetch(`${stack.api}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: text,
      });
      if (res.status === 503 && Date.now() < DEADLINE) {
        retries++;
        await res.body?.cancel();
        await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1_000));
        continue;
      }
      if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
      return { body: (res.status === 204 ? undefined : await res.json()) as T, sentAt };
    }
  };
  const call = async <T = Record<string, unknown>>(method: string, path: string, key: string, body?: unknown) =>
    (await send<T>(method, path, key, body)).body;

  /** A workspace of its own, connected to every partner, with the run's steps launched on one canvas. */
  const prepare = async (name: string) => {
    const canvas = `${name}-${randomUUID().slice(0, 8)}`;
    const key = (await call<{ apiKey: string }>('POST', '/v1/workspaces', stack.adminKey, { name: canvas })).apiKey;
    for (const p of PARTNERS) {
      const token = `bench-${randomUUID()}`;
      await fetch(`${stack.sandbox}/_sandbox/${p}/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ accessToken: token }),
      });
      await call('PUT', `/v1/connections/${p}`, key, { accessToken: token });
      await call('PUT', `/v1/connections/${p}/ad-accounts`, key, { adAccountIds: [AD_ACCOUNT[p]] });
    }
    for (const step of STEPS) {
      await call('PUT', `/v1/canvases/${canvas}/steps/${step.id}`, key, {
        partner: step.partner,
        adAccountId: AD_ACCOUNT[step.partner],
        audience: { name: `${canvas}-${step.id}`, create: true },
        action: 'add',
        fields: ['email'],
      });
    }
    return { key, canvas };
  };

  /**
   * API requests of `perRequest` users, round-robin over the steps, CLIENTS at a time. A user
   * enters when the request that was accepted is sent (its latency includes the API's own time):
   * answers those entries per partner, `[ms, users]`.
   */
  const ingest = async (w: { key: string; canvas: string }, users: number, perRequest: number, phase: string) => {
    const requests = Math.ceil(users / perRequest);
    const entries: Record<string, [number, number][]> = Object.fromEntries(PARTNERS.map((p) => [p, []]));
    let next = 0;
    let accepted = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        for (let i = next++; i < requests; i = next++) {
          const step = STEPS[i % STEPS.length]!;
          const n = Math.min(perRequest, users - i * perRequest);
          const batch = Array.from({ length: n }, (_, j) => ({ id: `${i}-${j}`, email: `u${i}-${j}@bench.example` }));
          const { sentAt } = await send('POST', `/v1/canvases/${w.canvas}/steps/${step.id}/users`, w.key, {
            users: batch,
            idempotencyKey: `r${i}`,
          });
          entries[step.partner]!.push([sentAt, n]);
          accepted += n;
          bar.update(phase, accepted, users);
        }
      }),
    );
    return entries;
  };

  /** Waits until `users` of the canvas's users are Synced, Not Synced or Errored (or --duration); answers how many. */
  const settle = async (w: { key: string; canvas: string }, users: number, phase: string) => {
    let settled = 0;
    while (settled < users && Date.now() < DEADLINE) {
      await new Promise((r) => setTimeout(r, 250));
      const views = await Promise.all(
        STEPS.map((step) =>
          call<{ metrics: Record<string, number> }>('GET', `/v1/canvases/${w.canvas}/steps/${step.id}`, w.key),
        ),
      );
      settled = views.reduce((a, v) => a + v.metrics.synced! + v.metrics.errored! + v.metrics.notSynced!, 0);
      bar.update(phase, settled, users);
    }
    return settled;
  };

  // Warm-up: a service that has just started spends its first seconds compiling its hot paths
  // (V8's optimising compiler: ~2 CPU s of the API's and worker's at 200k users, measured with
  // perf). A running service has done that long before a burst comes; the warm-up's own workspace
  // keeps its users, workflows and history out of every figure below. `--warmup 0`: a cold start.
  if (WARMUP_USERS > 0) {
    const warm = await prepare('warmup');
    await ingest(warm, WARMUP_USERS, WARMUP_USERS_PER_REQUEST, 'warm-up');
    if ((await settle(warm, WARMUP_USERS, 'warm-up')) < WARMUP_USERS)
      throw new Error('the warm-up outlasted --duration');
  }
  const historyBefore = await historyFacts(stack.temporal, new Map(), false);

  const run = await prepare('bench');
  const before = await sandboxStats(stack.sandbox);
  const processesBefore = await stack.stats();
  const started = Date.now();
  const entries = await ingest(run, USERS, PER_API_REQUEST, 'ingest');
  const ingestSeconds = (Date.now() - started) / 1000;
  const settled = await settle(run, USERS, 'settle');
  const endToEndSeconds = (Date.now() - started) / 1000;
  bar.done();
  if (settled < USERS) bar.note(`--duration reached with ${USERS - settled} users not settled`);

  const after = await sandboxStats(stack.sandbox);
  const perPartner: Record<string, unknown> = {};
  const latencies: number[] = [];
  for (const p of PARTNERS) {
    const s = after[p]!;
    const arrivals = s.arrivals.slice(before[p]!.arrivals.length);
    const limit = LIMITS ? capabilities[p]!.requestsPerSecond : null;
    perPartner[p] = {
      requests: s.requests - before[p]!.requests,
      usersPerRequest: Math.round(arrivals.reduce((a, [, n]) => a + n, 0) / Math.max(1, arrivals.length)),
      maxUsersPerRequest: capabilities[p]!.maxUsersPerRequest,
      maxRequestsInAnySecond: Math.max(0, ...Object.values(s.byKey).map((k) => k.maxRequestsInAnySecond)),
      limit,
      // While backlogged: the middle 80 % of the requests (the whole send period beside it).
      ceilingUsedPct: limit ? ceilingUsedPct(arrivals, limit, 0.1) : null,
      ceilingUsedWholeRunPct: limit ? ceilingUsedPct(arrivals, limit) : null,
      throttled: (s.rejected['429'] ?? 0) - (before[p]!.rejected['429'] ?? 0),
      rejected: Object.fromEntries(
        Object.entries(s.rejected).flatMap(([code, n]) => {
          const run = n - (before[p]!.rejected[code] ?? 0);
          return run > 0 ? [[code, run]] : [];
        }),
      ),
    };
    const own = fifoLatencies(entries[p]!, arrivals, 10);
    (perPartner[p] as Record<string, unknown>).latencyP99Ms = percentile(
      [...own].sort((a, b) => a - b),
      99,
    );
    latencies.push(...own);
  }
  latencies.sort((a, b) => a - b);
  const processes = await stack.stats();
  const history = await historyFacts(stack.temporal, historyBefore.runs);

  bar.note(`naive baseline: one workflow per user, 64 at a time, for ${NAIVE_SECONDS} s…`);
  const naiveOptions = {
    temporal: stack.temporal,
    sandbox: stack.sandbox,
    partner: PARTNERS[0]!,
    adAccountId: AD_ACCOUNT[PARTNERS[0]!]!,
    seconds: NAIVE_SECONDS,
    // Warmed as the real run was (with --warmup 0, cold as it was).
    warmupSeconds: WARMUP_USERS > 0 ? 2 : 0,
  };
  const naiveUsersPerSec = await perUserWorkflows({
    ...naiveOptions,
    concurrency: 64,
    onProgress: (n) => bar.update('naive', n, Math.max(n, 1)),
  });
  bar.note(`naive baseline: one partner request per user, ${CLIENTS} at a time, for ${NAIVE_SECONDS} s…`);
  const naiveRequestsUsersPerSec = await perUserRequests({ ...naiveOptions, concurrency: CLIENTS });

  const endToEnd = settled / endToEndSeconds;
  const results = {
    users: USERS,
    partners: PARTNERS,
    limits: LIMITS ? 'on' : 'off',
    workers: Number(values.workers),
    stepsPerPartner: STEPS_PER_PARTNER,
    warmupUsers: WARMUP_USERS,
    ingestUsersPerSec: Math.round(USERS / ingestSeconds),
    endToEndUsersPerSec: Math.round(endToEnd),
    endToEndSeconds: Math.round(endToEndSeconds * 10) / 10,
    settled,
    retriedRequests: retries,
    naiveUsersPerSec,
    naiveRatio: Math.round((endToEnd / naiveUsersPerSec) * 10) / 10,
    naivePerRequestUsersPerSec: naiveRequestsUsersPerSec,
    naivePerRequestRatio: Math.round((endToEnd / naiveRequestsUsersPerSec) * 10) / 10,
    latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) },
    perPartner,
    largestPayloadBytes: history.largestPayloadBytes,
    historyEventsPerRun: history.events,
    historyBytesPerUser: Math.round((history.bytes / USERS) * 100) / 100,
    workflowsPerRun: history.workflows,
    peakRssMb: {
      worker: processes.worker.peakRssMb,
      api: processes.api.peakRssMb,
      sandbox: processes.sandbox.peakRssMb,
      temporal: processes.temporal.peakRssMb,
    },
    startRssMb: stack.startRssMb,
    // Spent moving the run's users: from the first request until all are settled.
    cpuSeconds: {
      worker: cpuSince(processes.worker, processesBefore.worker),
      api: cpuSince(processes.api, processesBefore.api),
      sandbox: cpuSince(processes.sandbox, processesBefore.sandbox),
      temporal: cpuSince(processes.temporal, processesBefore.temporal),
    },
  };
  console.log();
  console.table({
    'ingest users/s': results.ingestUsersPerSec,
    'end-to-end users/s': `${results.endToEndUsersPerSec} (${results.endToEndSeconds} s)`,
    'naive users/s (workflow per user)': `${naiveUsersPerSec} → ours ×${results.naiveRatio}`,
    'naive users/s (request per user)': `${naiveRequestsUsersPerSec} → ours ×${results.naivePerRequestRatio}`,
    'latency p50/p95/p99 ms': `${results.latencyMs.p50} / ${results.latencyMs.p95} / ${results.latencyMs.p99}`,
    'history events / bytes per user': `${history.events} / ${results.historyBytesPerUser}`,
    'largest payload bytes': history.largestPayloadBytes,
    'peak RSS MB worker/api/sandbox/temporal': byPart(results.peakRssMb),
    'RSS MB at start worker/api/sandbox/temporal': byPart(results.startRssMb),
    'CPU s worker/api/sandbox/temporal': byPart(results.cpuSeconds),
  });
  console.table(perPartner);
  return results;
}

interface SandboxStats {
  requests: number;
  rejected: Record<string, number>;
  byKey: Record<string, { requests: number; maxRequestsInAnySecond: number }>;
  arrivals: [number, number][];
}

async function sandboxStats(sandbox: string): Promise<Record<string, SandboxStats>> {
  const entries = await Promise.all(
    PARTNERS.map(async (p): Promise<[string, SandboxStats]> => [
      p,
      (await (await fetch(`${sandbox}/_sandbox/${p}/stats`)).json()) as SandboxStats,
    ]),
  );
  return Object.fromEntries(entries);
}

/** In the order the table's labels name them (startRssMb's keys come in another). */
const byPart = (v: Record<'worker' | 'api' | 'sandbox' | 'temporal', number>) =>
  [v.worker, v.api, v.sandbox, v.temporal].join(' / ');

const cpuSince = (now: { cpuSeconds: number }, then: { cpuSeconds: number }) =>
  Math.round((now.cpuSeconds - then.cpuSeconds) * 10) / 10;

type RunSizes = Map<string, { events: number; bytes: number }>;

/**
 * Temporal's side of the run: events, bytes and the largest payload over every workflow run,
 * less what each had at `before` (the warm-up's workflows, and the limiters both runs share).
 * Sizes come from describe (exact), not from the visibility listing (updated on its own time).
 * `readPayloads` false: sizes only (the largest payload needs every touched history read).
 */
async function historyFacts(address: string, before: RunSizes = new Map(), readPayloads = true) {
  // History pages of steps holding many 512 KB signals outgrow gRPC's default 4 MB.
  const connection = await Connection.connect({
    address,
    channelArgs: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 },
  });
  const client = new Client({ connection });
  const facts = { events: 0, bytes: 0, largestPayloadBytes: 0, workflows: 0, runs: new Map() as RunSizes };
  const largest = (v: unknown): void => {
    if (!v || typeof v !== 'object') return;
    if ('data' in v && 'metadata' in v && v.data instanceof Uint8Array) {
      facts.largestPayloadBytes = Math.max(facts.largestPayloadBytes, v.data.length);
    }
    for (const child of Object.values(v)) largest(child);
  };
  try {
    for await (const w of client.workflow.list()) {
      const handle = client.workflow.getHandle(w.workflowId, w.runId);
      const d = await handle.describe();
      const now = { events: d.historyLength, bytes: d.historySize ?? 0 };
      const key = `${w.workflowId}/${w.runId}`;
      facts.runs.set(key, now);
      const was = before.get(key) ?? { events: 0, bytes: 0 };
      if (now.events === was.events) continue; // untouched by this run
      facts.workflows++;
      facts.events += now.events - was.events;
      facts.bytes += now.bytes - was.bytes;
      if (readPayloads) largest(await handle.fetchHistory());
    }
  } finally {
    await connection.close();
  }
  return facts;
}

await main();
