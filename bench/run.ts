/**
 * `npm run bench`: the whole product end to end — `npm start` in its own process (dev server,
 * worker, API, sandbox partners), load driven through the public HTTP API by several concurrent
 * clients, until every user is settled. Prints a table and writes bench/results.json.
 *
 *   npm run bench -- [--users 200000] [--partners linkedin,facebook,pinterest,tiktok]
 *                    [--limits off|on] [--clients 8] [--duration 300]
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { CAPABILITIES } from '../activities/partners/capabilities.js';
import { toRow } from '../activities/partners/identifiers.js';
import { createPartners } from '../activities/partners/registry.js';
import { freePort, spawnServer } from '../src/temporal/process.js';
import type { PartnerId } from '../workflows/types.js';
import { fifoLatencies, percentile } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '200000' },
    partners: { type: 'string', default: 'linkedin,facebook,pinterest,tiktok' },
    limits: { type: 'string', default: 'off' },
    clients: { type: 'string', default: '8' },
    duration: { type: 'string', default: '300' },
  },
});
const USERS = Number(values.users);
const PARTNERS = values.partners.split(',') as PartnerId[];
const LIMITS = values.limits === 'on';
const CLIENTS = Number(values.clients);
const DEADLINE = Date.now() + Number(values.duration) * 1_000;
const PER_REQUEST = 10_000;
const AD_ACCOUNT: Record<PartnerId, string> = {
  linkedin: '501',
  facebook: '601',
  pinterest: '5490001',
  tiktok: '7001',
};

const progress = (line: string) => process.stderr.write(`\r\x1b[2K${line}`);

/** /proc facts of a process: peak RSS (MB) and CPU seconds. */
async function procStats(pid: number): Promise<{ peakRssMb: number; cpuSeconds: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')).split(') ')[1]?.split(' ') ?? [];
  const cpu = (Number(stat[11] ?? 0) + Number(stat[12] ?? 0)) / 100; // utime + stime, in clock ticks of 1/100 s
  return { peakRssMb: Math.round(hwm), cpuSeconds: Math.round(cpu * 10) / 10 };
}

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), 'audience-sync-bench-'));
  const ports = { api: await freePort(), temporal: await freePort(), ui: await freePort(), sandbox: await freePort() };
  const lifted = Object.fromEntries(
    LIMITS ? [] : PARTNERS.map((p) => [`${p.toUpperCase()}_REQUESTS_PER_SECOND`, '100000']),
  );
  progress('starting npm start (dev server, worker, API, sandbox)…');
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const service = spawnServer(process.execPath, ['--import', 'tsx', join(ROOT, 'src/bin/start.ts')], {
    env: {
      ...process.env,
      API_PORT: String(ports.api),
      TEMPORAL_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      SANDBOX_PORT: String(ports.sandbox),
      SDK_METRICS_PORT: String(await freePort()),
      DATA_DIR: dataDir,
      SANDBOX_RATE_LIMITS: LIMITS ? 'on' : 'off',
      ...lifted,
    },
    onOutput: (line) => {
      if (line.includes('press Ctrl-C to stop')) ready();
      if (/failed|error/i.test(line) && !line.includes('"level":30')) process.stderr.write(`\n[service] ${line}\n`);
    },
  });
  try {
    await isReady;
    const api = `http://127.0.0.1:${ports.api}`;
    const sandbox = `http://127.0.0.1:${ports.sandbox}`;
    const adminKey = (await readFile(join(dataDir, 'admin-key'), 'utf8')).trim();
    let retries = 0;
    /** An API call as a client should make it: a 503 (Temporal busy or away) is retried after a pause. */
    const call = async <T = Record<string, unknown>>(method: string, path: string, key: string, body?: unknown) => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      let res: Response;
      for (let attempt = 0; ; attempt++) {
        res = await fetch(`${api}${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: text,
        });
        if (res.status !== 503 || attempt >= 20) break;
        retries++;
        await new Promise((r) => setTimeout(r, 100 * Math.min(attempt + 1, 10)));
      }
      if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
      return (res.status === 204 ? undefined : await res.json()) as T;
    };
    const key = (await call<{ apiKey: string }>('POST', '/v1/workspaces', adminKey, { name: 'bench' })).apiKey;
    for (const p of PARTNERS) {
      const token = `bench-${randomUUID()}`;
      await fetch(`${sandbox}/_sandbox/${p}/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ accessToken: token }),
      });
      await call('PUT', `/v1/connections/${p}`, key, { accessToken: token });
      await call('PUT', `/v1/connections/${p}/ad-accounts`, key, { adAccountIds: [AD_ACCOUNT[p]] });
      await call('PUT', `/v1/canvases/bench/steps/${p}`, key, {
        partner: p,
        adAccountId: AD_ACCOUNT[p],
        audience: { name: `bench-${p}`, create: true },
        action: 'add',
        fields: ['email'],
      });
    }

    // Ingest: requests of 10,000 users, round-robin over the partners' steps, CLIENTS at a time.
    const requests = Math.ceil(USERS / PER_REQUEST);
    const entries: Record<string, [number, number][]> = Object.fromEntries(PARTNERS.map((p) => [p, []]));
    let next = 0;
    let accepted = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        for (let i = next++; i < requests; i = next++) {
          const p = PARTNERS[i % PARTNERS.length]!;
          const n = Math.min(PER_REQUEST, USERS - i * PER_REQUEST);
          const users = Array.from({ length: n }, (_, j) => ({ id: `${i}-${j}`, email: `u${i}-${j}@bench.example` }));
          await call('POST', `/v1/canvases/bench/steps/${p}/users`, key, { users, idempotencyKey: `r${i}` });
          entries[p]!.push([Date.now(), n]);
          accepted += n;
          progress(`ingest ${accepted.toLocaleString()} / ${USERS.toLocaleString()} users`);
        }
      }),
    );
    const ingestSeconds = (Date.now() - started) / 1000;

    // Settle: every user Synced or Errored.
    let settled = 0;
    while (settled < USERS && Date.now() < DEADLINE) {
      await new Promise((r) => setTimeout(r, 250));
      const views = await Promise.all(
        PARTNERS.map((p) => call<{ metrics: Record<string, number> }>('GET', `/v1/canvases/bench/steps/${p}`, key)),
      );
      settled = views.reduce((a, v) => a + v.metrics.synced! + v.metrics.errored! + v.metrics.notSynced!, 0);
      progress(`settled ${settled.toLocaleString()} / ${USERS.toLocaleString()} users`);
    }
    const endToEndSeconds = (Date.now() - started) / 1000;
    process.stderr.write('\n');

    const perPartner: Record<string, unknown> = {};
    const latencies: number[] = [];
    for (const p of PARTNERS) {
      const s = (await (await fetch(`${sandbox}/_sandbox/${p}/stats`)).json()) as {
        requests: number;
        users: number;
        rejected: Record<string, number>;
        byKey: Record<string, { requests: number; maxRequestsInAnySecond: number }>;
        arrivals: [number, number][];
      };
      const limit = LIMITS ? CAPABILITIES[p].requestsPerSecond : null;
      const maxRequestsInAnySecond = Math.max(0, ...Object.values(s.byKey).map((k) => k.maxRequestsInAnySecond));
      const sendSeconds = s.arrivals.length > 1 ? (s.arrivals.at(-1)![0] - s.arrivals[0]![0]) / 1000 : 0;
      perPartner[p] = {
        requests: s.requests,
        usersPerRequest: Math.round(s.users / Math.max(1, s.arrivals.length)),
        maxRequestsInAnySecond,
        limit,
        ceilingUsedPct:
          limit && sendSeconds > 0 ? Math.round(((s.arrivals.length - 1) / sendSeconds / limit) * 1000) / 10 : null,
        rejected: s.rejected,
      };
      latencies.push(...fifoLatencies(entries[p]!, s.arrivals, 10));
    }
    latencies.sort((a, b) => a - b);

    // Temporal's side: history events and bytes of every workflow of the run.
    // History pages of steps holding many 512 KB signals outgrow gRPC's default 4 MB.
    const connection = await Connection.connect({
      address: `127.0.0.1:${ports.temporal}`,
      channelArgs: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 },
    });
    const client = new Client({ connection });
    let events = 0;
    let bytes = 0;
    let largestPayloadBytes = 0;
    const largest = (v: unknown): void => {
      if (!v || typeof v !== 'object') return;
      if ('data' in v && 'metadata' in v && v.data instanceof Uint8Array) {
        largestPayloadBytes = Math.max(largestPayloadBytes, v.data.length);
      }
      for (const child of Object.values(v)) largest(child);
    };
    for await (const w of client.workflow.list()) {
      events += w.historyLength;
      bytes += w.historySize ?? 0;
      largest(await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory());
    }
    await connection.close();
    const proc = await procStats(service.pid);
    const naiveUsersPerSec = await naive(sandbox, PARTNERS[0]!);

    const results = {
      users: USERS,
      partners: PARTNERS,
      limits: LIMITS ? 'on' : 'off',
      ingestUsersPerSec: Math.round(USERS / ingestSeconds),
      endToEndUsersPerSec: Math.round(settled / endToEndSeconds),
      settled,
      retriedRequests: retries,
      naiveUsersPerSec,
      naiveRatio: Math.round((settled / endToEndSeconds / naiveUsersPerSec) * 10) / 10,
      latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) },
      perPartner,
      largestPayloadBytes,
      historyEventsPerRun: events,
      historyBytesPerUser: Math.round((bytes / USERS) * 100) / 100,
      // One process runs the API and the worker (and the sandbox partners) under npm start.
      peakRssMb: { worker: proc.peakRssMb, api: proc.peakRssMb },
      cpuSeconds: proc.cpuSeconds,
    };
    await writeFile(join(ROOT, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.table({
      'ingest users/s': results.ingestUsersPerSec,
      'end-to-end users/s': results.endToEndUsersPerSec,
      'latency p50/p95/p99 ms': `${results.latencyMs.p50} / ${results.latencyMs.p95} / ${results.latencyMs.p99}`,
      'history events': events,
      'history bytes/user': results.historyBytesPerUser,
      'peak RSS MB (service)': proc.peakRssMb,
      'CPU s (service)': proc.cpuSeconds,
    });
    console.table(perPartner);
  } finally {
    await service.stop(15_000);
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * The naive design, same sandbox: one partner request per user (no batching), CLIENTS in
 * flight, for 15 s — what a per-user call from the journey engine would achieve.
 */
async function naive(sandbox: string, partner: PartnerId): Promise<number> {
  progress(`naive baseline: one ${partner} request per user for 15 s…`);
  const adapter = createPartners({ sandboxUrl: sandbox, env: {} })[partner]!;
  const token = `naive-${randomUUID()}`;
  await fetch(`${sandbox}/_sandbox/${partner}/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ accessToken: token }),
  });
  const target = {
    adAccountId: AD_ACCOUNT[partner],
    audienceName: 'naive',
    action: 'add' as const,
    fields: ['email' as const],
  };
  const audienceId = adapter.createAudienceWithUsers
    ? (
        await adapter.createAudienceWithUsers(token, { ...target, audienceId: null }, [
          toRow(partner, ['email'], { email: 'n@b.example' })!,
        ])
      ).audience.id
    : (await adapter.createAudience(token, target.adAccountId, 'naive')).id;
  const until = Date.now() + 15_000;
  let sent = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < until) {
        const row = toRow(partner, ['email'], { email: `naive${sent}@b.example` })!;
        await adapter.sendUsers(token, { ...target, audienceId }, [row]).catch(() => undefined);
        sent++;
      }
    }),
  );
  process.stderr.write('\n');
  return Math.round(sent / ((Date.now() - started) / 1000));
}

await main();
