import { Client, Connection, type ConnectionLike, type DataConverter, type TLSConfig } from '@temporalio/client';

/** How to reach a remote cluster or Temporal Cloud (config.ts: TEMPORAL_API_KEY, TEMPORAL_TLS_*). */
export interface TemporalSecurity {
  tls?: TLSConfig | true;
  apiKey?: string;
}

/**
 * A lazy connection for probing: creating it never fails, so the API can start (and answer 503)
 * while Temporal is down. It has no retry interceptor: a probe must fail fast, and the default
 * interceptor's retry timers outlive an aborted call (and crash on a connection closed meanwhile).
 */
export function lazyConnection(address: string, security: TemporalSecurity = {}): Connection {
  return Connection.lazy({ address, interceptors: [], ...security });
}

export function createClient(connection: Connection, namespace: string, dataConverter?: DataConverter): Client {
  return new Client({ connection, namespace, dataConverter });
}

/** A Temporal call that did not answer within its time. */
export class TemporalTimeout extends Error {
  override name = 'TemporalTimeout';
}

/**
 * Runs a Temporal call bounded in time, never later: a lazy connection's first connect ignores
 * deadlines and abort signals, so a timer bounds the wait, and the call is aborted at the same
 * moment so the client's own retries stop with it. Past the time it rejects with TemporalTimeout.
 */
export async function withinTime<T>(connection: ConnectionLike, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new TemporalTimeout(`Temporal did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  const call = connection.withAbortSignal(abort.signal, () => connection.withDeadline(Date.now() + timeoutMs, fn));
  try {
    return await Promise.race([call, timedOut]);
  } finally {
    clearTimeout(timer);
    call.catch(() => {}); // settled after the timer: nobody is waiting for it
  }
}

/** True when Temporal answers for `namespace` within `timeoutMs`, never later. */
export function temporalAnswers(connection: Connection, namespace: string, timeoutMs: number): Promise<boolean> {
  return withinTime(connection, timeoutMs, () => connection.workflowService.describeNamespace({ namespace })).then(
    () => true,
    () => false,
  );
}

/** Waits until Temporal serves `namespace` (a fresh dev server registers it a moment after it listens). */
export async function waitForTemporal(
  address: string,
  namespace: string,
  timeoutMs: number,
  security: TemporalSecurity = {},
): Promise<void> {
  const connection = lazyConnection(address, security);
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      if (await temporalAnswers(connection, namespace, 1000)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`Temporal at ${address} did not serve namespace "${namespace}" within ${timeoutMs / 1000} s`);
  } finally {
    await connection.close();
  }
}
