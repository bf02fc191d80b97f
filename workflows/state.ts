/**
 * The Step's state and every rule about its numbers, as plain functions over plain data (no
 * Map, Set or Date: it is carried across continue-as-new as is). Deterministic and pure, so it
 * is unit-tested directly and the workflow only wires it to signals and timers.
 */
import type { PartnerLimits } from '../domain/partner.js';
import type { BatchSettlement, ConnectionState, UsersEntry } from '../domain/messages.js';
import { endOfRow, joinRows, packedLineBytes, type PackedRows } from '../domain/rows.js';
import { record, timelineView, type Timeline, type TimelineView } from '../domain/timeline.js';
import type {
  ErroredReason,
  LastError,
  NotSyncedReason,
  StepConfig,
  StepIds,
  StepStatus,
  StepView,
} from '../domain/types.js';

/** Users wait at most this long in the buffer before they are sent. */
export const BATCH_WINDOW_MS = 5_000;
/** A user not synced this long after entering is Errored. */
export const RETRY_BUDGET_MS = 13 * 60 * 60 * 1000;
/** Temporal allows 2 MB per payload; signals and child inputs stay under a quarter of it. */
export const MAX_CHILD_INPUT_BYTES = 512 * 1024;
/** Room in a Batch's input for everything but its rows (ids, config, deadline). */
const BATCH_ENVELOPE_BYTES = 8 * 1024;
export const MAX_BATCH_ROW_BYTES = MAX_CHILD_INPUT_BYTES - BATCH_ENVELOPE_BYTES;
/**
 * Continue-as-new carries the buffer in its input (≤ 2 MB like any payload): more than one
 * request's worth is sent first. With the keys (≤ 10,000 × 34 B) the carried state stays < 1 MB.
 */
export const MAX_CARRIED_BUFFER_BYTES = MAX_BATCH_ROW_BYTES;
/** Idempotency keys are remembered this long (docs/api.md: at least 24 h)… */
export const KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** …and at most this many per step, so the carried state stays small (16 hex chars each). */
export const MAX_KEYS = 10_000;

type Phase = 'awaiting_launch' | 'creating_audience' | 'active' | 'stopping' | 'stopped' | 'refused';

interface BufferChunk {
  /** Workflow time the rows arrived: their 13-hour budget starts here. */
  receivedAt: number;
  rows: PackedRows;
  count: number;
  /** The rows' size inside a payload (packedLineBytes): batches are cut by it. */
  bytes: number;
}

export interface Counters {
  entered: number;
  proceeded: number;
  exited: number;
  synced: number;
  notSynced: Partial<Record<NotSyncedReason, number>>;
  errored: Partial<Record<ErroredReason, number>>;
}

export interface StepData {
  ids: StepIds;
  phase: Phase;
  config: StepConfig | null;
  audienceId: string | null;
  audienceName: string | null;
  limits: PartnerLimits | null;
  connection: ConnectionState;
  counters: Counters;
  buffer: BufferChunk[];
  /** When the current batching window closes (set when the first user enters an empty buffer). */
  windowEndsAt: number | null;
  /** Batches sent and not settled: batch id → users in it. */
  outstanding: Record<string, number>;
  nextBatchSeq: number;
  /** Hashed idempotency key → when it was first seen. */
  keys: Record<string, number>;
  keyCount: number;
  lastError?: LastError;
  /** Outcomes per 5-minute bucket, last 48 h. */
  timeline: Timeline;
}

export interface CutBatch {
  rows: PackedRows;
  count: number;
  /** Budget start of the oldest user in the batch. */
  oldestReceivedAt: number;
}

export function newStepData(ids: StepIds): StepData {
  return {
    ids,
    phase: 'awaiting_launch',
    config: null,
    audienceId: null,
    audienceName: null,
    limits: null,
    connection: { status: 'connected', generation: 0 },
    counters: { entered: 0, proceeded: 0, exited: 0, synced: 0, notSynced: {}, errored: {} },
    buffer: [],
    windowEndsAt: null,
    outstanding: {},
    nextBatchSeq: 1,
    keys: {},
    keyCount: 0,
    timeline: [],
  };
}

