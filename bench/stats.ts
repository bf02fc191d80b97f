/** The benchmark's arithmetic, kept apart from its plumbing (and unit-tested). */

/** The value below which `p` % of `sorted` (ascending) falls (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * Entry → arrival latency per user, matching users first-in first-out: the k-th user to
 * arrive at the partner is taken to be the k-th who entered. Batches preserve entry order per
 * step, so per partner this is exact up to batches that overtake each other. Both lists are
 * `[ms, users]`; the answer is one latency (ms) per arrived user, in arrival order, sampled
 * every `every` users to stay small.
 */
export function fifoLatencies(entries: [number, number][], arrivals: [number, number][], every = 1): number[] {
  const e = [...entries].sort((a, b) => a[0] - b[0]);
  const a = [...arrivals].sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  let ei = 0;
  let eLeft = e[0]?.[1] ?? 0;
  let k = 0;
  for (const [at, n] of a) {
    for (let left = n; left > 0 && ei < e.length;) {
      const take = Math.min(left, eLeft);
      // Users k … k+take-1 entered at e[ei][0] and arrived at `at`.
      for (let j = 0; j < take; j++, k++) if (k % every === 0) out.push(at - e[ei]![0]);
      left -= take;
      eLeft -= take;
      if (eLeft === 0) eLeft = e[++ei]?.[1] ?? 0;
    }
  }
  return out;
}

/** The most requests in any sliding window of `ms` (half-open, as the sandbox counts). */
export function maxInAnyWindow(times: number[], ms = 1_000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= ms) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

/**
 * How much of a `limit` requests/s ceiling the arrivals used, in %: requests per second from
 * the first arrival to the last, leaving out `trim` of them at each end — the ramp-up before the
 * partner is backlogged and the last requests as the backlog drains (0.1: the middle 80 %).
 */
export function ceilingUsedPct(arrivals: [number, number][], limit: number, trim = 0): number | null {
  const sorted = [...arrivals].sort((a, b) => a[0] - b[0]);
  const cut = Math.floor(sorted.length * trim);
  const kept = sorted.slice(cut, sorted.length - cut);
  if (kept.length < 2) return null;
  const seconds = (kept.at(-1)![0] - kept[0]![0]) / 1000;
  return Math.round(((kept.length - 1) / seconds / limit) * 1000) / 10;
}
