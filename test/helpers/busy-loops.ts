import { spawnServer } from '../../src/temporal/process.js';

/**
 * `n` processes spinning `for (;;) {}` until stopped: a machine whose cores are taken, so that
 * every other process (workers, sandbox, Temporal) runs late by the scheduler's whim.
 */
export function busyLoops(n: number): { stop(): Promise<void> } {
  const loops = Array.from({ length: n }, () => spawnServer(process.execPath, ['-e', 'for (;;) {}']));
  return {
    async stop() {
      await Promise.all(loops.map((l) => l.stop(1_000)));
    },
  };
}
