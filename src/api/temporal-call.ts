import { isGrpcServiceError, type ConnectionLike } from '@temporalio/client';
import { TemporalTimeout, withinTime } from '../temporal/client.js';
import { ApiError } from './errors.js';

/** docs/api.md: Temporal unreachable → 503 within 5 s, never a hang. */
const TIMEOUT_MS = 4_500;

/** gRPC codes meaning "could not get an answer": CANCELLED, DEADLINE_EXCEEDED, UNAVAILABLE. */
const UNREACHABLE = new Set<number>([1, 4, 14]);

export const unavailable = () => new ApiError(503, 'unavailable', 'Temporal is not reachable; try again shortly.');

/**
 * Runs a Temporal call bounded in time: past the deadline (or when Temporal cannot be reached)
 * the caller gets 503 `unavailable`. A call the server shed (a workflow busy with others) recorded
 * nothing, so it is tried again, a little later each time, while the deadline allows.
 */
export async function temporalCall<T>(connection: ConnectionLike, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (let pause = 50; ; pause *= 2) {
    try {
      return await withinTime(connection, Math.max(1, deadline - Date.now()), fn);
    } catch (err) {
      if (err instanceof TemporalTimeout || isUnreachable(err)) throw unavailable();
      if (!hasCode(err, RESOURCE_EXHAUSTED)) throw err;
      if (Date.now() + pause >= deadline - 500) throw busy();
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

const RESOURCE_EXHAUSTED = 8;

/** Temporal shed the call (too many at once on one workflow): nothing was recorded, a retry is safe. */
export const busy = () =>
  new ApiError(503, 'unavailable', 'Temporal is busy with this step; retry shortly.', undefined, 1);

const isUnreachable = (err: unknown) => [...UNREACHABLE].some((code) => hasCode(err, code));

export function hasCode(err: unknown, code: number): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if (isGrpcServiceError(e) && Number(e.code) === code) return true;
  }
  return false;
}
