/**
 * Crashes under load, each part its own process as in production (bench/stack.ts): the worker
 * killed with SIGKILL twice at random moments and started again, and the Temporal dev server
 * stopped and started again on the same SQLite file. Every user who was accepted must end
 * Synced in the sandbox audience, with exact metrics.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startStack, type ProcessStack } from '../../bench/stack.js';
import { FULL } from './budget.js';
import { linkedinJourney } from './journey.js';

const USERS = FULL ? 100_000 : 20_000;

let stack: ProcessStack | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  stack = dataDir = undefined;
});

async function freshStack(): Promise<ProcessStack> {
  dataDir = await mkdtemp(join(tmpdir(), 'audience-sync-crash-'));
  stack = await startStack({ dataDir, limits: false, env: {}, workers: 1, onOutput: () => {} });
  return stack;
}

/** Fires `action` once when `accepted` first reaches `at`. */
function once(at: number, action: () => Promise<void>) {
  let fired: Promise<void> | undefined;
  return {
    check: (accepted: number) => {
      if (!fired && accepted >= at) fired = action();
    },
    done: () => fired ?? Promise.resolve(),
  };
}

const exactly = (users: number) => ({
  entered: users,
  proceeded: users,
  exited: 0,
  synced: users,
  notSynced: 0,
  pending: 0,
  errored: 0,
});

describe('crashes under load', () => {
  it(`loses no user of ${USERS.toLocaleString('en-US')} when the worker is killed -9 twice and restarted`, async () => {
    const s = await freshStack();
    const journey = await linkedinJourney(s);
    // Two random moments: one in the first half of the load, one in the second.
    const moments = [0.1 + Math.random() * 0.35, 0.55 + Math.random() * 0.35].map((f) => Math.round(f * USERS));
    let worker = 0;
    const crash = async () => {
      await s.killWorker(worker);
      await new Promise((r) => setTimeout(r, 500));
      worker = await s.startWorker();
    };
    const first = once(moments[0]!, crash);
    const second = once(moments[1]!, async () => {
      await first.done(); // the first restart has finished
      await crash();
    });
    await journey.post(USERS, {
      onAccepted: (n) => {
        first.check(n);
        second.check(n);
      },
    });
    await first.done();
    await second.done();
    // A partner call cut off by the kill is retried once its 1-minute start-to-close timeout passes.
    const metrics = await journey.settled(240_000);
    expect(metrics, `killed at ${moments.join(' and ')} users accepted`).toEqual(exactly(USERS));
    expect(await journey.audienceSize()).toBe(USERS);
  }, 400_000);

  it(`loses no user of ${USERS.toLocaleString('en-US')} when the Temporal server stops and starts again mid-load`, async () => {
    const s = await freshStack();
    const journey = await linkedinJourney(s);
    // Half the users, then the server goes away while the other half are being posted.
    const half = USERS / 2;
    await journey.post(half);
    const before = journey.retried();
    const restarted = s.restartTemporal(3_000);
    await journey.post(half, { first: half / 1_000 });
    await restarted;
    const retriedWhileDown = journey.retried() - before;
    const metrics = await journey.settled(240_000);
    // While the server was away the API answered 503 (and the client retried): nothing accepted was lost.
    expect(retriedWhileDown).toBeGreaterThan(0);
    expect(metrics).toEqual(exactly(USERS));
    expect(await journey.audienceSize()).toBe(USERS);
  }, 400_000);
});
