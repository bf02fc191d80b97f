/**
 * At most `max` calls in flight at once; the others wait their turn, first come first served.
 * Temporal admits at most 10 updates in flight per workflow (`history.maxInFlightUpdates`) and
 * refuses the rest, which the client retries after a backoff of seconds: a burst of slot asks
 * to one rate limiter (four steps' batches, each sending its requests side by side) left a
 * partner idle for 4–13 s at the start of a run.
 */
export class InFlightCap {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly max: number) {}

  /** Runs `fn` once a place is free; a wait `signal` aborts leaves the queue. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.inFlight < this.max) this.inFlight++;
    else await this.turn(signal);
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next)
        next(); // the place passes straight on: inFlight stays as it is
      else this.inFlight--;
    }
  }

  /** Calls waiting for a place. */
  get queued(): number {
    return this.waiting.length;
  }

  private turn(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const wake = () => {
        signal?.removeEventListener('abort', abort);
        resolve();
      };
      const abort = () => {
        this.waiting.splice(this.waiting.indexOf(wake), 1);
        const reason: unknown = signal!.reason;
        reject(reason instanceof Error ? reason : new Error('aborted', { cause: reason }));
      };
      this.waiting.push(wake);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }
}
