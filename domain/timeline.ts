/**
 * A step's outcomes over time, for the analytics chart: users entered, synced, not synced and
 * errored per 5-minute bucket over the last 48 hours (pure, plain data: carried across
 * continue-as-new as is). At most 576 buckets of five numbers: under 25 KB of carried state.
 */
export const BUCKET_MS = 5 * 60_000;
export const TIMELINE_SPAN_MS = 48 * 60 * 60_000;

/** What happened in one bucket. */
export interface TimelineCounts {
  entered: number;
  synced: number;
  notSynced: number;
  errored: number;
}

/** `[bucket number (ms since the epoch / BUCKET_MS), entered, synced, notSynced, errored]`, oldest first. */
export type TimelineRow = [number, number, number, number, number];
export type Timeline = TimelineRow[];

export interface TimelineBucket extends TimelineCounts {
  /** When the bucket starts (ISO 8601). */
  at: string;
}

export interface TimelineView {
  bucketMinutes: number;
  /** The first and the current bucket's start: the chart's range (ISO 8601). */
  from: string;
  to: string;
  /** Only buckets in which something happened, oldest first. */
  buckets: TimelineBucket[];
}

const bucketOf = (at: number) => Math.floor(at / BUCKET_MS);
const OLDEST_KEPT = TIMELINE_SPAN_MS / BUCKET_MS - 1; // buckets before the current one

/** Adds `counts` to the bucket of `now`, and forgets buckets older than 48 hours. */
export function record(timeline: Timeline, now: number, counts: Partial<TimelineCounts>): void {
  const { entered = 0, synced = 0, notSynced = 0, errored = 0 } = counts;
  if (entered + synced + notSynced + errored === 0) return;
  const bucket = bucketOf(now);
  let last = timeline.at(-1);
  // Workflow time never goes back; a bucket older than the last (never expected) joins the last.
  if (!last || last[0] < bucket) timeline.push((last = [bucket, 0, 0, 0, 0]));
  last[1] += entered;
  last[2] += synced;
  last[3] += notSynced;
  last[4] += errored;
  forgetOld(timeline, bucket);
}

function forgetOld(timeline: Timeline, current: number): void {
  let old = 0;
  while (old < timeline.length && timeline[old]![0] < current - OLDEST_KEPT) old++;
  if (old > 0) timeline.splice(0, old);
}

/** The last 48 hours as the API serves them. */
export function timelineView(timeline: Timeline, now: number): TimelineView {
  const current = bucketOf(now);
  const kept = timeline.filter(([bucket]) => bucket >= current - OLDEST_KEPT);
  const iso = (bucket: number) => new Date(bucket * BUCKET_MS).toISOString();
  return {
    bucketMinutes: BUCKET_MS / 60_000,
    from: iso(kept[0]?.[0] ?? current),
    to: iso(current),
    buckets: kept.map(([bucket, entered, synced, notSynced, errored]) => ({
      at: iso(bucket),
      entered,
      synced,
      notSynced,
      errored,
    })),
  };
}
