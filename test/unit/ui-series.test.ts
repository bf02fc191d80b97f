import { describe, expect, it } from 'vitest';
import { activeBuckets, timelineSeries, timelineTotals } from '../../ui/src/series.js';
import { parseStepHash, sameStep, stepHash, stepKey } from '../../ui/src/selection.js';
import { hhmm, hhmmss } from '../../ui/src/time.js';
import type { TimelineView } from '../../ui/src/types.js';
import {
  METRICS,
  audienceWords,
  connectionStatusWords,
  partnerName,
  setPartnerLabels,
  reasonRows,
  reasonWords,
  stepStateWords,
} from '../../ui/src/words.js';
import { PARTNER_REGISTRY } from '../../partners/registry.js';

const T0 = Date.parse('2026-11-30T10:00:00Z');
const MIN = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();
/** Minutes since T0: labels that say where a point is without depending on the time zone. */
const sinceT0 = (ms: number): string => `+${(ms - T0) / MIN}`;

function bucket(atMs: number, counts: Partial<Record<'entered' | 'synced' | 'notSynced' | 'errored', number>>) {
  return { at: iso(atMs), entered: 0, synced: 0, notSynced: 0, errored: 0, ...counts };
}

describe('ui timeline series', () => {
  it('fills the gaps between from and to with zero buckets, 5 minutes apart', () => {
    const view: TimelineView = {
      bucketMinutes: 5,
      from: iso(T0),
      to: iso(T0 + 20 * MIN),
      buckets: [
        bucket(T0, { entered: 10, synced: 7, notSynced: 2, errored: 1 }),
        bucket(T0 + 15 * MIN, { entered: 3, synced: 3 }),
      ],
    };
    expect(timelineSeries(view, sinceT0)).toEqual({
      at: [T0, T0 + 5 * MIN, T0 + 10 * MIN, T0 + 15 * MIN, T0 + 20 * MIN],
      labels: ['+0', '+5', '+10', '+15', '+20'],
      entered: [10, 0, 0, 3, 0],
      synced: [7, 0, 0, 3, 0],
      notSynced: [2, 0, 0, 0, 0],
      errored: [1, 0, 0, 0, 0],
    });
  });

  it('shows one empty bucket when nothing happened yet (from = to)', () => {
    const view: TimelineView = { bucketMinutes: 5, from: iso(T0), to: iso(T0), buckets: [] };
    expect(timelineSeries(view, sinceT0)).toEqual({
      at: [T0],
      labels: ['+0'],
      entered: [0],
      synced: [0],
      notSynced: [0],
      errored: [0],
    });
  });

  it('spans 48 hours of 5-minute buckets as 577 points', () => {
    const to = T0 + 48 * 60 * MIN;
    const view: TimelineView = {
      bucketMinutes: 5,
      from: iso(T0),
      to: iso(to),
      buckets: [bucket(T0, { entered: 1 }), bucket(to, { synced: 1 })],
    };
    const s = timelineSeries(view, sinceT0);
    expect(s.at).toHaveLength(577);
    expect(s.entered.reduce((a, b) => a + b)).toBe(1);
    expect(s.synced.at(-1)).toBe(1);
  });

  it('keeps buckets off the grid in time order (unsorted, misaligned or past `to`), summing duplicates', () => {
    const view: TimelineView = {
      bucketMinutes: 5,
      from: iso(T0),
      to: iso(T0 + 5 * MIN),
      buckets: [
        bucket(T0 + 10 * MIN, { errored: 4 }),
        bucket(T0 + 2 * MIN, { notSynced: 1 }),
        bucket(T0, { synced: 1 }),
        bucket(T0, { synced: 2 }),
      ],
    };
    const s = timelineSeries(view, sinceT0);
    expect(s.labels).toEqual(['+0', '+2', '+5', '+10']);
    expect(s.synced).toEqual([3, 0, 0, 0]);
    expect(s.notSynced).toEqual([0, 1, 0, 0]);
    expect(s.errored).toEqual([0, 0, 0, 4]);
  });

  it('does not invent a grid from an unusable answer', () => {
    // Not what the API sends (it always says 5): a broken answer must not loop forever.
    const view = {
      bucketMinutes: 0,
      from: iso(T0),
      to: iso(T0 + 60 * MIN),
      buckets: [bucket(T0, {})],
    } as unknown as TimelineView;
    expect(timelineSeries(view, sinceT0).labels).toEqual(['+0']);
    const backwards: TimelineView = { bucketMinutes: 5, from: iso(T0 + 5 * MIN), to: iso(T0), buckets: [] };
    expect(timelineSeries(backwards, sinceT0).labels).toEqual([]);
  });

  it('adds the timeline up and lists only the buckets where something happened, oldest first', () => {
    const view: TimelineView = {
      bucketMinutes: 5,
      from: iso(T0),
      to: iso(T0 + 10 * MIN),
      buckets: [bucket(T0 + 10 * MIN, { errored: 2 }), bucket(T0 + 5 * MIN, {}), bucket(T0, { entered: 5, synced: 4 })],
    };
    expect(timelineTotals(view)).toEqual({ entered: 5, synced: 4, notSynced: 0, errored: 2 });
    expect(activeBuckets(view).map((b) => b.at)).toEqual([iso(T0), iso(T0 + 10 * MIN)]);
  });

  it('labels buckets with the local HH:MM', () => {
    expect(hhmm(new Date(2026, 10, 30, 9, 5).getTime())).toBe('09:05');
    expect(hhmm(new Date(2026, 10, 30, 23, 55).getTime())).toBe('23:55');
    expect(hhmmss(new Date(2026, 10, 30, 7, 3, 9))).toBe('07:03:09');
  });
});