const sum = (values: Record<string, number | undefined>): number =>
  Object.values(values).reduce<number>((a, b) => a + (b ?? 0), 0);

function add<K extends string>(into: Partial<Record<K, number>>, key: K, n: number): void {
  if (n > 0) into[key] = (into[key] ?? 0) + n;
}

/** An entry's rows with their count and their size inside a payload. */
export function entryRows(rows: PackedRows): { rows: PackedRows; count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (let start = 0; start < rows.length; count++) {
    const end = endOfRow(rows, start);
    bytes += packedLineBytes(rows, start, end);
    start = end + 1;
  }
  return { rows, count, bytes };
}

/** A 64-bit FNV-1a hash as 16 hex chars: keys of up to 128 chars are remembered in 16. */
export function hashKey(key: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}

export class StepState {
  private constructor(readonly data: StepData) {}

  static restore(ids: StepIds, carried?: StepData): StepState {
    return new StepState(carried ?? newStepData(ids));
  }

  // ── Launch and lifecycle ───────────────────────────────────────────────────────────────────

  get launched(): boolean {
    return this.data.config !== null && this.data.phase !== 'refused';
  }
  get refused(): boolean {
    return this.data.phase === 'refused';
  }
  get stopping(): boolean {
    return this.data.phase === 'stopping';
  }
  get stopped(): boolean {
    return this.data.phase === 'stopped';
  }

  beginLaunch(): void {
    if (!this.launched) this.data.phase = 'creating_audience';
  }

  completeLaunch(
    config: StepConfig,
    audienceId: string | null,
    audienceName: string | null,
    limits: PartnerLimits,
  ): void {
    this.data.config = config;
    this.data.audienceId = audienceId;
    this.data.audienceName = audienceName;
    this.data.limits = limits;
    this.data.phase = 'active';
  }

  /** A refused first launch leaves no step behind; a refused relaunch keeps the running config. */
  failLaunch(error: LastError): void {
    this.data.lastError = error;
    this.data.phase = this.data.config ? 'active' : 'refused';
  }

  stop(): void {
    if (this.data.phase === 'active' || this.data.phase === 'creating_audience') this.data.phase = 'stopping';
  }

  /** Stopping, and every user has been sent and every batch has settled. */
  drained(): boolean {
    return this.stopping && !this.hasBuffered() && this.outstandingCount() === 0;
  }

  /** Stopping is over once drained. */
  finishStopIfDone(): boolean {
    if (this.drained()) this.data.phase = 'stopped';
    return this.stopped;
  }

  setConnection(c: ConnectionState): boolean {
    if (c.generation < this.data.connection.generation) return false; // an older state, overtaken
    this.data.connection = c;
    return true;
  }

  // ── Users in ───────────────────────────────────────────────────────────────────────────────

  /** Counts an entry once per idempotency key; returns false for a repeat. */
  enter(entry: UsersEntry, now: number): boolean {
    const key = hashKey(entry.idempotencyKey);
    if (this.data.keys[key] !== undefined) return false;
    this.rememberKey(key, now);
    const c = this.data.counters;
    const notSynced = sum(entry.notSynced);
    const rows = entryRows(entry.rows);
    const users = rows.count + notSynced;
    c.entered += users;
    if (this.data.config?.lastStep) c.exited += users;
    else c.proceeded += users;
    for (const [reason, n] of Object.entries(entry.notSynced) as [NotSyncedReason, number][])
      add(c.notSynced, reason, n);
    record(this.data.timeline, now, { entered: users, notSynced });
    if (rows.count > 0) {
      if (this.data.buffer.length === 0) this.data.windowEndsAt = now + BATCH_WINDOW_MS;
      this.data.buffer.push({ receivedAt: now, ...rows });
    }
    return true;
  }

