import { describe, expect, it } from 'vitest';
import { bar } from '../../bench/progress.js';
import { ceilingUsedPct, fifoLatencies, maxInAnyWindow, percentile } from '../../bench/stats.js';

describe('benchmark arithmetic', () => {
  it('matches arrivals to entries first-in first-out', () => {
    // 3 users enter at 0, 2 at 100; the partner gets 4 at 50 and 1 at 300.
    expect(
      fifoLatencies(
        [
          [0, 3],
          [100, 2],
        ],
        [
          [50, 4],
          [300, 1],
        ],
      ),
    ).toEqual([50, 50, 50, -50, 200]);
    expect(fifoLatencies([[0, 10]], [[10, 10]], 5)).toEqual([10, 10]);
  });

  it('takes nearest-rank percentiles and counts the fullest second', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(xs, 50), percentile(xs, 95), percentile(xs, 99), percentile(xs, 100)]).toEqual([
      50, 95, 99, 100,
    ]);
    expect(maxInAnyWindow([0, 100, 999, 1_000, 1_500])).toBe(3);
  });
});

describe('benchmark ceiling use and progress bar', () => {
  it('reads the ceiling used from first to last arrival', () => {
    // 11 requests over 2 s at a 10/s limit: 5 a second, half the ceiling.
    const arrivals = Array.from({ length: 11 }, (_, i): [number, number] => [i * 200, 100]);
    expect(ceilingUsedPct(arrivals, 10)).toBe(50);
    expect(ceilingUsedPct([[0, 1]], 10)).toBeNull();
    // A slow start and end around a busy middle: trimmed, the middle alone counts.
    const busy = [[-5_000, 1], ...Array.from({ length: 9 }, (_, i) => [i * 100, 1]), [6_000, 1]] as [number, number][];
    expect(ceilingUsedPct(busy, 10, 0.1)).toBe(100);
    expect(ceilingUsedPct(busy, 10)).toBeLessThan(10);
  });

  it('draws the share done', () => {
    expect(bar(0, 10, 10)).toBe('[░░░░░░░░░░]   0 %');
    expect(bar(5, 10, 10)).toBe('[█████░░░░░]  50 %');
    expect(bar(12, 10, 10)).toBe('[██████████] 100 %');
  });
});
