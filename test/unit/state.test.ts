import { describe, expect, it } from 'vitest';
import type { UsersEntry } from '../../domain/messages.js';
import { BATCH_WINDOW_MS, MAX_BATCH_ROW_BYTES, MAX_KEYS, StepState, hashKey } from '../../workflows/state.js';
import { packRows, packedLineBytes, unpackRows } from '../../domain/rows.js';
import type { Row, StepConfig } from '../../domain/types.js';

const ids = { workspaceId: 'w', canvasId: 'c', stepId: 's' };
const config: StepConfig = {
  partner: 'linkedin',
  adAccountId: 'a',
  audience: { name: 'n', create: true },
  action: 'add',
  fields: ['email'],
  lastStep: false,
};
const hash = (i: number) => i.toString(16).padStart(64, '0');
const rows = (n: number, from = 0): Row[] => Array.from({ length: n }, (_, i) => [hash(from + i)]);
let k = 0;
const entry = (r: Row[], over: Partial<UsersEntry> = {}): UsersEntry => ({
  idempotencyKey: `k${++k}`,
  enteredAt: 0,
  notSynced: {},
  rows: packRows(r),
  ...over,
});

function activeStep(maxUsersPerRequest = 5_000, over: Partial<StepConfig> = {}): StepState {
  const s = StepState.restore(ids);
  s.beginLaunch();
  s.completeLaunch({ ...config, ...over }, 'aud', 'n', {
    maxUsersPerRequest,
    createsAudienceWithFirstRecords: false,
    rateLimitScope: 'connection' as const,
  });
  return s;
}

function invariant(s: StepState): void {
  const m = s.view().metrics;
  expect(m.entered).toBe(m.notSynced + m.pending + m.synced + m.errored);
}

describe('StepState counting', () => {
  it('counts every entered user as proceeded, or exited on a last step', () => {
    const s = activeStep();
    s.enter(entry(rows(3), { notSynced: { missing_fields: 2 } }), 0);
    expect(s.view().metrics).toMatchObject({ entered: 5, proceeded: 5, exited: 0, notSynced: 2, pending: 3 });
    const last = activeStep(5_000, { lastStep: true });
    last.enter(entry(rows(3)), 0);
    expect(last.view().metrics).toMatchObject({ entered: 3, proceeded: 0, exited: 3 });
  });

  it('counts an idempotency key once', () => {
    const s = activeStep();
    const e = entry(rows(4));
    expect(s.enter(e, 0)).toBe(true);
    expect(s.enter(e, 1)).toBe(false);
    expect(s.view().metrics.entered).toBe(4);
  });

  it('keeps the invariant through cutting, sending and settling, and settles a batch only once', () => {
    const s = activeStep(100);
    s.enter(entry(rows(250), { notSynced: { no_consent: 5 } }), 0);
    invariant(s);
    const ids: string[] = [];
    let cut;
    while ((cut = s.cutBatch())) {
      ids.push(s.sendBatch(cut.count, (n) => `b${n}`));
      invariant(s);
    }
    expect(ids).toEqual(['b1', 'b2', 'b3']);
    expect(s.settle({ batchId: 'b1', synced: 100, errored: {} }, 0)).toBe(true);
    expect(s.settle({ batchId: 'b1', synced: 100, errored: {} }, 0)).toBe(false); // a repeat
    s.settle({ batchId: 'b2', synced: 90, errored: { invalid_identifier: 10 } }, 0);
    s.settle({ batchId: 'b3', synced: 0, errored: { audience_deleted: 50 } }, 0);
    invariant(s);
    expect(s.view()).toMatchObject({
      metrics: { entered: 255, synced: 190, errored: 60, pending: 0, notSynced: 5 },
      reasons: { errored: { invalid_identifier: 10, audience_deleted: 50 }, notSynced: { no_consent: 5 } },
    });
  });

  it('counts as Errored any user a batch fails to account for, never losing one', () => {
    const s = activeStep(100);
    s.enter(entry(rows(100)), 0);
    const id = s.sendBatch(s.cutBatch()!.count, (n) => `b${n}`);
    s.settle({ batchId: id, synced: 60, errored: { rejected: 10 } }, 0);
    invariant(s);
    expect(s.view().reasons.errored).toEqual({ rejected: 10, retries_exhausted: 30 });
  });
});

