import type { Server } from 'node:http';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { expect, inject } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { PARTNER_REGISTRY, type PartnerRegistry } from '../../partners/registry.js';
import { createApp } from '../../src/api/app.js';
import { answerClientErrors } from '../../src/api/client-errors.js';
import type { RunningSandbox } from '../../src/sandbox/server.js';
import { createLogger } from '../../src/observability/log.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { lazyConnection } from '../../src/temporal/client.js';
import { AesGcmCodec, dataConverter } from '../../src/temporal/codec.js';
import { partnerTaskQueue } from '../../domain/ids.js';
import type { PartnerId } from '../../domain/types.js';
import { freePort } from './ports.js';
import { uniqueTaskQueue } from './temporal.js';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
export const OPERATOR_KEY = 'test-operator-key-0123456789abcdef';
export const UI_ORIGIN = 'http://127.0.0.1:8233';
/** Two keys, as after a rotation: `new` encrypts, `old` still decrypts. */
export const TEST_CODEC_KEYS = {
  current: 'new',
  keys: { new: Buffer.alloc(32, 7), old: Buffer.alloc(32, 3) },
};
export const TEST_CODEC = new AesGcmCodec(TEST_CODEC_KEYS);

export interface Answered {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

export interface ApiStack {
  url: string;
  taskQueue: string;
  /** Every call made through `call`, for the contract test. */
  answered: Answered[];
  metrics: Metrics;
  /** Every log line the API and activities wrote (JSON). */
  logLines: string[];
  /** fetch against the API with a bearer key and a JSON body. */
  call(
    method: string,
    path: string,
    key?: string,
    body?: unknown,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

/** The product as `npm start` runs it, on the harness's dev server: workers for every partner and the API on a free port. */
export async function startApiStack(
  env: TestWorkflowEnvironment,
  sandbox: RunningSandbox,
  overrides: Record<string, string> = {},
  opts: { uiDir?: string | null; registry?: PartnerRegistry } = {},
): Promise<ApiStack> {
  const taskQueue = uniqueTaskQueue('api');
  const registry = opts.registry ?? PARTNER_REGISTRY;
  const partners = registry.createAdapters({ sandboxUrl: sandbox.url, env: overrides });
  // Encrypted everywhere, as the service runs.
  const converter = dataConverter(TEST_CODEC);
  const metrics = createMetrics(
    Object.fromEntries(Object.entries(registry.apiVersions(overrides)).map(([id, v]) => [id, v.sunsetAt])),
  );
  const logLines: string[] = [];
  const logger = createLogger({ write: (line: string) => void logLines.push(line) });
  const activities = createActivities({
    client: new Client({ connection: env.connection, dataConverter: converter }),
    partners,
    workflowTaskQueue: taskQueue,
    metrics,
  });
  const workers = [
    await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: inject('harness').workflowBundlePath },
      dataConverter: converter,
    }),
    ...(await Promise.all(
      registry.ids.map((p) =>
        Worker.create({
          connection: env.nativeConnection,
          taskQueue: partnerTaskQueue(taskQueue, p),
          activities,
          dataConverter: converter,
        }),
      ),
    )),
  ];
  const runs = workers.map((w) => w.run());
  const temporal = lazyConnection(inject('harness').devServerAddress);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server: Server = createApp({
    temporal,
    namespace: 'default',
    taskQueue,
    partners,
    registry,
    apiVersions: registry.apiVersions(overrides),
    adminKey: ADMIN_KEY,
    publicUrl: url,
    log: () => {},
    dataConverter: converter,
    metrics: { metrics },
    logger,
    codec: { codec: TEST_CODEC, sandbox: false, operatorKey: OPERATOR_KEY, uiOrigins: [UI_ORIGIN] },
    uiDir: opts.uiDir,
  }).listen(port, '127.0.0.1');
  answerClientErrors(server);
  await new Promise((r) => server.once('listening', r));
  const answered: Answered[] = [];
  return {
    url,
    taskQueue,
    answered,
    metrics,
    logLines,
    async call(method, path, key, body) {
      const res = await fetch(`${url}${path}`, {
        method,
        redirect: 'manual',
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON
      }
      answered.push({ method, path: new URL(path, url).pathname, status: res.status, body: parsed });
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await temporal.close();
      for (const w of workers) w.shutdown();
      await Promise.allSettled(runs);
    },
  };
}

/** A new workspace, made with the admin key; its API key. */
export async function newWorkspace(api: ApiStack, name: string): Promise<string> {
  const res = await api.call('POST', '/v1/workspaces', ADMIN_KEY, { name });
  expect(res.status).toBe(201);
  return res.body.apiKey as string;
}

/** Connects `partner` with a fresh sandbox token by PUT and selects `adAccountId`; the token. */
export async function connectWithToken(
  api: ApiStack,
  sandbox: RunningSandbox,
  key: string,
  partner: PartnerId,
  adAccountId: string,
): Promise<string> {
  const accessToken = sandbox.state.newToken();
  expect((await api.call('PUT', `/v1/connections/${partner}`, key, { accessToken })).status).toBe(200);
  const sel = await api.call('PUT', `/v1/connections/${partner}/ad-accounts`, key, { adAccountIds: [adAccountId] });
  expect(sel.status).toBe(200);
  return accessToken;
}
