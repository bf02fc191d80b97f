import { fileURLToPath } from 'node:url';
import { InterceptingCall, status, type Interceptor } from '@grpc/grpc-js';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createPartners } from '../../partners/registry.js';
import type { RunningSandbox } from '../../src/sandbox/server.js';
import { spawnServer, type ServerProcess } from '../../src/temporal/process.js';
import { applyPartnerRateLimits, partnerQueueLimits } from '../../src/temporal/rate-limits.js';
import { partnerTaskQueue } from '../../domain/ids.js';
import type { PartnerId } from '../../domain/types.js';
import { uniqueTaskQueue } from './temporal.js';

const WORKER_SCRIPT = fileURLToPath(new URL('../fixtures/processes/partner-worker.ts', import.meta.url));

/** Server refusals (RESOURCE_EXHAUSTED) seen by a client, before its retry interceptor retries them. */
export interface Refusals {
  /** Updates (slot asks, launches): the server admits 10 in flight per workflow and refuses more. */
  updates: number;
  /** Anything else, e.g. a query while the workflow's consistent-query buffer is full. */
  other: number;
}

const UPDATE_METHODS = /\/(UpdateWorkflowExecution|ExecuteMultiOperation)$/;

/** Counts a refusal of the gRPC method at `path` in `into`. */
export function countRefusal(into: Refusals, path: string): void {
  if (UPDATE_METHODS.test(path)) into.updates++;
  else into.other++;
}

/** A client connection that counts every answer the server refused (see Refusals). */
export async function refusalCountingConnection(
  address: string,
): Promise<{ connection: Connection; refused: Refusals }> {
  const refused: Refusals = { updates: 0, other: 0 };
  const countRefusals: Interceptor = (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        next(metadata, {
          onReceiveStatus(answer, pass) {
            if (answer.code === status.RESOURCE_EXHAUSTED) countRefusal(refused, options.method_definition.path);
            pass(answer);
          },
        });
      },
    });
  const connection = await Connection.connect({
    address,
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), countRefusals],
  });
  return { connection, refused };
}

export interface TwoWorkers {
  taskQueue: string;
  /** Server refusals the second process's client has seen so far. */
  secondRefused: Refusals;
}

/**
 * Runs the product's workers for `partner` as `npm start` does, plus a second service process
 * polling the same partner queue (the SDK allows one worker per queue in a process), with the
 * rate limits applied first. `client` serves the in-process activities.
 */
export async function withTwoWorkers<T>(
  env: TestWorkflowEnvironment,
  sandbox: RunningSandbox,
  partner: PartnerId,
  overrides: Record<string, string>,
  fn: (w: TwoWorkers) => Promise<T>,
  client = new Client({ connection: env.connection }),
): Promise<T> {
  const taskQueue = uniqueTaskQueue('rate');
  const partners = createPartners({ sandboxUrl: sandbox.url, env: overrides });
  await applyPartnerRateLimits(
    env.connection,
    'default',
    partnerQueueLimits(taskQueue, [partners[partner]!.capabilities]),
  );
  const activities = createActivities({ client, partners, workflowTaskQueue: taskQueue });
  const secondRefused: Refusals = { updates: 0, other: 0 };
  const second = await secondWorker(sandbox, taskQueue, partnerTaskQueue(taskQueue, partner), overrides, (path) =>
    countRefusal(secondRefused, path),
  );
  const workers = [
    await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: inject('harness').workflowBundlePath },
    }),
    await Worker.create({
      connection: env.nativeConnection,
      taskQueue: partnerTaskQueue(taskQueue, partner),
      activities,
    }),
  ];
  const runs = workers.map((w) => w.run());
  try {
    return await fn({ taskQueue, secondRefused });
  } finally {
    for (const w of workers) w.shutdown();
    await Promise.allSettled([...runs, second.stop()]);
  }
}

async function secondWorker(
  sandbox: RunningSandbox,
  workflowTaskQueue: string,
  taskQueue: string,
  overrides: Record<string, string>,
  onRefused: (path: string) => void,
): Promise<ServerProcess> {
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  const proc = spawnServer(
    process.execPath,
    [
      '--import',
      'tsx',
      WORKER_SCRIPT,
      inject('harness').devServerAddress,
      workflowTaskQueue,
      taskQueue,
      sandbox.url,
      JSON.stringify(overrides),
    ],
    {
      onOutput: (line) => {
        const refused = /^refused (\S+)$/.exec(line.trim());
        if (refused) onRefused(refused[1]!);
        else if (line.trim() === 'ready') ready();
        else console.error(`[second worker] ${line}`);
      },
    },
  );
  await Promise.race([
    isReady,
    proc.exited.then((code) => Promise.reject(new Error(`the second worker exited (code ${code})`))),
  ]);
  return proc;
}
