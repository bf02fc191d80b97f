import type { ConnectionLike } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { temporalCall } from '../../src/api/temporal-call.js';

/** A connection that only runs what it is given (deadlines and aborts are the SDK's). */
const connection = {
  withAbortSignal: (_signal: AbortSignal, fn: () => Promise<unknown>) => fn(),
  withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn(),
} as unknown as ConnectionLike;

/** What the server answers when it sheds a call: gRPC RESOURCE_EXHAUSTED. */
const shed = () =>
  Object.assign(new Error('consistent query buffer is full'), { code: 8, details: 'full', metadata: {} });

describe('temporalCall', () => {
  it('tries a shed call again and answers once the workflow has room', async () => {
    let calls = 0;
    const answer = await temporalCall(connection, () =>
      ++calls < 3 ? Promise.reject(shed()) : Promise.resolve('view'),
    );
    expect([answer, calls]).toEqual(['view', 3]);
  });

  it('answers 503 unavailable with Retry-After within 5 s when the server keeps shedding it', async () => {
    const started = Date.now();
    const err = await temporalCall(connection, () => Promise.reject(shed())).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, code: 'unavailable', retryAfterSeconds: 1 });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
