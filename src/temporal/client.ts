import { Client, Connection } from '@temporalio/client';

/** A lazy connection: creating it never fails, so the API can start (and answer 503) while Temporal is down. */
export function lazyConnection(address: string): Connection {
  return Connection.lazy({ address });
}

export function createClient(connection: Connection, namespace: string): Client {
  return new Client({ connection, namespace });
}

/**
 * True when Temporal answers for `namespace` within `timeoutMs`. A deadline alone does not
 * bound a lazy connection's first connect, so the call is aborted at the timeout as well:
 * that also stops the client's own retries, which would otherwise outlive the connection.
 */
export async function temporalAnswers(connection: Connection, namespace: string, timeoutMs: number): Promise<boolean> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    await connection.withAbortSignal(abort.signal, () =>
      connection.withDeadline(Date.now() + timeoutMs, () =>
        connection.workflowService.describeNamespace({ namespace }),
      ),
    );
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until Temporal serves `namespace` (a fresh dev server registers it a moment after it listens). */
export async function waitForTemporal(address: string, namespace: string, timeoutMs: number): Promise<void> {
  const connection = lazyConnection(address);
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
