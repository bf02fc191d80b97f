import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { accessTokenVerifier } from './api/access-token.js';
import { createApp } from './api/app.js';
import { answerClientErrors } from './api/client-errors.js';
import type { Config } from './config.js';
import { createClient, lazyConnection, waitForTemporal } from './temporal/client.js';
import { registerSearchAttributes, startDevServer, type DevServer } from './temporal/devserver.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../domain/search-attributes.js';
import { canConnect } from './temporal/process.js';
import { createLogger } from './observability/log.js';
import { createMetrics } from './observability/metrics.js';
import { AesGcmCodec, dataConverter, loadCodecKeys } from './temporal/codec.js';
import { applyPartnerRateLimits, partnerQueueLimits } from './temporal/rate-limits.js';
import { createWorkers, drainWorkers, installRuntime, startBuild, versioningRefused } from './temporal/worker.js';
import { startSandbox } from './sandbox/server.js';
import { ensureUiBuilt } from './ui/assets.js';
import { PARTNER_REGISTRY, createPartners } from '../partners/registry.js';
import { CLI, defaultToolchainContext, resolveBinary } from './temporal/toolchain/index.js';

export type Log = (line: string) => void;

/** A problem the person starting the service can fix; said in one line, no stack. */
export class StartupError extends Error {
  override name = 'StartupError';
}

export interface RunningService {
  /** `ui`: the Temporal Web UI; `analytics`: the step analytics page (when built). */
  urls: { api: string; temporal: string; ui?: string; analytics?: string; sandbox: string };
  /** Settles if a part dies on its own (the worker fails, the dev server exits). */
  failed: Promise<Error>;
  /** Stops the API, then the worker, then the dev server; idempotent. */
  stop(): Promise<void>;
}

/**
 * Everything `npm start` runs in one process tree: the embedded Temporal dev server (unless
 * TEMPORAL_ADDRESS points elsewhere), the worker and the HTTP API.
 */