  private rememberKey(key: string, now: number): void {
    const keys = this.data.keys;
    keys[key] = now;
    if (++this.data.keyCount <= MAX_KEYS) return;
    // Over the cap: forget the oldest, down to 90 % so this runs rarely, and every expired one.
    const byAge = Object.keys(keys).sort((a, b) => keys[a]! - keys[b]!);
    let excess = byAge.length - Math.floor(MAX_KEYS * 0.9);
    for (const k of byAge) {
      if (excess <= 0 && now - keys[k]! < KEY_TTL_MS) break;
      delete keys[k];
      excess--;
    }
    this.data.keyCount = Object.keys(keys).length;
  }

  // ── Batching ───────────────────────────────────────────────────────────────────────────────

  hasBuffered(): boolean {
    return this.data.buffer.length > 0;
  }

  bufferedUsers(): number {
    return this.data.buffer.reduce((n, c) => n + c.count, 0);
  }

  bufferedBytes(): number {
    return this.data.buffer.reduce((n, c) => n + c.bytes, 0);
  }

  /** A full request is waiting: send it now rather than at the end of the window. */
  bufferFull(): boolean {
    const max = this.data.limits?.maxUsersPerRequest ?? Infinity;
    return this.bufferedUsers() >= max || this.bufferedBytes() >= MAX_BATCH_ROW_BYTES;
  }

  /** Milliseconds left in the current window (0 when it has closed). */
  windowRemaining(now: number): number {
    return this.data.windowEndsAt === null ? 0 : Math.max(0, this.data.windowEndsAt - now);
  }

  /**
   * Pinterest creates its list with the first records: until a batch has reported the list's id,
   * only one batch may be out, or two batches would create two lists.
   */
  gated(): boolean {
    return this.awaitingList() && this.outstandingCount() > 0;
  }

  /** The partner makes its list with the first records (Pinterest), and none is made yet. */
  awaitingList(): boolean {
    return this.data.limits?.createsAudienceWithFirstRecords === true && this.data.audienceId === null;
  }

  /** Something can be sent now (the window's timing is the caller's). */
  canFlush(): boolean {
    return this.launched && this.hasBuffered() && !this.gated();
  }

  /**
   * Cuts the next batch off the front of the buffer: ≤ `requests` of the partner's requests and
   * ≤ the byte cap. With `wholeOnly` (the window still open) only full requests go: users who
   * would make a partial one wait for the window to fill it. A cut the byte cap stops short ends
   * on a request boundary if a whole request fits, so the users left make full requests too
   * rather than a short one waiting for the window.
   */
  cutBatch(requests = 1, wholeOnly = false): CutBatch | null {
    const perRequest = this.data.limits?.maxUsersPerRequest ?? 1;
    const whole = wholeOnly ? Math.min(requests, Math.floor(this.bufferedUsers() / perRequest)) : requests;
    const first = this.data.buffer[0];
    if (!first) return null;
    const fit = this.rowsThatFit(perRequest * Math.max(1, whole));
    const count = fit.byteCapped && fit.count >= perRequest ? fit.count - (fit.count % perRequest) : fit.count;
    const rows = this.takeRows(count);
    if (this.data.buffer.length === 0) this.data.windowEndsAt = null;
    return { rows, count, oldestReceivedAt: first.receivedAt };
  }

  /** How many users from the front fit in one batch of at most `max` (the first always does). */
  private rowsThatFit(max: number): { count: number; byteCapped: boolean } {
    let count = 0;
    let bytes = 0;
    for (const chunk of this.data.buffer) {
      if (count + chunk.count <= max && bytes + chunk.bytes <= MAX_BATCH_ROW_BYTES) {
        count += chunk.count; // all of it fits
        bytes += chunk.bytes;
        continue;
      }
      for (let start = 0, n = 0; n < chunk.count && count < max; n++) {
        const end = endOfRow(chunk.rows, start);
        const b = packedLineBytes(chunk.rows, start, end);
        if (bytes + b > MAX_BATCH_ROW_BYTES && count > 0) return { count, byteCapped: true };
        bytes += b;
        count++;
        start = end + 1;
      }
      break; // the user cap stopped us inside this chunk
    }
    return { count, byteCapped: false };
  }

