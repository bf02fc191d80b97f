/**
 * Measures the naive designs against the same sandbox and Temporal as the real run:
 * - `perUserWorkflows`: one workflow per user (bench/naive/workflow.ts), `concurrency` of them
 *   started and awaited at a time by a journey engine, each sending its user in one request;
 * - `perUserRequests`: no Temporal at all, one partner request per user.
 * Each runs for `warmupSeconds` uncounted (as the real run has its warm-up), then for `seconds`,
 * and answers the users that reached the sandbox per second.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { installRuntime } from '../../src/temporal/worker.js';
import { toRow } from '../../partners/identifiers.js';
import { PARTNER_REGISTRY, createPartners } from '../../partners/registry.js';
import { withoutRateGate } from '../../activities/rate-gate.js';
import type { PartnerId, Row } from '../../domain/types.js';
import { naiveUserWorkflow } from './workflow.js';

export interface NaiveOptions {
  temporal: string;
  sandbox: string;
  partner: PartnerId;
  adAccountId: string;
  seconds: number;
  /** Run first and not counted: the same compiled, warm code paths as the real run measures. */
  warmupSeconds: number;
  concurrency: number;
  onProgress?: (users: number) => void;
}

/** A token and an audience of the naive design's own at the sandbox. */
async function naiveTarget(o: NaiveOptions) {
  const adapter = createPartners({ sandboxUrl: o.sandbox, env: {} })[o.partner]!;
  const token = `naive-${randomUUID()}`;
  await fetch(`${o.sandbox}/_sandbox/${o.partner}/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ accessToken: token }),
  });
  const target = {
    adAccountId: o.adAccountId,
    audienceName: `naive-${randomUUID()}`,
    action: 'add' as const,
    fields: ['email' as const],
  };
  // The naive designs take no rate-limit slots of the product's own: their calls go ungated.
  const create = async () =>
    withoutRateGate(async () =>
      adapter.createAudienceWithUsers
        ? (
            await adapter.createAudienceWithUsers(token, { ...target, audienceId: null }, [
              toRow(PARTNER_REGISTRY.require(o.partner), ['email'], { email: 'first@naive.example' })!,
            ])
          ).audience.id
        : (await adapter.createAudience(token, target.adAccountId, target.audienceName)).id,
    );
  // With limits on the partner may be throttling (the other baseline's calls): try again.
  let audienceId: string | undefined;
  for (let attempt = 0; audienceId === undefined; attempt++) {
    audienceId = await create().catch(async (err: unknown) => {
      if (attempt >= 50) throw err;
      await new Promise((r) => setTimeout(r, 200));
      return undefined;
    });
  }
  const send = (row: Row) =>
    withoutRateGate(() => adapter.sendUsers(token, { ...target, audienceId }, [row])).then(() => undefined);
  return { send };
}

/**
 * Runs `work(n)` for n = 0, 1, … from `concurrency` loops for `warmupSeconds` + `seconds`;
 * answers the users per second whose work finished in the last `seconds`. Work that fails (a
 * throttle, with limits on) is tried again after a pause, as a naive client would; work still
 * going at the end is not counted.
 */
async function forSeconds(o: NaiveOptions, work: (n: number) => Promise<void>): Promise<number> {
  const countFrom = Date.now() + o.warmupSeconds * 1_000;
  const until = countFrom + o.seconds * 1_000;
  const late = new Promise<false>((r) => setTimeout(() => r(false), until - Date.now()));
  const pause = () => new Promise((r) => setTimeout(r, 200));
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      for (let n = next++; Date.now() < until;) {
        const attempt = work(n).then(
          () => true,
          () => pause().then(() => null),
        );
        const finished = await Promise.race([attempt, late]);
        if (finished === false) return;
        if (finished === null) continue; // failed: the same user again
        if (Date.now() >= countFrom) {
          done++;
          o.onProgress?.(done); // (not `?.(++done)`: an absent callback would skip the count)
        }
        n = next++;
      }
    }),
  );
  return Math.round(done / o.seconds);
}

export async function perUserRequests(o: NaiveOptions): Promise<number> {
  const { send } = await naiveTarget(o);
  return forSeconds(o, (n) =>
    send(toRow(PARTNER_REGISTRY.require(o.partner), ['email'], { email: `r${n}@naive.example` })!),
  );
}

export async function perUserWorkflows(o: NaiveOptions): Promise<number> {
  const { send } = await naiveTarget(o);
  const taskQueue = `naive-${randomUUID()}`;
  installRuntime(); // the SDK's INFO logs (webpack, worker states) would bury the progress bar
  // The same transport as the service's worker (src/temporal/worker.ts): no gzip.
  const nativeConnection = await NativeConnection.connect({ address: o.temporal, grpcCompression: { codec: 'none' } });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./workflow.ts', import.meta.url)),
    activities: { sendOne: send },
  });
  const connection = await Connection.connect({ address: o.temporal });
  const client = new Client({ connection });
  // Executions still waiting at the end are cancelled before the connection closes under them.
  const end = new AbortController();
  try {
    return await worker.runUntil(
      forSeconds(o, (n) =>
        client.withAbortSignal(end.signal, () =>
          client.workflow.execute(naiveUserWorkflow, {
            taskQueue,
            workflowId: `${taskQueue}-${n}-${randomUUID().slice(0, 8)}`,
            args: [toRow(PARTNER_REGISTRY.require(o.partner), ['email'], { email: `w${n}@naive.example` })!],
          }),
        ),
      ),
    );
  } finally {
    end.abort();
    await new Promise((r) => setTimeout(r, 100));
    await connection.close();
    await nativeConnection.close();
  }
}
