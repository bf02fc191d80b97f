/**
 * Runs a task now and again `intervalMs` after each run ends: never two runs at once, so a slow
 * answer cannot pile calls up. `now()` runs it early (e.g. when another step is selected).
 */
export class Poller {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private runAgain = false;
  private stopped = true;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.stopped = false;
    this.now();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  now(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    if (this.running) this.runAgain = true;
    else void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      await this.task();
    } catch (err) {
      console.error('[ui] refresh failed', err);
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    if (this.runAgain) {
      this.runAgain = false;
      void this.run();
    } else {
      this.timer = setTimeout(() => void this.run(), this.intervalMs);
    }
  }
}