  /** Takes `n` users off the front of the buffer. */
  private takeRows(n: number): PackedRows {
    const blocks: PackedRows[] = [];
    let left = n;
    while (left > 0) {
      const chunk = this.data.buffer[0]!;
      if (chunk.count <= left) {
        blocks.push(chunk.rows);
        left -= chunk.count;
        this.data.buffer.shift();
        continue;
      }
      let end = -1;
      for (let k = 0; k < left; k++) {
        const start = end + 1;
        end = endOfRow(chunk.rows, start);
        chunk.bytes -= packedLineBytes(chunk.rows, start, end);
      }
      blocks.push(chunk.rows.slice(0, end));
      chunk.rows = chunk.rows.slice(end + 1);
      chunk.count -= left;
      left = 0;
    }
    return joinRows(blocks);
  }

  /** Registers a batch as out (its users stay Pending until it settles) and names it. */
  sendBatch(users: number, idFor: (seq: number) => string): string {
    const id = idFor(this.data.nextBatchSeq++);
    this.data.outstanding[id] = users;
    return id;
  }

  outstandingIds(): string[] {
    return Object.keys(this.data.outstanding);
  }

  outstandingCount(): number {
    return Object.keys(this.data.outstanding).length;
  }

  /** A batch's outcome, counted exactly once (in the timeline at `now`): a repeat or unknown batch changes nothing. */
  settle(r: BatchSettlement, now: number): boolean {
    const users = this.data.outstanding[r.batchId];
    if (users === undefined) return false;
    delete this.data.outstanding[r.batchId];
    const c = this.data.counters;
    const synced = Math.min(Math.max(0, r.synced), users);
    c.synced += synced;
    let left = users - synced;
    for (const [reason, n] of Object.entries(r.errored) as [ErroredReason, number][]) {
      const counted = Math.min(Math.max(0, n), left);
      add(c.errored, reason, counted);
      left -= counted;
    }
    // A batch must account for every user; any it did not is Errored rather than lost.
    add(c.errored, 'retries_exhausted', left);
    record(this.data.timeline, now, { synced, errored: users - synced });
    if (r.audienceId && this.data.audienceId === null) this.data.audienceId = r.audienceId;
    if (r.lastError) this.data.lastError = r.lastError;
    return true;
  }

  // ── Reading ────────────────────────────────────────────────────────────────────────────────

  timelineView(now: number): TimelineView {
    return timelineView(this.data.timeline, now);
  }

  status(): StepStatus {
    const phase = this.data.phase;
    if (phase === 'awaiting_launch' || phase === 'refused' || phase === 'creating_audience') return 'creating_audience';
    if (phase === 'active' && this.data.connection.status !== 'connected') return 'paused_invalid_token';
    return phase;
  }

  view(): StepView {
    const c = this.data.counters;
    const pending = this.bufferedUsers() + sum(this.data.outstanding);
    const view: StepView = {
      state: this.status(),
      config: this.data.config,
      audience: { id: this.data.audienceId, name: this.data.audienceName },
      metrics: {
        entered: c.entered,
        proceeded: c.proceeded,
        exited: c.exited,
        synced: c.synced,
        notSynced: sum(c.notSynced),
        pending,
        errored: sum(c.errored),
      },
      reasons: { notSynced: { ...c.notSynced }, errored: { ...c.errored } },
      outstandingBatches: this.outstandingCount(),
    };
    if (this.data.lastError) view.lastError = this.data.lastError;
    return view;
  }
}
