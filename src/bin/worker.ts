/**
 * `npm run worker`: the workers alone (the workflows' queue and one queue per partner), against
 * the Temporal service at TEMPORAL_ADDRESS. Run as many as you like — they share the queues —
 * e.g. `docker compose up --scale worker=3`. `npm start` runs the same workers next to the API
 * and the sandbox partners; this process reaches the sandbox partners at SANDBOX_URL.
 *
 * Wired like `startService` (src/service.ts): a change to how that builds its workers (their
 * activities, data converter, rate limits, runtime) belongs here too.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { createActivities } from '../../activities/index.js';
import { createPartners } from '../../partners/registry.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createClient, waitForTemporal } from '../temporal/client.js';
import { AesGcmCodec, dataConverter, loadCodecKeys } from '../temporal/codec.js';
import { applyPartnerRateLimits, partnerQueueLimits } from '../temporal/rate-limits.js';
import { createWorkers, drainWorkers, installRuntime, startBuild, versioningRefused } from '../temporal/worker.js';

const log = (line: string) => console.log(`[audience-sync worker] ${line}`);

/** A problem the person starting the worker can fix: one line, no stack. */
function fail(message: string): never {
  console.error(`audience-sync worker: ${message}`);
  process.exit(1);
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}
if (config.temporal.embedded) {
  fail('set TEMPORAL_ADDRESS (host:port of the Temporal service); `npm start` runs a worker with its own dev server');
}
const sandboxUrl = config.sandboxUrl ?? `http://${config.host}:${config.sandboxPort}`;

// The API's payload keys: from the environment, or in sandbox mode the file the API generated in
// DATA_DIR. A worker never makes its own: nothing else could read what it wrote.
const generatedKeys = join(config.dataDir, 'codec-keys.json');
if (
  config.mode === 'sandbox' &&
  !process.env.AUDIENCE_SYNC_CODEC_KEYS &&
  !process.env.AUDIENCE_SYNC_CODEC_KEY_FILE &&
  !existsSync(generatedKeys)
) {
  fail(
    `no payload encryption keys: give the API's (AUDIENCE_SYNC_CODEC_KEYS or AUDIENCE_SYNC_CODEC_KEY_FILE), ` +
      `or share its DATA_DIR (the API generates ${generatedKeys} in sandbox mode)`,
  );
}
const keys = await loadCodecKeys(process.env, config.mode === 'sandbox' ? generatedKeys : undefined).catch(
  (err: unknown) => fail(`payload encryption keys: ${message(err)}`),
);
let converter;
try {
  converter = dataConverter(new AesGcmCodec(keys));
} catch (err) {
  fail(`payload encryption keys: ${message(err)}`);
}

const { address, namespace, taskQueue } = config.temporal;
const security = { tls: config.temporal.tls, apiKey: config.temporal.apiKey };
installRuntime();
await waitForTemporal(address, namespace, 60_000, security).catch(() =>
  fail(
    `Temporal at ${address} does not answer for namespace "${namespace}" (check TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE)`,
  ),
);

const clientConnection = await Connection.connect({ address, ...security });
const partners = createPartners({ sandboxUrl, env: process.env });
// Idempotent, and what the API applies too: a worker started first never polls an unlimited queue.
await applyPartnerRateLimits(
  clientConnection,
  namespace,
  partnerQueueLimits(
    taskQueue,
    Object.values(partners).map((p) => p.capabilities),
  ),
).catch((err: unknown) =>
  fail(
    `Temporal at ${address} refused the partner rate limits (task-queue config with fairness keys needs ` +
      `Temporal Server 1.29+ with matching.enableFairness): ${message(err)}`,
  ),
);
const { workers, connection, version } = await createWorkers({
  address,
  ...security,
  namespace,
  taskQueue,
  partners: Object.keys(partners),
  dataConverter: converter,
  workflowBundlePath: config.workflowBundle,
  versioning: config.versioning,
  activities: createActivities({
    client: createClient(clientConnection, namespace, converter),
    partners,
    workflowTaskQueue: taskQueue,
  }),
});
const runs = workers.map((w) => w.run());
log(`polling ${taskQueue} and its partner queues (${Object.keys(partners).join(', ')}) at ${address}`);

let stopping = false;
async function stop(reason: string, code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${reason}; stopping…`);
  await drainWorkers(workers, runs);
  await connection.close();
  await clientConnection.close();
  log('stopped');
  process.exit(code);
}
// The signal may arrive twice (from the terminal or Docker, and relayed by npm/tsx): once is enough.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(`${signal} received`, 0));
void Promise.race(runs).then(
  () => stop('a worker stopped', 1),
  (err: unknown) => stop(`a worker failed: ${message(err)}`, 1),
);

// Worker Versioning (docs/operations.md, "Changing workflow code"): once the worker polls, its build is known to the server.
if (version && config.versioning) {
  const { setCurrent } = config.versioning;
  await startBuild(clientConnection, namespace, version, {
    setCurrent,
    adoptPinnedRuns: setCurrent && config.mode === 'sandbox',
  }).then(log, (err: unknown) => {
    console.error(`audience-sync worker: ${versioningRefused(version.buildId, version.deploymentName, err)}`);
    return stop('its build was not made current', 1);
  });
}
