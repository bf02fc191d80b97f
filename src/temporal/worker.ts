import { besideModule } from './module-path.js';
import { partnerTaskQueue } from '../../domain/ids.js';
import type { PartnerId } from '../../domain/types.js';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import type { Connection } from '@temporalio/client';
import type { VersioningBehavior, WorkerDeploymentVersion } from '@temporalio/common';
import proto from '@temporalio/proto'; // CommonJS: no named exports under Node's ESM loader
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
 * a worker given a bundle starts faster and never holds the bundler in memory, as Temporal
 * recommends for production. `npm run build:workflows` runs this.
 */
export async function writeWorkflowBundle(outFile: string, workflowsPath = WORKFLOWS_PATH): Promise<void> {
  const code = await bundleWorkflows(workflowsPath);
  await mkdir(dirname(outFile), { recursive: true });
  await writeFile(outFile, code);
}

async function bundleWorkflows(workflowsPath: string): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  return code;
}

let runtimeInstalled = false;

/**
 * V8 lets a heap grow up to 4× what survived its last full collection before collecting again,
 * and under load the worker's two heaps (partner calls; payloads) grow on garbage: 1.5× keeps
 * them small at no measurable CPU (bench/notes.md). V8 reads the flag at each collection, for
 * every thread of the process.
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
  /** The workflow worker's Worker Deployment (docs/operations.md, "Changing workflow code"); undefined: unversioned. */
  versioning?: WorkerVersioningOptions;
}

/**
 * The workers of one process: one for the workflows, and one per partner activity queue (where
 * the server holds that partner's rate limit).
 */
export async function createWorkers(
  opts: CreateWorkersOptions,
): Promise<{ workers: Worker[]; connection: NativeConnection; version?: WorkerDeploymentVersion }> {
  let workflowCode: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> = opts.workflowBundlePath
    ? { workflowBundle: { codePath: opts.workflowBundlePath } }
    : { workflowsPath: WORKFLOWS_PATH };
  let workerDeploymentOptions: WorkerOptions['workerDeploymentOptions'];
  let version: WorkerDeploymentVersion | undefined;
  if (opts.versioning) {
    // The build id is the bundle's: bundled here (as the worker would) to know it before the worker starts.
    const code = opts.workflowBundlePath
      ? await readFile(opts.workflowBundlePath, 'utf8')
      : await bundleWorkflows(WORKFLOWS_PATH);
    if (!opts.workflowBundlePath) workflowCode = { workflowBundle: { code } };
    version = {
      deploymentName: opts.versioning.deploymentName,
      buildId: opts.versioning.buildId ?? workflowBuildId(code),
    };
    workerDeploymentOptions = {
      version,
      useWorkerVersioning: true,
      defaultVersioningBehavior: DEFAULT_VERSIONING_BEHAVIOR,
    };
  }
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
    ...workflowCode,
    dataConverter: opts.dataConverter,
    workerDeploymentOptions,
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
        // Unversioned, whatever the workflow worker is: the activities of every build's workflows
        // are served by whichever workers poll (so their inputs and results stay compatible between
        // builds), and the partner rate limits stay on the queue as the server holds them.
      }),
    ),
  );
  return { workers: [workflows, ...partners], connection, version };
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

// ── Worker Versioning (docs/operations.md, "Changing workflow code") ───────────────────────────────────────────

export interface WorkerVersioningOptions {
  /** Groups the builds of this service; one per installation sharing a namespace. */
  deploymentName: string;
  /** undefined: workflowBuildId of the workflow bundle. */
  buildId?: string;
}

/**
 * The behavior of a workflow type that declares none: each product workflow declares its own
 * (workflows/versioning.ts). Also that of a run whose first task an unversioned worker
 * completed (started before versioning was turned on): it moves on with the current build.
 */
export const DEFAULT_VERSIONING_BEHAVIOR: VersioningBehavior = 'AUTO_UPGRADE';

/**
 * The default build id: the workflow bundle's content hash, so a change to workflow code (or to
 * the SDK bundled with it) is a new build, and every worker of one build (one image, one
 * checkout) agrees. The bundle holds absolute paths: the same code built elsewhere may hash
 * differently, which is why a release should set AUDIENCE_SYNC_BUILD_ID.
 */
export function workflowBuildId(code: string): string {
  return `wf-${createHash('sha256').update(code).digest('hex').slice(0, 16)}`;
}

/** The server has not seen the version's pollers yet, or another call got there first: retried. */
const RETRIED = new Set([5 /* NOT_FOUND */, 9 /* FAILED_PRECONDITION */, 10 /* ABORTED */, 14 /* UNAVAILABLE */]);

