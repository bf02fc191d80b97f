import { besideModule } from './module-path.js';
import { partnerTaskQueue } from '../../domain/ids.js';
import type { PartnerId } from '../../domain/types.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type TLSConfig,
  type WorkerOptions,
} from '@temporalio/worker';

/** The product's workflow entry point, bundled by the SDK (webpack + swc): the TypeScript, or its build. */
export const WORKFLOWS_PATH = besideModule(import.meta.url, '../../workflows/index');

/**
 * Bundles `workflowsPath` (webpack + swc) into one file a worker loads with `workflowBundle`:
 * a worker given a bundle starts faster and never holds the bundler in memory (~125 MB at its
 * peak), as Temporal recommends for production. `npm run build:workflows` runs this.
 */
export async function writeWorkflowBundle(outFile: string, workflowsPath = WORKFLOWS_PATH): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  await mkdir(dirname(outFile), { recursive: true });
  await writeFile(outFile, code);
}

let runtimeInstalled = false;

/**
 * V8 lets a heap grow up to 4× what survived its last full collection before collecting again;
 * under load the worker's two heaps (main thread: partner calls; workflow thread: payloads)
 * grew on garbage. At most 1.5× keeps a worker ~100–130 MB smaller at 1M users for no measured
 * CPU (`npm run bench`; 1.2–1.35× were smaller still but cost 15–40 % more CPU). V8 reads the
 * flag at each collection, for every thread of the process.
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * The SDK installs its own SIGINT/SIGTERM handlers by default; `npm start` stops the worker,
 * the API and the dev server in its own order, so it takes the signals back. Its INFO logs
 * (webpack stats, state changes) would bury the service's own lines.
 */
export function installRuntime(opts: { metricsBindAddress?: string } = {}): void {
  if (runtimeInstalled) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger('WARN'),
    // The SDK's own metrics (task latencies, slots, polls): served here, appended to the API's /metrics.
    ...(opts.metricsBindAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: opts.metricsBindAddress } } } }
      : {}),
  });
  runtimeInstalled = true;
}

export interface CreateWorkersOptions {
  address: string;
  tls?: TLSConfig | true;
  apiKey?: string;
  namespace: string;
  /** The workflows' task queue; each partner's activities poll `<taskQueue>-<partner>`. */
  taskQueue: string;
  partners: PartnerId[];
  activities: WorkerOptions['activities'];
  /** Encrypts payloads and failures (see codec.ts). */
  dataConverter?: WorkerOptions['dataConverter'];
  /** A bundle from writeWorkflowBundle; without one the worker bundles the workflows as it starts. */
  workflowBundlePath?: string;
}

/**
 * The workers of one process: one for the workflows, and one per partner activity queue (where
 * the server holds that partner's rate limit).
 */
export async function createWorkers(
  opts: CreateWorkersOptions,
): Promise<{ workers: Worker[]; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({
    address: opts.address,
    tls: opts.tls,
    apiKey: opts.apiKey,
    // Every payload is encrypted (codec.ts), and ciphertext does not compress: the SDK's default
    // gzip only spent CPU on both sides (a fifth of the dev server's, at 200k users).
    grpcCompression: { codec: 'none' },
  });
  const workflows = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundlePath
      ? { workflowBundle: { codePath: opts.workflowBundlePath } }
      : { workflowsPath: WORKFLOWS_PATH }),
    dataConverter: opts.dataConverter,
  });
  const partners = await Promise.all(
    opts.partners.map((partner) =>
      Worker.create({
        connection,
        namespace: opts.namespace,
        taskQueue: partnerTaskQueue(opts.taskQueue, partner),
        activities: opts.activities,
        dataConverter: opts.dataConverter,
        // On shutdown, partner calls in flight get this long to finish; one cut short is retried by Temporal.
        shutdownGraceTime: '10 seconds',
      }),
    ),
  );
  return { workers: [workflows, ...partners], connection };
}

/**
 * Drains the partner workers first — their calls in flight get their grace time and may still
 * need a rate slot from a workflow — then the workflow worker (`workers[0]`, see createWorkers).
 */
export async function drainWorkers(workers: Worker[], runs: Promise<void>[]): Promise<void> {
  const shutdown = async (which: number[]) => {
    for (const n of which) if (workers[n]!.getState() === 'RUNNING') workers[n]!.shutdown();
    await Promise.allSettled(which.map((n) => runs[n]!));
  };
  await shutdown(workers.map((_, n) => n).slice(1));
  await shutdown([0]);
}