export async function startService(config: Config, log: Log): Promise<RunningService> {
  const stack: Array<() => Promise<void>> = [];
  let muteServer = () => {};
  const stop = async () => {
    muteServer();
    while (stack.length) await stack.pop()?.();
  };
  const failures: Promise<Error>[] = [];
  const security = { tls: config.temporal.tls, apiKey: config.temporal.apiKey };
  try {
    await ensurePortFree(config.host, config.apiPort, 'API_PORT');
    if (!config.sandboxUrl) await ensurePortFree(config.host, config.sandboxPort, 'SANDBOX_PORT');
    if (config.runWorker) await ensurePortFree('127.0.0.1', config.sdkMetricsPort, 'SDK_METRICS_PORT');
    let devServer: DevServer | undefined;
    if (config.temporal.embedded) {
      await ensurePortFree(config.host, config.temporal.port, 'TEMPORAL_PORT');
      await ensurePortFree(config.host, config.temporal.uiPort, 'TEMPORAL_UI_PORT');
      const cli = await resolveBinary(CLI, defaultToolchainContext(process.env, log));
      log(`starting Temporal dev server (data: ${config.dataDir})…`);
      devServer = await startDevServer({
        exe: cli.path,
        host: config.host,
        port: config.temporal.port,
        uiPort: config.temporal.uiPort,
        dbFile: join(config.dataDir, 'temporal.db'),
        namespace: config.temporal.namespace,
        // The local Web UI shows decoded payloads (the browser calls the API's codec endpoint).
        uiCodecEndpoint: `http://${config.host}:${config.apiPort}/codec`,
        onOutput: (line) => log(`[temporal] ${line}`),
      });
      const server = devServer;
      stack.push(() => server.stop());
      muteServer = () => server.mute();
      failures.push(server.process.exited.then((code) => new Error(`the Temporal dev server exited (code ${code})`)));
    }

    if (config.runWorker) installRuntime({ metricsBindAddress: `127.0.0.1:${config.sdkMetricsPort}` });
    const apiVersions = PARTNER_REGISTRY.apiVersions(process.env);
    // An operator hears of a partner API version nearing its sunset (or one the calendar does not know).
    for (const v of Object.values(apiVersions)) if (v.warning) log(`warning: ${v.warning}`);
    const metrics = createMetrics(Object.fromEntries(Object.entries(apiVersions).map(([id, v]) => [id, v.sunsetAt])));
    const logger = createLogger();
    // The embedded dev server was waited for as it started; an external Temporal is checked here.
    if (
      !config.temporal.embedded &&
      !(await waitForTemporal(config.temporal.address, config.temporal.namespace, 10_000, security).then(
        () => true,
        () => false,
      ))
    ) {
      throw new StartupError(
        `Temporal at ${config.temporal.address} does not answer for namespace "${config.temporal.namespace}" ` +
          '(check TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE, or unset TEMPORAL_ADDRESS to run the embedded dev server)',
      );
    }
    let sandboxUrl = config.sandboxUrl;
    if (!sandboxUrl) {
      const sandbox = await startSandbox(config.host, config.sandboxPort, {
        linkedinSegmentReadyMs: 5_000,
        rateLimits: config.sandboxRateLimits,
      });
      stack.push(() => sandbox.close());
      sandboxUrl = sandbox.url;
    }

    // Every payload and failure the service writes to Temporal is encrypted (codec.ts).
    const codec = new AesGcmCodec(
      await loadCodecKeys(
        process.env,
        config.mode === 'sandbox' ? join(config.dataDir, 'codec-keys.json') : undefined,
      ).catch((err: unknown) => {
        throw new StartupError(`payload encryption keys: ${err instanceof Error ? err.message : String(err)}`);
      }),
    );
    const converter = dataConverter(codec);

    const clientConnection = await Connection.connect({ address: config.temporal.address, ...security });
    stack.push(() => clientConnection.close());
    if (!config.temporal.embedded) {
      // The embedded dev server registers them as it starts; another cluster may not have them yet.
      await registerSearchAttributes(clientConnection, config.temporal.namespace).catch((err: unknown) => {
        log(
          `could not register the search attributes (${SEARCH_ATTRIBUTE_KEYS.map((k) => k.name).join(', ')}, Keyword) ` +
            `on ${config.temporal.namespace}: ${err instanceof Error ? err.message : String(err)} — ` +
            'register them with `temporal operator search-attribute create` (or tcld on Temporal Cloud)',
        );
      });
    }
    const partners = createPartners({ sandboxUrl, env: process.env });
    // Before any worker polls: the server holds each partner's rate limit on its queue.
    await applyPartnerRateLimits(
      clientConnection,
      config.temporal.namespace,
      partnerQueueLimits(
        config.temporal.taskQueue,
        Object.values(partners).map((p) => p.capabilities),
      ),
    ).catch((err: unknown) => {
      throw new StartupError(
        `Temporal at ${config.temporal.address} refused the partner rate limits (task-queue config with fairness keys ` +
          `needs Temporal Server 1.29+ with matching.enableFairness): ${err instanceof Error ? err.message : String(err)}`,
      );
    });
    // Without a worker here (AUDIENCE_SYNC_WORKER=off) the API serves alone; `npm run worker` processes do the work.
    if (config.runWorker) {
      const {
        workers,
        connection: workerConnection,
        version,
      } = await createWorkers({
        address: config.temporal.address,
        ...security,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        partners: Object.keys(partners),
        dataConverter: converter,
        workflowBundlePath: config.workflowBundle,
        versioning: config.versioning,
        activities: createActivities({
          client: createClient(clientConnection, config.temporal.namespace, converter),
          partners,
          workflowTaskQueue: config.temporal.taskQueue,
          metrics,
        }),
      });
      const runs = workers.map((w) => w.run());
      stack.push(() => stopWorkers(workers, runs, workerConnection));
      failures.push(
        Promise.race(runs).then(
          () => new Error('a worker stopped'),
          (err: unknown) => new Error(`a worker failed: ${err instanceof Error ? err.message : String(err)}`),
        ),
      );
      // Worker Versioning (docs/operations.md, "Changing workflow code"): once the worker polls, its build is known to the server.
      if (version && config.versioning) {
        const { setCurrent } = config.versioning;
        log(
          await startBuild(clientConnection, config.temporal.namespace, version, {
            setCurrent,
            adoptPinnedRuns: setCurrent && config.mode === 'sandbox',
          }).catch((err: unknown) => {
            throw new StartupError(versioningRefused(version.buildId, version.deploymentName, err));
          }),
        );
      }
    }

    const uiDir = await ensureUiBuilt(log);
    const temporal: Connection = lazyConnection(config.temporal.address, security);
    stack.push(() => temporal.close());
    const server = createApp({
      temporal,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      partners,
      apiVersions,
      adminKey: config.adminKey ?? (await sandboxAdminKey(config.dataDir, log)),
      publicUrl: config.publicUrl,
      maxPendingUsersPerStep: config.maxPendingUsersPerStep,
      uiDir,
      log,
      dataConverter: converter,
      metrics: {
        metrics,
        sdkMetricsUrl: config.runWorker ? `http://127.0.0.1:${config.sdkMetricsPort}/metrics` : undefined,
        token: config.metricsToken,
      },
      logger,
      codec: {
        codec,
        verifyAccessToken: config.codecJwt ? accessTokenVerifier(config.codecJwt) : undefined,
        sandbox: config.mode === 'sandbox',
        operatorKey: config.operatorKey,
        uiOrigins: config.uiOrigins,
      },
    }).listen(config.apiPort, config.host);
    answerClientErrors(server);
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([err]) => {
        throw err;
      }),
    ]);
    stack.push(() => closeServer(server));

    return {
      urls: {
        api: `http://${config.host}:${config.apiPort}`,
        temporal: config.temporal.address,
        ui: devServer?.uiUrl,
        ...(uiDir ? { analytics: `http://${config.host}:${config.apiPort}/ui/` } : {}),
        sandbox: sandboxUrl,
      },
      failed: Promise.race(failures),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Sandbox mode without AUDIENCE_SYNC_ADMIN_KEY: a key generated once, kept in the data
 * directory (owner-only) so it survives restarts, printed when it is made.
 */
async function sandboxAdminKey(dataDir: string, log: Log): Promise<string> {
  const file = join(dataDir, 'admin-key');
  const existing = await readFile(file, 'utf8').catch(() => '');
  if (existing.trim()) {
    log(`admin key: in ${file} (or set AUDIENCE_SYNC_ADMIN_KEY)`);
    return existing.trim();
  }
  const key = `adm_${randomBytes(32).toString('base64url')}`;
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  log(`admin key: ${key}  (generated once, kept in ${file})`);
  return key;
}

async function ensurePortFree(host: string, port: number, envVar: string): Promise<void> {
  if (await canConnect(host, port)) {
    throw new StartupError(`port ${port} on ${host} is already in use; stop what uses it or set ${envVar}`);
  }
}

async function stopWorkers(workers: Worker[], runs: Promise<void>[], connection: NativeConnection): Promise<void> {
  await drainWorkers(workers, runs);
  await connection.close();
}

/** Requests in flight at shutdown get this long to finish before their connections are cut. */
const DRAIN_MS = 10_000;

/** Stops accepting, lets the requests in flight finish (each gets its answer), then closes. */
async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
  await closed;
  clearTimeout(timer);
}
