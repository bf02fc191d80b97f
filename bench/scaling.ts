/**
 * `npm run bench:scaling`: `npm run bench` at 10,000, 100,000 and 1,000,000 users (each on a
 * fresh stack), then one table of how time, history and memory grow — printed and written to
 * bench/scaling.md, each run's results to bench/scaling/<users>.json.
 *
 *   npm run bench:scaling -- [--sizes 10000,100000,1000000] [any npm run bench flag]
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const at = args.indexOf('--sizes');
const sizes = (at >= 0 ? args.splice(at, 2)[1]! : '10000,100000,1000000').split(',').map(Number);

interface Results {
  users: number;
  endToEndSeconds: number;
  ingestUsersPerSec: number;
  endToEndUsersPerSec: number;
  latencyMs: { p50: number; p99: number };
  historyEventsPerRun: number;
  historyBytesPerUser: number;
  workflowsPerRun: number;
  retriedRequests: number;
  peakRssMb: Record<string, number>;
  cpuSeconds: Record<string, number>;
}

await mkdir(join(ROOT, 'bench/scaling'), { recursive: true });
const rows: Results[] = [];
for (const users of sizes) {
  const out = join(ROOT, `bench/scaling/${users}.json`);
  console.error(`\n=== ${users.toLocaleString('en-US')} users ===`);
  const run = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'bench/run.ts'),
      '--users',
      String(users),
      '--naive-seconds',
      '5',
      '--out',
      out,
      ...args,
    ],
    { stdio: 'inherit' },
  );
  if (run.status !== 0) throw new Error(`npm run bench --users ${users} failed (exit ${run.status})`);
  rows.push(JSON.parse(await readFile(out, 'utf8')) as Results);
}

const n = (v: number) => v.toLocaleString('en-US');
const table = [
  '| users | end to end (s) | ingest users/s | end-to-end users/s | p50 / p99 latency (s) | 503s retried | workflows | history events | history bytes/user | peak RSS MB worker / api / temporal | CPU s worker / api / temporal |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${n(r.users)} | ${r.endToEndSeconds} | ${n(r.ingestUsersPerSec)} | ${n(r.endToEndUsersPerSec)} | ` +
      `${(r.latencyMs.p50 / 1000).toFixed(1)} / ${(r.latencyMs.p99 / 1000).toFixed(1)} | ${n(r.retriedRequests)} | ` +
      `${n(r.workflowsPerRun)} | ${n(r.historyEventsPerRun)} | ${r.historyBytesPerUser} | ` +
      `${r.peakRssMb.worker} / ${r.peakRssMb.api} / ${r.peakRssMb.temporal} | ` +
      `${r.cpuSeconds.worker} / ${r.cpuSeconds.api} / ${r.cpuSeconds.temporal} |`,
  ),
].join('\n');
await writeFile(join(ROOT, 'bench/scaling.md'), `${table}\n`);
console.log(`\n${table}\n\nwritten to bench/scaling.md`);
