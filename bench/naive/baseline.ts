/**
 * Measures the naive designs against the same sandbox and Temporal as the real run:
 * - `perUserWorkflows`: one workflow per user (bench/naive/workflow.ts), `concurrency` of them
 *   started and awaited at a time by a journey engine, each sending its user in one request;
 * - `perUserRequests`: no Temporal at all, one partner request per user.
 * Each runs for `seconds` and answers the users that reached the sandbox per second.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { installRuntime } from '../../src/temporal/worker.js';
import { toRow } from '../../activities/partners/identifiers.js';
import { createPartners } from '../../activities/partners/registry.js';
import type { PartnerId, Row } from '../../workflows/types.js';
import { naiveUserWorkflow } from './workflow.js';

export interface NaiveOptions {
  temporal: string;
  sandbox: string;
  partner: PartnerId;
  adAccountId: string;
  seconds: number;
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
  const audienceId = adapter.createAudienceWithUsers
    ? (
        await adapter.createAudienceWithUsers(token, { ...target, audienceId: null }, [
          toRow(o.partner, ['email'], { email: 'first@naive.example' })!,
        ])
      ).audience.id
    : (await adapter.createAudience(token, target.adAccountId, target.audienceName)).id;
  const send = (row: Row) => adapter.sendUsers(token, { ...target, audienceId }, [row]).then(() => undefined);
  return { send };
}

/** Runs `work(n)` for n = 0, 1, … from `concurrency` loops until `seconds` pass; answers per second done. */
async function forSeconds(o: NaiveOptions, work: (n: number) => Promise<void>): Promise<number> {
  const started = Date.now();
  const until = started + o.seconds * 1_000;
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (Date.now() < until) {
        await work(next++);
        done++;
        o.onProgress?.(done); // (not `?.(++done)`: an absent callback would skip the count)
      }
    }),
  );
  return Math.round(done / ((Date.now() - started) / 1000));
}

export async function perUserRequests(o: NaiveOptions): Promise<number> {
  const { send } = await naiveTarget(o);
  return forSeconds(o, (n) => send(toRow(o.partner, ['email'], { email: `r${n}@naive.example` })!));
}

export async function perUserWorkflows(o: NaiveOptions): Promise<number> {
  const { send } = await naiveTarget(o);
  const taskQueue = `naive-${randomUUID()}`;
  installRuntime(); // the SDK's INFO logs (webpack, worker states) would bury the progress bar
  const nativeConnection = await NativeConnection.connect({ address: o.temporal });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./workflow.ts', import.meta.url)),
    activities: { sendOne: send },
  });
  const connection = await Connection.connect({ address: o.temporal });
  const client = new Client({ connection });
  try {
    return await worker.runUntil(
      forSeconds(o, (n) =>
        client.workflow.execute(naiveUserWorkflow, {
          taskQueue,
          workflowId: `${taskQueue}-${n}`,
          args: [toRow(o.partner, ['email'], { email: `w${n}@naive.example` })!],
        }),
      ),
    );
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
}
