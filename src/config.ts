import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TLSConfig } from '@temporalio/client';
import { PARTNER_REGISTRY, type PartnerRegistry } from '../partners/registry.js';
import { z } from 'zod';

const port = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a whole port number')
    .min(1, 'must be a port number from 1 to 65535')
    .max(65_535, 'must be a port number from 1 to 65535')
    .default(fallback);

const readableFile = z.string().refine((p) => {
  try {
    readFileSync(p);
    return true;
  } catch {
    return false;
  }
}, 'must name a readable file');

/** Every setting the service reads from the environment, in one place. */
const EnvSchema = z.object({
  API_PORT: port(3000),
  SANDBOX_PORT: port(4010),
  /** Sandbox partners already running elsewhere (another process, a shared one): none is started here. */
  SANDBOX_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  /** `off` runs the API without a worker (workers run apart: `npm run worker`). */
  AUDIENCE_SYNC_WORKER: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  /** A workflow bundle built by `npm run build:workflows`; without it a worker bundles them as it starts. */
  AUDIENCE_SYNC_WORKFLOW_BUNDLE: readableFile.optional(),
  /**
   * Worker Versioning (docs/operations.md, "Changing workflow code"): `off` runs unversioned workers (a server
   * without Worker Deployments, or one where this service never ran versioned).
   */
  AUDIENCE_SYNC_VERSIONING: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  /** The Worker Deployment the workers belong to; one per installation sharing a namespace. */
  AUDIENCE_SYNC_DEPLOYMENT_NAME: z
    .string()
    .regex(/^[^\s.:'"]{1,255}$/, 'must be 1 to 255 characters without spaces, dots, colons or quotes')
    .default('audience-sync'),
  /** This worker's build; default: derived from the workflow bundle's content (a code change, a new build). */
  AUDIENCE_SYNC_BUILD_ID: z
    .string()
    .regex(/^[^\s'"]{1,255}$/, 'must be 1 to 255 characters without spaces or quotes')
    .optional(),
  /** Make this worker's build the deployment's current version as it starts; default on in sandbox mode only. */
  AUDIENCE_SYNC_SET_CURRENT_VERSION: z.enum(['on', 'off'], { error: 'must be on or off' }).optional(),
  /** How long a partner may take to start answering before the call counts as a (retried) failure. */
  PARTNER_TIMEOUT_MS: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(100, 'must be at least 100')
    .max(50_000, 'must be at most 50000 (a partner call has 1 minute in all)')
    .optional(),
  /** Back-pressure: a step holding this many users not yet sent answers 503 (retry) to new ones. */
  STEP_MAX_PENDING_USERS: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .optional(),
  /** `off` lifts the sandbox partners' rate limits (benchmarks); users per request stay enforced. */
  SANDBOX_RATE_LIMITS: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
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
  /** The Web UI passes its user's access token: JWTs signed by a key of this JWKS are accepted by /codec/*. */
  CODEC_JWKS_URL: z.url({ error: 'must be a URL' }).optional(),
  CODEC_JWT_ISSUER: z.string().min(1, 'must not be empty').optional(),
  CODEC_JWT_AUDIENCE: z.string().min(1, 'must not be empty').optional(),
  /** Bearer key for the Web UI codec endpoints (/codec/*) outside sandbox mode. */
  AUDIENCE_SYNC_OPERATOR_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
  /** The Temporal Web UI's origin, allowed to call /codec/* from the browser (CORS). */
  TEMPORAL_UI_ORIGIN: z.url({ error: 'must be a URL like http://localhost:8233' }).optional(),
  /** Temporal Cloud (or any TLS cluster), the standard TEMPORAL_* variables: an API key… */
  TEMPORAL_API_KEY: z.string().min(1, 'must not be empty').optional(),
  /** …and/or mTLS: client certificate and key files (PEM), an optional CA and server name. */
  TEMPORAL_TLS_CLIENT_CERT_PATH: readableFile.optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: readableFile.optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: readableFile.optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1, 'must not be empty').optional(),
  /** `true` for TLS with the system's CAs (implied by an API key or a client certificate). */
  TEMPORAL_TLS: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  /** The API's address as browsers reach it (OAuth callbacks); default http://HOST:API_PORT. */
  API_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
});

export interface Config {
  mode: 'sandbox' | 'production';
  sandboxRateLimits: boolean;
  /** Partners' sandbox started elsewhere (undefined: `npm start` runs one on sandboxPort). */
  sandboxUrl?: string;
  /** Run the worker in this process (else only the API; workers run as `npm run worker`). */
  runWorker: boolean;
  /** Users a step may hold unsent before the API refuses more (undefined: the API's default). */
  maxPendingUsersPerStep?: number;
  /** A prebuilt workflow bundle (undefined: bundled as the worker starts). */
  workflowBundle?: string;
  /** Worker Versioning; undefined: unversioned workers. */
  versioning?: {
    deploymentName: string;
    /** undefined: derived from the workflow bundle (workflowBuildId in src/temporal/worker.ts). */
    buildId?: string;
    /** The worker makes its build the current version as it starts (sandbox mode's default). */
    setCurrent: boolean;
  };
  sdkMetricsPort: number;
  metricsToken?: string;
  operatorKey?: string;
  /** Verifies the access tokens the Web UI passes to /codec/* (undefined: none accepted). */
  codecJwt?: { jwksUrl: string; issuer?: string; audience?: string };
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
    /** TLS and API key for a remote cluster or Temporal Cloud (undefined: plain loopback). */
    tls?: TLSConfig | true;
    apiKey?: string;
    port: number;
    uiPort: number;
  };
}

/** A bad setting, said in one line naming the variable (values are not echoed: some are secrets). */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * The settings, validated: one line per bad value, each naming its variable. A partner's base
 * URLs and limits (`<PARTNER>_*_URL`, `<PARTNER>_USERS_PER_REQUEST`, `<PARTNER>_REQUESTS_PER_SECOND`)
 * are checked for every partner of `registry`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, registry: PartnerRegistry = PARTNER_REGISTRY): Config {
  const parsed = EnvSchema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
  problems.push(...registry.envProblems(env));
  // One line per bad value, each naming its variable.
  if (!parsed.success || problems.length) {
    throw new ConfigError(problems.map((p) => `invalid configuration: ${p}`).join('\n'));
  }
  const e = parsed.data;
  if (Boolean(e.TEMPORAL_TLS_CLIENT_CERT_PATH) !== Boolean(e.TEMPORAL_TLS_CLIENT_KEY_PATH)) {
    throw new ConfigError(
      'invalid configuration: TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together',
    );
  }
  if (e.AUDIENCE_SYNC_MODE === 'production' && !e.AUDIENCE_SYNC_ADMIN_KEY) {
    throw new ConfigError('invalid configuration: AUDIENCE_SYNC_ADMIN_KEY is required in production mode');
  }
  return {
    mode: e.AUDIENCE_SYNC_MODE,
    sandboxRateLimits: e.SANDBOX_RATE_LIMITS === 'on',
    sandboxUrl: e.SANDBOX_URL?.replace(/\/+$/, ''),
    runWorker: e.AUDIENCE_SYNC_WORKER === 'on',
    maxPendingUsersPerStep: e.STEP_MAX_PENDING_USERS,
    workflowBundle: e.AUDIENCE_SYNC_WORKFLOW_BUNDLE ? resolve(e.AUDIENCE_SYNC_WORKFLOW_BUNDLE) : undefined,
    versioning:
      e.AUDIENCE_SYNC_VERSIONING === 'on'
        ? {
            deploymentName: e.AUDIENCE_SYNC_DEPLOYMENT_NAME,
            buildId: e.AUDIENCE_SYNC_BUILD_ID,
            setCurrent:
              (e.AUDIENCE_SYNC_SET_CURRENT_VERSION ?? (e.AUDIENCE_SYNC_MODE === 'sandbox' ? 'on' : 'off')) === 'on',
          }
        : undefined,
    sdkMetricsPort: e.SDK_METRICS_PORT,
    metricsToken: e.METRICS_TOKEN,
    operatorKey: e.AUDIENCE_SYNC_OPERATOR_KEY,
    codecJwt: e.CODEC_JWKS_URL
      ? { jwksUrl: e.CODEC_JWKS_URL, issuer: e.CODEC_JWT_ISSUER, audience: e.CODEC_JWT_AUDIENCE }
      : undefined,
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
      tls: tlsOf(e),
      apiKey: e.TEMPORAL_API_KEY,
      port: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
    },
  };
}

/** TLS for the Temporal connection: mTLS files, else plain TLS when asked for or implied by an API key. */
function tlsOf(e: z.infer<typeof EnvSchema>): TLSConfig | true | undefined {
  const cert = e.TEMPORAL_TLS_CLIENT_CERT_PATH;
  const key = e.TEMPORAL_TLS_CLIENT_KEY_PATH;
  if (cert && key) {
    return {
      clientCertPair: { crt: readFileSync(cert), key: readFileSync(key) },
      ...(e.TEMPORAL_TLS_SERVER_CA_CERT_PATH
        ? { serverRootCACertificate: readFileSync(e.TEMPORAL_TLS_SERVER_CA_CERT_PATH) }
        : {}),
      ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: e.TEMPORAL_TLS_SERVER_NAME } : {}),
    };
  }
  if (e.TEMPORAL_TLS === 'false') return undefined;
  if (e.TEMPORAL_TLS === 'true' || e.TEMPORAL_API_KEY) return true;
  return undefined;
}
