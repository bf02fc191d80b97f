/**
 * Each partner adapter alone against the sandbox partners (no Temporal): requests/s and users/s
 * with the sandbox's rate limits lifted, then on — where requests go out on the same lanes the
 * rate-limiter workflow keeps (rate-lanes.ts), here kept in process — and the
 * most requests the sandbox saw in any second per key.
 *
 *   npm run bench:adapters [-- --requests 60 --concurrency 8]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { toRow } from '../partners/identifiers.js';
import { PARTNER_REGISTRY, createPartners } from '../partners/registry.js';
import type { PartnerAdapter } from '../partners/adapter.js';
import { localRateGate, withRateGate, withoutRateGate } from '../activities/rate-gate.js';
import { spawnServer } from '../src/temporal/process.js';
import type { PartnerId, Row } from '../domain/types.js';

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '60' }, concurrency: { type: 'string', default: '8' } },
});
/** Full requests sent per run (after the one that creates or first fills the audience). */
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const SANDBOX_SCRIPT = fileURLToPath(new URL('./sandbox-process.ts', import.meta.url));
const adAccountOf = (p: PartnerId) => PARTNER_REGISTRY.require(p).sandboxAdAccountId;

interface Run {
  partner: PartnerId;
  limits: 'off' | 'on';
  requests: number;
  seconds: number;
  requestsPerSec: number;
  usersPerSec: number;
  maxRequestsInAnySecond: number;
  limit: number;
  rejected: Record<string, number>;
}

async function run(partner: PartnerId, limits: boolean): Promise<Run> {
  const sandbox = await sandboxProcess(limits);
  try {
    const adapter = createPartners({ sandboxUrl: sandbox.url, env: {} })[partner]!;
    const { maxUsersPerRequest, requestsPerSecond } = adapter.capabilities;
    const token = `bench-${partner}-${limits ? 'on' : 'off'}`;
    await control(sandbox.url, `/${partner}/tokens`, { accessToken: token });
    const rows: Row[] = Array.from({ length: (REQUESTS + 1) * maxUsersPerRequest }, (_, i) =>
      toRow(PARTNER_REGISTRY.require(partner), ['email'], { email: `u${i}@b.example` })!,
    );
    const batches: Row[][] = [];
    for (let i = 0; i < rows.length; i += maxUsersPerRequest) batches.push(rows.slice(i, i + maxUsersPerRequest));
    // With limits on, every request the adapter makes (setup included) passes the gate, as in the product.
    const run = async (): Promise<Run> => {
      const audienceId = await audienceWithFirst(adapter, token, partner, batches.shift()!);
      const target = { adAccountId: adAccountOf(partner), audienceId, audienceName: 'bench', action: 'add' as const };
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < batches.length) {
            const batch = batches[next++]!;
            await adapter.sendUsers(token, { ...target, fields: ['email'] }, batch);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const s = (await (await fetch(`${sandbox.url}/_sandbox/${partner}/stats`)).json()) as SandboxStats;
      return {
        partner,
        limits: limits ? 'on' : 'off',
        requests: REQUESTS,
        seconds: round(seconds),
        requestsPerSec: round(REQUESTS / seconds),
        usersPerSec: Math.round((REQUESTS * maxUsersPerRequest) / seconds),
        maxRequestsInAnySecond: Math.max(...Object.values(s.byKey).map((k) => k.maxRequestsInAnySecond)),
        limit: requestsPerSecond,
        rejected: s.rejected,
      };
    };
    return await (limits ? withRateGate(localRateGate(requestsPerSecond), run) : withoutRateGate(run));
  } finally {
    await sandbox.stop();
  }
}

interface SandboxStats {
  rejected: Record<string, number>;
  byKey: Record<string, { requests: number; maxRequestsInAnySecond: number }>;
}

/** The sandbox in its own process: a partner is not slowed by its client's event loop. */
async function sandboxProcess(limits: boolean): Promise<{ url: string; stop: () => Promise<unknown> }> {
  let listening!: (url: string) => void;
  const url = new Promise<string>((resolve) => (listening = resolve));
  const proc = spawnServer(process.execPath, ['--import', 'tsx', SANDBOX_SCRIPT, limits ? 'on' : 'off'], {
    onOutput: (line) => (line.startsWith('listening ') ? listening(line.slice(10).trim()) : console.error(line)),
  });
  return { url: await url, stop: () => proc.stop() };
}

const control = (url: string, path: string, body: unknown) =>
  fetch(`${url}/_sandbox${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** The audience, holding the first batch (Pinterest creates its lists with their first records). */
async function audienceWithFirst(adapter: PartnerAdapter, token: string, partner: PartnerId, first: Row[]) {
  const target = {
    adAccountId: adAccountOf(partner),
    audienceId: null,
    audienceName: 'bench',
    action: 'add' as const,
    fields: ['email' as const],
  };
  if (adapter.createAudienceWithUsers) return (await adapter.createAudienceWithUsers(token, target, first)).audience.id;
  const { id } = await adapter.createAudience(token, target.adAccountId, 'bench');
  await adapter.sendUsers(token, { ...target, audienceId: id }, first);
  return id;
}

const round = (n: number) => Math.round(n * 10) / 10;

const results: Run[] = [];
for (const partner of PARTNER_REGISTRY.ids)
  for (const limits of [false, true]) results.push(await run(partner, limits));
console.table(results);
