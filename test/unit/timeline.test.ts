import { describe, expect, it } from 'vitest';
import { BUCKET_MS, TIMELINE_SPAN_MS, record, timelineView, type Timeline } from '../../domain/timeline.js';
import { StepState } from '../../workflows/state.js';
import { packRows } from '../../domain/rows.js';

const T0 = Date.parse('2026-11-30T10:00:00Z');
const MIN = 60_000;

describe('timeline', () => {
  it('adds what happens within five minutes to one bucket, and starts a new one after', () => {
    const t: Timeline = [];
    record(t, T0, { entered: 10, notSynced: 2 });
    record(t, T0 + 4 * MIN, { synced: 7, errored: 1 });
    record(t, T0 + 5 * MIN, { synced: 1 });
    expect(timelineView(t, T0 + 6 * MIN)).toEqual({
      bucketMinutes: 5,
      from: '2026-11-30T10:00:00.000Z',
      to: '2026-11-30T10:05:00.000Z',
      buckets: [
        { at: '2026-11-30T10:00:00.000Z', entered: 10, synced: 7, notSynced: 2, errored: 1 },
        { at: '2026-11-30T10:05:00.000Z', entered: 0, synced: 1, notSynced: 0, errored: 0 },
      ],
    });
  });

  it('keeps 48 hours: older buckets are forgotten as time passes, and nothing is kept for an empty moment', () => {
    const t: Timeline = [];
    for (let at = T0; at < T0 + 3 * TIMELINE_SPAN_MS; at += BUCKET_MS) record(t, at, { entered: 1 });
    record(t, T0, {}); // nothing happened: no bucket
    expect(t).toHaveLength(TIMELINE_SPAN_MS / BUCKET_MS);
    const now = T0 + 3 * TIMELINE_SPAN_MS - BUCKET_MS;
    const view = timelineView(t, now);
    expect(view.buckets).toHaveLength(576);
    expect(Date.parse(view.to) - Date.parse(view.from)).toBe(TIMELINE_SPAN_MS - BUCKET_MS);
    // Read a day later with nothing new: only the last day's buckets are still within 48 hours.
    expect(timelineView(t, now + TIMELINE_SPAN_MS / 2).buckets).toHaveLength(288);
    expect(timelineView(t, now + TIMELINE_SPAN_MS).buckets).toEqual([]);
  });

  it("is fed by the step's own counting, and travels with its state across continue-as-new", () => {
    const ids = { workspaceId: 'ws', canvasId: 'c', stepId: 's' };
    const s = StepState.restore(ids);
    s.completeLaunch(
      {
        partner: 'linkedin',
        adAccountId: '1',
        audience: { name: 'a', create: true },
        action: 'add',
        fields: ['email'],
        lastStep: false,
      },
      'aud',
      'a',
      { maxUsersPerRequest: 10, createsAudienceWithFirstRecords: false, rateLimitScope: 'connection' as const },
    );
    s.enter(
      { idempotencyKey: 'k1', enteredAt: T0, rows: packRows([['a'], ['b'], ['c']]), notSynced: { missing_fields: 1 } },
      T0,
    );
    s.enter({ idempotencyKey: 'k1', enteredAt: T0, rows: packRows([['a']]), notSynced: {} }, T0); // a repeat counts nothing
    const cut = s.cutBatch(1)!;
    const id = s.sendBatch(cut.count, (n) => `b${n}`);
    s.settle({ batchId: id, synced: 2, errored: { invalid_identifier: 1 } }, T0 + 10 * MIN);
    const carried = StepState.restore(ids, structuredClone(s.data));
    expect(carried.timelineView(T0 + 10 * MIN).buckets).toEqual([
      { at: '2026-11-30T10:00:00.000Z', entered: 4, synced: 0, notSynced: 1, errored: 0 },
      { at: '2026-11-30T10:10:00.000Z', entered: 0, synced: 2, notSynced: 0, errored: 1 },
    ]);
  });
});
