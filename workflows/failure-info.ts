import type { LastError } from '../domain/types.js';
import {
  ActivityFailure,
  ApplicationFailure,
  TemporalFailure,
  TimeoutFailure,
  isCancellation,
} from '@temporalio/workflow';

export interface FailureInfo {
  /** The ApplicationFailure type (see failures.ts), or `timeout` / `cancelled` / `error`. */
  code: string;
  message: string;
  /** The failure's details (e.g. the token generation an InvalidToken belongs to). */
  details?: unknown[];
}

/** A failure as the step shows it: code, message and when (workflow time). */
export function lastErrorAt(code: string, message: string): LastError {
  return { code, message, at: new Date(Date.now()).toISOString() };
}

/** The innermost meaningful failure behind an activity or child failure: what the partner said. */
export function describeFailure(err: unknown): FailureInfo {
  if (isCancellation(err)) return { code: 'cancelled', message: 'Cancelled.' };
  let e: unknown = err;
  while (
    (e instanceof ActivityFailure || (e instanceof TemporalFailure && !(e instanceof ApplicationFailure))) &&
    e.cause
  ) {
    e = e.cause;
  }
  if (e instanceof ApplicationFailure) {
    return { code: e.type ?? 'error', message: e.message, ...(e.details?.length ? { details: [...e.details] } : {}) };
  }
  if (e instanceof TimeoutFailure) return { code: 'timeout', message: 'The retry budget ran out.' };
  return { code: 'error', message: e instanceof Error ? e.message : 'Unknown failure.' };
}