describe('ui words', () => {
  it("uses the product's metric names, in its order", () => {
    expect(METRICS.map((m) => m.label)).toEqual([
      'Entered',
      'Proceeded to Next Step',
      'Exited Canvas',
      'Users Synced',
      'Users Not Synced',
      'Users Pending',
      'Users Errored',
    ]);
    expect(METRICS.map((m) => m.key)).toEqual([
      'entered',
      'proceeded',
      'exited',
      'synced',
      'notSynced',
      'pending',
      'errored',
    ]);
  });

  it('says what each step state means, and what to do when paused', () => {
    expect(stepStateWords('active')).toMatchObject({ long: 'Active', tone: 'ok' });
    expect(stepStateWords('paused_invalid_token')).toMatchObject({
      long: 'Paused: the partner token is invalid — reconnect',
      tone: 'attention',
    });
    for (const state of ['creating_audience', 'stopping', 'stopped']) {
      expect(stepStateWords(state).long).not.toContain('_');
    }
    expect(stepStateWords('something_new')).toEqual({ short: 'something_new', long: 'something_new', tone: 'neutral' });
  });

  it('marks connections that need a reconnect, in words', () => {
    expect(connectionStatusWords('connected')).toEqual({ label: 'Connected', tone: 'ok', reconnect: false });
    expect(connectionStatusWords('invalid_token')).toEqual({
      label: 'Token invalid — reconnect this partner to resume its steps',
      tone: 'attention',
      reconnect: true,
    });
    expect(connectionStatusWords('disconnected').reconnect).toBe(true);
    // Labels come from GET /v1/partners, which reads them from the registry.
    setPartnerLabels(PARTNER_REGISTRY.definitions.map(({ id, label }) => ({ id, label })));
    expect(partnerName('tiktok')).toBe('TikTok');
    expect(partnerName('myspace')).toBe('myspace');
  });

  it('lists the reasons that have a count, Not Synced first, in words', () => {
    // A code the page does not know yet (from a newer API) is still listed, as it is.
    const rows = reasonRows({
      notSynced: { no_consent: 2, missing_fields: 5 },
      errored: { retries_exhausted: 1, rejected: 0, token_invalid: 3, brand_new: 1 },
    } as Parameters<typeof reasonRows>[0]);
    expect(rows.map((r) => [r.outcome, r.code, r.count])).toEqual([
      ['Not synced', 'missing_fields', 5],
      ['Not synced', 'no_consent', 2],
      ['Errored', 'token_invalid', 3],
      ['Errored', 'retries_exhausted', 1],
      ['Errored', 'brand_new', 1],
    ]);
    expect(rows[0]?.words).toBe(reasonWords('missing_fields'));
    expect(reasonWords('missing_fields')).not.toContain('_');
    expect(reasonWords('brand_new')).toBe('brand_new');
    expect(reasonRows({ notSynced: {}, errored: {} })).toEqual([]);
  });

  it("names the audience, or says Pinterest's list is not created yet", () => {
    expect(audienceWords({ id: '42', name: 'newsletter' })).toBe('newsletter (id 42)');
    expect(audienceWords({ id: null, name: 'leads' })).toBe('leads (id not created yet (made with the first batch))');
    expect(audienceWords({ id: '42', name: null })).toBe('id 42');
  });
});

describe('ui step selection', () => {
  it('keeps the selected step in the URL hash and reads it back', () => {
    const ref = { canvasId: 'welcome', stepId: 'sync-1' };
    expect(stepKey(ref)).toBe('welcome/sync-1');
    expect(stepHash(ref)).toBe('#step=welcome/sync-1');
    expect(parseStepHash(stepHash(ref))).toEqual(ref);
    expect(sameStep(parseStepHash('#step=welcome/sync-1'), ref)).toBe(true);
  });

  it('ignores a hash that names no step', () => {
    for (const hash of ['', '#', '#step=', '#step=welcome', '#step=a/b/c', '#other=a/b', '#step=%E0/b']) {
      expect(parseStepHash(hash)).toBeUndefined();
    }
    expect(sameStep(undefined, undefined)).toBe(false);
  });
});
