import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';

/** The product's workflow entry point, bundled by the SDK (webpack + swc) straight from TypeScript. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

let runtimeInstalled = false;

/**
 * The SDK installs its own SIGINT/SIGTERM handlers by default; `npm start` stops the worker,
 * the API and the dev server in its own order, so it takes the signals back. Its INFO logs
 * (webpack stats, state changes) would bury the service's own lines.
 */
export function installRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('WARN') });
  runtimeInstalled = true;
}

export interface CreateWorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  activities?: WorkerOptions['activities'];
}

export async function createWorker(
  opts: CreateWorkerOptions,
): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: opts.address });
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    activities: opts.activities ?? {},
  });
  return { worker, connection };
}