describe('StepState batching', () => {
  it('cuts requests of at most the partner limit, oldest users first', () => {
    const s = activeStep(1_900);
    s.enter(entry(rows(1_000, 0)), 10);
    s.enter(entry(rows(3_000, 1_000)), 20);
    const sizes: number[] = [];
    const firsts: (string | null)[] = [];
    const oldest: number[] = [];
    let cut;
    while ((cut = s.cutBatch())) {
      sizes.push(cut.count);
      firsts.push(unpackRows(cut.rows)[0]![0]!);
      oldest.push(cut.oldestReceivedAt);
    }
    expect(sizes).toEqual([1_900, 1_900, 200]);
    expect(firsts).toEqual([hash(0), hash(1_900), hash(3_800)]);
    expect(oldest).toEqual([10, 20, 20]);
    expect(s.hasBuffered()).toBe(false);
  });

  it('cuts a batch of several whole requests while the window is open, and the rest when it closes', () => {
    const s = activeStep(100);
    s.enter(entry(rows(950)), 0);
    // Window open: whole requests only, at most 4 of them; the 50 left wait for the window.
    expect([s.cutBatch(4, true)!.count, s.cutBatch(4, true)!.count]).toEqual([400, 400]);
    expect(s.cutBatch(4, true)!.count).toBe(100);
    expect(s.bufferedUsers()).toBe(50);
    // Window closed: what is left goes, partial request and all.
    expect(s.cutBatch(4, false)!.count).toBe(50);
    expect(s.cutBatch(4, false)).toBeNull();
  });

  it('keeps every request under the byte cap for child inputs', () => {
    const s = activeStep(10_000, { fields: ['email', 'phone', 'firstName', 'lastName', 'gaid', 'idfa'] });
    const wide = Array.from({ length: 10_000 }, (_, i) => Array.from({ length: 6 }, (_, f) => hash(i * 6 + f)));
    s.enter(entry(wide), 0);
    expect(s.bufferFull()).toBe(true);
    let total = 0;
    let cut;
    while ((cut = s.cutBatch())) {
      const bytes = Buffer.byteLength(JSON.stringify(cut.rows));
      expect(bytes).toBeLessThanOrEqual(MAX_BATCH_ROW_BYTES);
      total += cut.count;
    }
    expect(total).toBe(10_000);
  });

  it('weighs packed rows as sent: a request of 10,000 hashes fits in one batch', () => {
    const s = activeStep(10_000);
    const r = rows(25_000);
    s.enter(entry(r), 0);
    const cuts: number[] = [];
    while (s.bufferFull()) {
      const cut = s.cutBatch(4, true)!; // as the step does while the window is open
      expect(Buffer.byteLength(JSON.stringify(cut.rows))).toBeLessThanOrEqual(MAX_BATCH_ROW_BYTES);
      cuts.push(cut.count);
    }
    expect(cuts).toEqual([10_000, 10_000]); // whole requests while the window is open; 5,000 wait for it
    expect(s.cutBatch(4, false)!.count).toBe(5_000);
  });

  it('cuts a batch the byte cap stops short on a request boundary, so no short request waits', () => {
    const s = activeStep(1_000, { fields: ['email', 'phone', 'firstName'] });
    const wide = Array.from({ length: 6_000 }, (_, i) => [hash(3 * i), hash(3 * i + 1), hash(3 * i + 2)]);
    s.enter(entry(wide), 0);
    const cuts: number[] = [];
    while (s.bufferFull()) cuts.push(s.cutBatch(4, true)!.count);
    expect(cuts).toEqual([3_000, 3_000]); // ~3,700 fit in the bytes: 3 whole requests each
    expect(s.hasBuffered()).toBe(false);
  });

  it('counts non-ASCII names generously so the byte cap holds for any text', () => {
    const line = (r: Row) => packRows([r]);
    const size = (r: Row) => packedLineBytes(line(r), 0, line(r).length);
    expect(size(['é'])).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(`${line(['é'])}\n`)) - 2);
    expect(size(['日本語', null])).toBeGreaterThanOrEqual(
      Buffer.byteLength(JSON.stringify(`${line(['日本語', null])}\n`)) - 2,
    );
  });

  it('opens a window when the first user enters an empty buffer', () => {
    const s = activeStep();
    s.enter(entry(rows(1)), 1_000);
    s.enter(entry(rows(1)), 3_000);
    expect(s.windowRemaining(3_000)).toBe(BATCH_WINDOW_MS - 2_000);
    expect(s.windowRemaining(6_000)).toBe(0);
    s.cutBatch();
    s.enter(entry(rows(1)), 7_000);
    expect(s.windowRemaining(7_000)).toBe(BATCH_WINDOW_MS);
  });

  it('lets only one batch out until a partner that creates the list with its first records names it', () => {
    const s = StepState.restore(ids);
    s.completeLaunch({ ...config, partner: 'pinterest' }, null, 'n', {
      maxUsersPerRequest: 10,
      createsAudienceWithFirstRecords: true,
      rateLimitScope: 'connection',
    });
    s.enter(entry(rows(30)), 0);
    const first = s.sendBatch(s.cutBatch()!.count, (n) => `b${n}`);
    expect(s.canFlush()).toBe(false);
    s.settle({ batchId: first, synced: 10, errored: {}, audienceId: 'list-1' }, 0);
    expect(s.view().audience.id).toBe('list-1');
    expect(s.canFlush()).toBe(true);
  });
});