/**
 * Makes `version` its deployment's current version: new workflows start on it, and auto-upgrade
 * runs move to it at their next workflow task; pinned runs stay on their build. The server knows
 * a version once one of its workers has polled, a moment after it starts: retried until then.
 */
export async function setCurrentVersion(
  connection: Connection,
  namespace: string,
  version: WorkerDeploymentVersion,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await connection.workflowService.setWorkerDeploymentCurrentVersion({
        namespace,
        deploymentName: version.deploymentName,
        buildId: version.buildId,
      });
      return;
    } catch (err) {
      if (!RETRIED.has((err as { code?: number }).code ?? -1) || Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

/**
 * Sandbox mode runs one build at a time (`npm start` after a code change, `docker compose up
 * --build`): a run pinned to an earlier build would wait for that build's workers forever — a
 * rate limiter among them would hold every partner call of its key. Each such run of this
 * deployment is moved to `version` (a pinned versioning override): it replays the new code, and
 * one the change cannot replay fails its workflow task, as it would have without versioning.
 * Answers how many were moved. Never in production, where the earlier build's workers drain them.
 */
export async function adoptPinnedRuns(
  connection: Connection,
  namespace: string,
  version: WorkerDeploymentVersion,
): Promise<number> {
  const { deploymentName, buildId } = version;
  const query =
    `ExecutionStatus = 'Running' AND TemporalWorkerDeployment = '${deploymentName}' AND ` +
    `TemporalWorkflowVersioningBehavior = 'Pinned' AND TemporalWorkerDeploymentVersion != '${deploymentName}:${buildId}'`;
  let moved = 0;
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await connection.workflowService.listWorkflowExecutions({ namespace, query, nextPageToken });
    for (const run of page.executions ?? []) {
      await connection.workflowService.updateWorkflowExecutionOptions({
        namespace,
        workflowExecution: run.execution,
        workflowExecutionOptions: {
          versioningOverride: {
            pinned: {
              behavior:
                proto.temporal.api.workflow.v1.VersioningOverride.PinnedOverrideBehavior
                  .PINNED_OVERRIDE_BEHAVIOR_PINNED,
              version: { deploymentName, buildId },
            },
          },
        },
        updateMask: { paths: ['versioning_override'] },
      });
      moved++;
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return moved;
}

/** The build's current version, if any (undefined: the deployment has none yet, or is not known). */
export async function currentBuildId(
  connection: Connection,
  namespace: string,
  deploymentName: string,
): Promise<string | undefined> {
  const { workerDeploymentInfo } = await connection.workflowService.describeWorkerDeployment({
    namespace,
    deploymentName,
  });
  return workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId ?? undefined;
}

/**
 * What a starting worker does with its build (config.versioning): makes it current (and, in
 * sandbox mode, moves the runs pinned to earlier builds onto it), or only says what it is and
 * how to make it current. Answers a line for the log.
 */
export async function startBuild(
  connection: Connection,
  namespace: string,
  version: WorkerDeploymentVersion,
  opts: { setCurrent: boolean; adoptPinnedRuns: boolean },
): Promise<string> {
  const name = `worker build ${version.buildId} of deployment ${version.deploymentName}`;
  if (!opts.setCurrent) {
    const current = await currentBuildId(connection, namespace, version.deploymentName).catch(() => undefined);
    if (current === version.buildId) return `${name} (current)`;
    return (
      `${name} (not current: new workflows go to ${current ? `build ${current}` : 'no build yet'}); make it current with ` +
      `\`temporal worker deployment set-current-version --deployment-name ${version.deploymentName} --build-id ${version.buildId}\``
    );
  }
  await setCurrentVersion(connection, namespace, version);
  const moved = opts.adoptPinnedRuns ? await adoptPinnedRuns(connection, namespace, version) : 0;
  return `${name} (current${moved ? `; ${moved} run(s) pinned to earlier builds moved to it` : ''})`;
}

/** The server would not make the worker's build current (Worker Versioning off, or too old a server). */
export function versioningRefused(buildId: string, deploymentName: string, err: unknown): string {
  return (
    `Temporal refused to make worker build ${buildId} current for deployment ${deploymentName} ` +
    `(Worker Deployments need Temporal Server 1.29+ with system.enableDeploymentVersions; ` +
    `AUDIENCE_SYNC_VERSIONING=off runs unversioned workers): ${err instanceof Error ? err.message : String(err)}`
  );
}
