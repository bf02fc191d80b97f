import type { TimelineBucket, TimelineView } from './types.js';

/** One point per bucket, gaps included, ready for a chart. */
export interface TimelineSeries {
  /** Bucket starts, epoch milliseconds, oldest first. */
  at: number[];
  labels: string[];
  entered: number[];
  synced: number[];
  notSynced: number[];
  errored: number[];
}

export type TimelineTotals = Pick<TimelineBucket, 'entered' | 'synced' | 'notSynced' | 'errored'>;

const MINUTE_MS = 60_000;
/** 48 hours of 5-minute buckets is 577 points; an answer asking for far more is not drawn as gaps. */
const MAX_FILLED_POINTS = 5_000;

/**
 * Turns the API's sparse timeline into evenly spaced buckets from `from` to `to`, the empty ones
 * as zeros, so the chart's x axis is time and not "moments when something happened". Buckets off
 * that grid (outside the range or misaligned) are kept in order rather than dropped.
 */
export function timelineSeries(view: TimelineView, formatLabel: (atMs: number) => string): TimelineSeries {
  const byStart = new Map<number, TimelineTotals>();
  for (const b of view.buckets) {
    const at = Date.parse(b.at);
    if (!Number.isFinite(at)) continue;
    byStart.set(at, plus(byStart.get(at) ?? NONE, b));
  }

  const starts = new Set<number>(byStart.keys());
  for (const at of grid(view)) starts.add(at);
  const at = [...starts].sort((a, b) => a - b);

  const series: TimelineSeries = { at, labels: [], entered: [], synced: [], notSynced: [], errored: [] };
  for (const start of at) {
    const b = byStart.get(start);
    series.labels.push(formatLabel(start));
    series.entered.push(b?.entered ?? 0);
    series.synced.push(b?.synced ?? 0);
    series.notSynced.push(b?.notSynced ?? 0);
    series.errored.push(b?.errored ?? 0);
  }
  return series;
}

/** Every bucket start from `from` to `to` inclusive, or none when the answer gives no usable range. */
function grid(view: TimelineView): number[] {
  const step = view.bucketMinutes * MINUTE_MS;
  const from = Date.parse(view.from);
  const to = Date.parse(view.to);
  if (!(step > 0) || !Number.isFinite(from) || !Number.isFinite(to) || to < from) return [];
  const count = Math.floor((to - from) / step) + 1;
  if (count > MAX_FILLED_POINTS) return [];
  return Array.from({ length: count }, (_, i) => from + i * step);
}

/** What the timeline adds up to: the chart's summary for screen readers. */
export function timelineTotals(view: TimelineView): TimelineTotals {
  return view.buckets.reduce(plus, NONE);
}

const NONE: TimelineTotals = { entered: 0, synced: 0, notSynced: 0, errored: 0 };

function plus(a: TimelineTotals, b: TimelineTotals): TimelineTotals {
  return {
    entered: a.entered + b.entered,
    synced: a.synced + b.synced,
    notSynced: a.notSynced + b.notSynced,
    errored: a.errored + b.errored,
  };
}

/** The buckets where something happened, oldest first: the rows of the chart's data table. */
export function activeBuckets(view: TimelineView): TimelineBucket[] {
  return view.buckets
    .filter((b) => b.entered + b.synced + b.notSynced + b.errored > 0)
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}