describe('StepState lifecycle', () => {
  it('reads paused while the connection is invalid, and stopped only once drained', () => {
    const s = activeStep(10);
    s.setConnection({ status: 'invalid_token', generation: 1 });
    expect(s.status()).toBe('paused_invalid_token');
    expect(s.setConnection({ status: 'connected', generation: 0 })).toBe(false); // an overtaken state
    s.setConnection({ status: 'connected', generation: 2 });
    expect(s.status()).toBe('active');
    s.enter(entry(rows(5)), 0);
    s.stop();
    expect(s.status()).toBe('stopping');
    expect(s.finishStopIfDone()).toBe(false);
    const id = s.sendBatch(s.cutBatch()!.count, (n) => `b${n}`);
    expect(s.finishStopIfDone()).toBe(false);
    s.settle({ batchId: id, synced: 5, errored: {} }, 0);
    expect(s.finishStopIfDone()).toBe(true);
    expect(s.status()).toBe('stopped');
  });

  it('survives continue-as-new as plain data', () => {
    const s = activeStep(10);
    s.enter(entry(rows(15), { idempotencyKey: 'once' }), 0);
    s.sendBatch(s.cutBatch()!.count, (n) => `b${n}`);
    const carried = JSON.parse(JSON.stringify(s.data)) as typeof s.data;
    const next = StepState.restore(ids, carried);
    expect(next.view()).toEqual(s.view());
    expect(next.enter(entry(rows(1), { idempotencyKey: 'once' }), 1)).toBe(false);
    expect(next.sendBatch(5, (n) => `b${n}`)).toBe('b2');
  });

  it('remembers at most MAX_KEYS keys, forgetting the oldest first', () => {
    const s = activeStep();
    for (let i = 0; i <= MAX_KEYS; i++) s.enter(entry([], { idempotencyKey: `key-${i}` }), i);
    expect(Object.keys(s.data.keys).length).toBeLessThanOrEqual(MAX_KEYS);
    expect(s.data.keys[hashKey(`key-${MAX_KEYS}`)]).toBe(MAX_KEYS);
    expect(s.data.keys[hashKey('key-0')]).toBeUndefined();
  });

  it('hashes keys to 16 hex chars without collisions on a large sample', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(hashKey(`idempotency-key-${i}`));
    expect(seen.size).toBe(100_000);
    expect(hashKey('x')).toMatch(/^[0-9a-f]{16}$/);
  });
});
