import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { afterEach, beforeEach, inject } from 'vitest';
import { registerSearchAttributes } from '../../src/temporal/devserver.js';
import { spawnServer, waitForPort, type ServerProcess } from '../../src/temporal/process.js';
import { freePort } from './ports.js';

/** Keeps the SDK's INFO chatter (webpack stats, worker states) out of test output. */
function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  } catch {
    // Already installed in this process.
  }
}

export interface TimeSkippingEnv {
  env: TestWorkflowEnvironment;
  address: string;
  teardown(): Promise<void>;
}

/**
 * One time-skipping test server per test file: time skipping is global to a server, so files
 * running in parallel must not share one.
 *
 * We start `<exe> <port>` ourselves (never with --enable-time-skipping: the SDK locks and
 * unlocks time itself) instead of handing the SDK an `existing-path` executable, because the
 * SDK gives its child only 5 s to answer and kills only that direct child: a cold JVM behind
 * the Maven route's wrapper script on a busy 2-core machine can need longer. Attaching to a
 * running time-skipping server is what `TestWorkflowEnvironment.create` does for
 * `createTimeSkipping`; it is private in the typings, so it is reached here, and only here.
 *
 * The test server refuses a workflow carrying a search attribute it has not registered
 * (a start with one fails "INVALID_ARGUMENT: search attribute WorkspaceId is not defined") and
 * has no flag to register them (nor does `createTimeSkipping` offer one: `searchAttributes` is a
 * dev-server option), but it implements the operator service's AddSearchAttributes: the
 * product's attributes are registered that way before the environment is handed out.
 */
export async function createTimeSkippingEnv(): Promise<TimeSkippingEnv> {
  quietRuntime();
  const port = await freePort();
  const server: ServerProcess = spawnServer(inject('harness').testServerPath, [String(port)]);
  try {
    await waitForPort('127.0.0.1', port, 60_000, server.exited);
    const sdk = TestWorkflowEnvironment as unknown as { create(opts: object): Promise<TestWorkflowEnvironment> };
    const env = await sdk.create({
      server: { type: 'existing' },
      address: `127.0.0.1:${port}`,
      supportsTimeSkipping: true,
      namespace: 'default',
    });
    await registerSearchAttributes(env.connection, 'default').catch(async (err: unknown) => {
      await env.teardown();
      throw err;
    });
    return {
      env,
      address: `127.0.0.1:${port}`,
      async teardown() {
        await env.teardown();
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/**
 * A time-skipping server of its own for each test where this is called (file or describe):
 * time skipping is global to a server, and a workflow task an earlier test left without a
 * worker would hold time still for the next. Read `.env` inside tests.
 */
export function timeSkippingServerPerTest(): Pick<TimeSkippingEnv, 'env' | 'address'> {
  let current: TimeSkippingEnv | undefined;
  beforeEach(async () => {
    current = await createTimeSkippingEnv();
  });
  afterEach(async () => {
    await current?.teardown();
    current = undefined;
  });
  const server = () => {
    if (!current) throw new Error('no time-skipping server outside a test');
    return current;
  };
  return {
    get env() {
      return server().env;
    },
    get address() {
      return server().address;
    },
  };
}

/** The run's shared dev server (real Temporal server, real time), or another at `address`. Use a fresh task queue per test. */
export async function connectDevServer(address = inject('harness').devServerAddress): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createFromExistingServer({ address, namespace: 'default' });
}

export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

/** Runs `fn` while a worker (bundle built once per run) polls `taskQueue`. */
export async function withWorker<T>(
  env: TestWorkflowEnvironment,
  opts: { taskQueue: string; activities?: WorkerOptions['activities'] },
  fn: () => Promise<T>,
): Promise<T> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: opts.taskQueue,
    workflowBundle: { codePath: inject('harness').workflowBundlePath },
    activities: opts.activities ?? {},
  });
  return worker.runUntil(fn);
}
