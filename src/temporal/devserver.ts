import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { TypedSearchAttributes, type SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto'; // CommonJS: no named exports under Node's ESM loader
import { SEARCH_ATTRIBUTE_KEYS } from '../../domain/search-attributes.js';
import { waitForTemporal } from './client.js';
import { spawnServer, type ServerProcess } from './process.js';

/** A search attribute's name and type (as `defineSearchAttributeKey` makes them). */
type AttributeKey = { name: string; type: SearchAttributeType };

/**
 * Partner rate limits are held by the server (docs/partners.md): per-key limits need task-queue
 * fairness, and one partition per queue keeps a queue's rate from being spread over several
 * token buckets (which lets one second briefly see more than the limit).
 */
export const RATE_LIMIT_CONFIG = [
  'matching.enableFairness=true',
  'matching.numTaskqueueReadPartitions=1',
  'matching.numTaskqueueWritePartitions=1',
];

/**
 * Worker Versioning (docs/operations.md, "Changing workflow code"): Worker Deployment Versions. On by default in
 * Temporal Server 1.32 (the CLI's and docker-compose's); said here so `npm start` does not depend
 * on that default. Off, the server refuses a versioned worker's build ("PERMISSION_DENIED: Worker
 * Deployment Versions are disabled on this namespace").
 */
export const VERSIONING_CONFIG = ['system.enableDeploymentVersions=true'];

export interface DevServerOptions {
  /** Path of the `temporal` CLI (see toolchain). */
  exe: string;
  host: string;
  port: number;
  /** Web UI port; `undefined` runs headless (tests). */
  uiPort?: number;
  /** SQLite file; `undefined` keeps everything in memory. */
  dbFile?: string;
  namespace: string;
  onOutput?: (line: string) => void;
  startTimeoutMs?: number;
  /** Registered at every start (an attribute already in the SQLite file is kept); default: the product's. */
  searchAttributes?: readonly AttributeKey[];
  /** The Web UI decodes payloads through this codec endpoint (the API's /codec). */
  uiCodecEndpoint?: string;
}

/** `--search-attribute Name=Keyword …`: the dev server registers them as it starts. */
export function searchAttributeArgs(keys: readonly AttributeKey[]): string[] {
  return keys.flatMap((k) => ['--search-attribute', `${k.name}=${TypedSearchAttributes.toMetadataType(k.type)}`]);
}

/**
 * Registers `keys` on a running server through the operator service, one at a time, an attribute
 * the server already has being no error (the time-skipping test server answers ALREADY_EXISTS).
 * For a server this project does not start (TEMPORAL_ADDRESS, docker-compose's cluster) and for
 * the time-skipping test server, which has no flag for it and refuses unregistered attributes.
 */
export async function registerSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: readonly AttributeKey[] = SEARCH_ATTRIBUTE_KEYS,
): Promise<void> {
  const { IndexedValueType } = proto.temporal.api.enums.v1;
  for (const key of keys) {
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: { [key.name]: IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}` as const] },
      });
    } catch (err) {
      if ((err as { code?: number }).code !== ALREADY_EXISTS) throw err;
    }
  }
}
const ALREADY_EXISTS = 6; // gRPC status code

/**
 * The CLI does not promise to register the attributes of its command line before its frontend
 * answers: waits until the server lists every one, so nothing is started without them.
 */
async function waitForSearchAttributes(
  address: string,
  namespace: string,
  keys: readonly AttributeKey[],
  timeoutMs: number,
): Promise<void> {
  const connection = await Connection.connect({ address });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = keys.filter((k) => !customAttributes || !(k.name in customAttributes));
      if (missing.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(`the dev server did not register search attributes ${missing.map((k) => k.name).join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await connection.close();
  }
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ServerProcess;
  /** Stops passing the server's output on (its complaints while clients shut down are noise). */
  mute(): void;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` and resolves once it serves the namespace, with the search attributes. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  if (opts.dbFile) await mkdir(dirname(opts.dbFile), { recursive: true });
  const searchAttributes = opts.searchAttributes ?? SEARCH_ATTRIBUTE_KEYS;
  const args = [
    'server',
    'start-dev',
    '--ip',
    opts.host,
    '--port',
    String(opts.port),
    '--namespace',
    opts.namespace,
    '--log-level',
    'warn',
    // The dev server would otherwise phone home for a version check on every start.
    '--dynamic-config-value',
    'frontend.enableServerVersionCheck=false',
    ...[...RATE_LIMIT_CONFIG, ...VERSIONING_CONFIG].flatMap((v) => ['--dynamic-config-value', v]),
    ...searchAttributeArgs(searchAttributes),
    ...(opts.dbFile ? ['--db-filename', opts.dbFile] : []),
    ...(opts.uiPort ? ['--ui-port', String(opts.uiPort)] : ['--headless']),
    ...(opts.uiPort && opts.uiCodecEndpoint ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : []),
  ];
  // While it shuts down the server warns about its own internal pollers losing it: noise.
  let stopping = false;
  const recent: string[] = []; // the server's last words, for the error if it dies while starting
  const proc = spawnServer(opts.exe, args, {
    onOutput: (line) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      if (!stopping) opts.onOutput?.(line);
    },
  });
  const address = `${opts.host}:${opts.port}`;
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  try {
    await Promise.race([
      waitForTemporal(address, opts.namespace, timeoutMs).then(() =>
        waitForSearchAttributes(address, opts.namespace, searchAttributes, timeoutMs),
      ),
      proc.exited.then((code) => {
        throw new Error(
          `temporal server start-dev exited with code ${code} before it was ready:\n${recent.join('\n')}`,
        );
      }),
    ]);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    address,
    uiUrl: opts.uiPort ? `http://${opts.host}:${opts.uiPort}` : undefined,
    process: proc,
    mute: () => {
      stopping = true;
    },
    stop: () => {
      stopping = true;
      return proc.stop();
    },
  };
}
