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
 * the caller gets 503 `unavailable`.
 */
export async function temporalCall<T>(connection: ConnectionLike, fn: () => Promise<T>): Promise<T> {
  try {
    return await withinTime(connection, TIMEOUT_MS, fn);
  } catch (err) {
    if (err instanceof TemporalTimeout || isUnreachable(err)) throw unavailable();
    if (hasCode(err, RESOURCE_EXHAUSTED)) throw busy();
    throw err;
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
