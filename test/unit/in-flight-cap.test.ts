import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { InFlightCap } from '../../activities/in-flight-cap.js';

describe('InFlightCap', () => {
  it('keeps at most its max in flight, and serves the waiting first come first served', async () => {
    const cap = new InFlightCap(3);
    let inFlight = 0;
    let most = 0;
    const started: number[] = [];
    await Promise.all(
      Array.from({ length: 12 }, (_, n) =>
        cap.run(async () => {
          started.push(n);
          most = Math.max(most, ++inFlight);
          await sleep(5 + (n % 3)); // finishing out of order does not reorder the queue
          inFlight--;
          return n;
        }),
      ),
    );
    expect(most).toBe(3);
    expect(started).toEqual([...Array(12).keys()]);
    expect(cap.queued).toBe(0);
  });

  it('passes its place on when a call fails', async () => {
    const cap = new InFlightCap(1);
    const failing = cap.run(() => Promise.reject(new Error('refused')));
    const next = cap.run(() => Promise.resolve('served'));
    await expect(failing).rejects.toThrow('refused');
    await expect(next).resolves.toBe('served');
  });

  it('drops a wait whose signal aborts, and the others keep their turn', async () => {
    const cap = new InFlightCap(1);
    let release!: () => void;
    const first = cap.run(() => new Promise<void>((r) => (release = r)));
    const aborted = new AbortController();
    const gone = cap.run(() => Promise.resolve('never'), aborted.signal);
    const third = cap.run(() => Promise.resolve('third'));
    expect(cap.queued).toBe(2);
    aborted.abort(new Error('cancelled'));
    await expect(gone).rejects.toThrow('cancelled');
    expect(cap.queued).toBe(1);
    release();
    await first;
    await expect(third).resolves.toBe('third');
    // Everything returned its place: a new call runs at once.
    await expect(cap.run(() => Promise.resolve('again'))).resolves.toBe('again');
  });
});
