import { resolve } from 'node:path';
import { z } from 'zod';

const port = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a whole port number')
    .min(1, 'must be a port number from 1 to 65535')
    .max(65_535, 'must be a port number from 1 to 65535')
    .default(fallback);

/** Every setting the service reads from the environment, in one place. */
const EnvSchema = z.object({
  API_PORT: port(3000),
  SANDBOX_PORT: port(4010),
  /** Where the worker's SDK serves its Prometheus metrics (loopback; appended to the API's /metrics). */
  SDK_METRICS_PORT: port(9464),
  /** A bearer token the metrics scraper sends; without it /metrics answers loopback callers only. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  TEMPORAL_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  /** Loopback by default: sandbox mode must not be reachable from other machines. */
  HOST: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  /** Where the embedded dev server keeps its SQLite file. */
  DATA_DIR: z.string().min(1, 'must not be empty').default('.data'),
  /** Set to use an existing Temporal (cluster or Cloud) instead of starting the embedded dev server. */
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1, 'must not be empty').default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1, 'must not be empty').default('audience-sync'),
  /** Creates workspaces. Unset in sandbox mode: generated once into DATA_DIR/admin-key and printed. */
  AUDIENCE_SYNC_ADMIN_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
  /**
   * `sandbox` (what `npm start` runs): loopback, sandbox partners, keys generated into DATA_DIR.
   * `production`: the admin and codec keys must be given.
   */
  AUDIENCE_SYNC_MODE: z.enum(['sandbox', 'production'], { error: 'must be sandbox or production' }).default('sandbox'),
  /** Bearer key for the Web UI codec endpoints (/codec/*) outside sandbox mode. */
  AUDIENCE_SYNC_OPERATOR_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
  /** The Temporal Web UI's origin, allowed to call /codec/* from the browser (CORS). */
  TEMPORAL_UI_ORIGIN: z.url({ error: 'must be a URL like http://localhost:8233' }).optional(),
  /** The API's address as browsers reach it (OAuth callbacks); default http://HOST:API_PORT. */
  API_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
});

export interface Config {
  mode: 'sandbox' | 'production';
  sdkMetricsPort: number;
  metricsToken?: string;
  operatorKey?: string;
  /** Allowed to call the codec endpoints from a browser. */
  uiOrigins: string[];
  apiPort: number;
  /** undefined: sandbox mode generates (or reuses) one in dataDir. */
  adminKey?: string;
  publicUrl: string;
  sandboxPort: number;
  host: string;
  dataDir: string;
  temporal: {
    /** Where clients and workers connect. */
    address: string;
    namespace: string;
    taskQueue: string;
    /** Start `temporal server start-dev` ourselves (no TEMPORAL_ADDRESS given). */
    embedded: boolean;
    port: number;
    uiPort: number;
  };
}

/** A bad setting, said in one line naming the variable (values are not echoed: some are secrets). */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  if (e.AUDIENCE_SYNC_MODE === 'production' && !e.AUDIENCE_SYNC_ADMIN_KEY) {
    throw new ConfigError('invalid configuration: AUDIENCE_SYNC_ADMIN_KEY is required in production mode');
  }
  return {
    mode: e.AUDIENCE_SYNC_MODE,
    sdkMetricsPort: e.SDK_METRICS_PORT,
    metricsToken: e.METRICS_TOKEN,
    operatorKey: e.AUDIENCE_SYNC_OPERATOR_KEY,
    uiOrigins: e.TEMPORAL_UI_ORIGIN
      ? [e.TEMPORAL_UI_ORIGIN.replace(/\/$/, '')]
      : [`http://${e.HOST}:${e.TEMPORAL_UI_PORT}`, `http://localhost:${e.TEMPORAL_UI_PORT}`],
    apiPort: e.API_PORT,
    adminKey: e.AUDIENCE_SYNC_ADMIN_KEY,
    publicUrl: e.API_PUBLIC_URL ?? `http://${e.HOST}:${e.API_PORT}`,
    sandboxPort: e.SANDBOX_PORT,
    host: e.HOST,
    dataDir: resolve(e.DATA_DIR),
    temporal: {
      address: e.TEMPORAL_ADDRESS ?? `${e.HOST}:${e.TEMPORAL_PORT}`,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      embedded: !e.TEMPORAL_ADDRESS,
      port: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
    },
  };
}
