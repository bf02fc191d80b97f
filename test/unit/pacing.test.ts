import { describe, expect, it } from 'vitest';
import { paceDelayMs, Pacer } from '../../partners/facebook/pacing.js';

const usage = (percent: number) => ({
  status: 200,
  headers: {
    'x-business-use-case-usage': JSON.stringify({ '1': [{ call_count: percent, total_time: 1, total_cputime: 1 }] }),
  },
  body: {},
});

describe('Facebook pacing', () => {
  it('waits nothing up to 75 % usage, then longer the nearer the quota is to full', () => {
    expect([0, 75, 80, 90, 100, 250].map(paceDelayMs)).toEqual([0, 0, 200, 600, 1_000, 1_000]);
  });

  it('holds the next call on that ad account only', async () => {
    const pacer = new Pacer();
    pacer.record('601', usage(95));
    const t0 = Date.now();
    await pacer.wait('602');
    expect(Date.now() - t0).toBeLessThan(50);
    await pacer.wait('601');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
    pacer.record('601', usage(10));
    const t1 = Date.now();
    await pacer.wait('601');
    expect(Date.now() - t1).toBeLessThan(50);
  });
});
