import { Worker, type ReplayResult } from '@temporalio/worker';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export interface RunStats {
  runId: string;
  events: number;
  /** The run's history as the server stores it (protobuf bytes). */
  bytes: number;
  /** The largest single event: an upper bound for the largest payload in it. */
  largestEventBytes: number;
  history: temporal.api.history.v1.IHistory;
}

/** Every run of a workflow from `firstRunId`, following continue-as-new. */
export async function runChain(address: string, workflowId: string, firstRunId: string): Promise<RunStats[]> {
  // A history page can exceed gRPC's default 4 MB message size.
  const connection = await Connection.connect({
    address,
    channelArgs: { 'grpc.max_receive_message_length': 256 << 20 },
  });
  const client = new Client({ connection });
  try {
    return await walk(client, workflowId, firstRunId);
  } finally {
    await connection.close();
  }
}

async function walk(client: Client, workflowId: string, firstRunId: string): Promise<RunStats[]> {
  const runs: RunStats[] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    runs.push({
      runId,
      events: events.length,
      bytes: temporal.api.history.v1.History.encode(history).finish().length,
      largestEventBytes: Math.max(...events.map((e) => temporal.api.history.v1.HistoryEvent.encode(e).finish().length)),
      history,
    });
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}

/**
 * Replays histories against the current workflow bundle (or the workflows at `workflowsPath`,
 * bundled here); the errors (none means deterministic).
 */
export async function replay(
  histories: { workflowId: string; history: temporal.api.history.v1.IHistory }[],
  workflowsPath?: string,
): Promise<string[]> {
  return (await replayResults(histories, workflowsPath)).flatMap((r) =>
    r.error ? [`${r.workflowId}: ${r.error.message}`] : [],
  );
}

/** As `replay`, each history's result: its workflow id and the replay's error (the SDK's class), if any. */
export async function replayResults(
  histories: { workflowId: string; history: temporal.api.history.v1.IHistory }[],
  workflowsPath?: string,
): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  const replayed = Worker.runReplayHistories(
    workflowsPath ? { workflowsPath } : { workflowBundle: { codePath: inject('harness').workflowBundlePath } },
    histories,
  );
  for await (const r of replayed) results.push(r);
  return results;
}

/** Histories are kept as protobuf bytes: compact, and exactly what the server returned. */
export const encodeHistory = (h: temporal.api.history.v1.IHistory): Uint8Array =>
  temporal.api.history.v1.History.encode(h).finish();
export const decodeHistory = (bytes: Uint8Array): temporal.api.history.v1.History =>
  temporal.api.history.v1.History.decode(bytes);
