/**
 * The sandbox partners' memory: tokens, ad accounts, audiences and their members, injected
 * faults and request statistics. One instance per sandbox server; `reset()` empties it.
 */
import { randomUUID } from 'node:crypto';

/** A partner id the sandbox serves (the registry's). */
export type SandboxPartner = string;

export interface SandboxAudience {
  id: string;
  name: string;
  adAccountId: string;
  valueBased: boolean;
  /** Flagged by the partner (`POST /_sandbox/:partner/audiences/:id/restrict`): Meta then refuses edits. */
  restricted: boolean;
  createdAt: number;
  /** JSON text of a member (our field names) → the member. */
  members: Map<string, Record<string, string>>;
}

export interface Fault {
  status: 429 | 500 | 503;
  count: number;
  retryAfterSeconds?: number;
  delayMs?: number;
}

/** Faults at random, on a share of every partner's requests: tests set `state.randomFaults` (not in docs/api.md's controls). */
export interface RandomFaults {
  /** Share of requests (0–1) that meet a fault. */
  rate: number;
  /** A timeout: the answer comes this late (longer than the client waits), and the request is still carried out. */
  hangMs: number;
  /** A slow answer: this late, then answered normally. */
  slowMs: number;
}

export type RandomFaultKind = '429' | '500' | '503' | 'timeout' | 'slow';
const RANDOM_FAULT_KINDS: RandomFaultKind[] = ['429', '500', '503', 'timeout', 'slow'];

interface KeyStats {
  requests: number;
  times: number[];
  maxRequestsInAnySecond: number;
  /** When the first and the latest request arrived (ms since epoch). */
  firstAt: number;
  lastAt: number;
}

export interface PartnerStats {
  requests: number;
  users: number;
  maxUsersInARequest: number;
  rejected: Record<string, number>;
  /** Random faults met, by kind (kept apart from `rejected`, which counts the partner's own refusals). */
  injected: Partial<Record<RandomFaultKind, number>>;
  byKey: Record<string, KeyStats>;
  all: KeyStats;
  /** When users arrived: [ms since epoch, users] per accepted request (benchmarks derive latency from it). */
  arrivals: [number, number][];
}

const newKeyStats = (): KeyStats => ({ requests: 0, times: [], maxRequestsInAnySecond: 0, firstAt: 0, lastAt: 0 });
const newStats = (): PartnerStats => ({
  requests: 0,
  users: 0,
  maxUsersInARequest: 0,
  rejected: {},
  injected: {},
  byKey: {},
  all: newKeyStats(),
  arrivals: [],
});

export class SandboxState {
  validTokens = new Set<string>();
  revokedTokens = new Set<string>();
  /** Tokens registered with fewer scopes than the partner's default grant (`POST /_sandbox/:partner/tokens`). */
  tokenScopes = new Map<string, string[]>();
  refreshTokens = new Map<string, SandboxPartner>();
  /** OAuth codes handed out by the authorize page, single use. */
  codes = new Set<string>();
  audiences = new Map<SandboxPartner, Map<string, SandboxAudience>>();
  adAccounts = new Map<string, { termsAccepted?: boolean; audienceCount?: number }>();
  faults = new Map<SandboxPartner, Fault[]>();
  randomFaults: RandomFaults | undefined;
  stats = new Map<SandboxPartner, PartnerStats>();
  /** Arrival times of the last minute, per partner and rate-limit key (per-minute quotas). */
  minuteTimes = new Map<string, number[]>();
  private seq = 1000;

  reset(): void {
    this.validTokens.clear();
    this.revokedTokens.clear();
    this.tokenScopes.clear();
    this.refreshTokens.clear();
    this.codes.clear();
    this.audiences.clear();
    this.minuteTimes.clear();
    this.adAccounts.clear();
    this.faults.clear();
    this.stats.clear();
  }

  nextId(): string {
    return String(++this.seq);
  }

  newToken(): string {
    const token = `sbx-${randomUUID()}`;
    this.validTokens.add(token);
    return token;
  }

  tokenValid(token: string | undefined): boolean {
    return !!token && this.validTokens.has(token) && !this.revokedTokens.has(token);
  }

  /** The scopes a token carries: as registered, else `granted` (what the partner grants the product at consent). */
  scopesOf(token: string, granted: readonly string[]): readonly string[] {
    return this.tokenScopes.get(token) ?? granted;
  }

  audiencesOf(partner: SandboxPartner): Map<string, SandboxAudience> {
    let m = this.audiences.get(partner);
    if (!m) this.audiences.set(partner, (m = new Map<string, SandboxAudience>()));
    return m;
  }

  createAudience(partner: SandboxPartner, adAccountId: string, name: string, valueBased = false): SandboxAudience {
    const audience: SandboxAudience = {
      id: this.nextId(),
      name,
      adAccountId,
      valueBased,
      restricted: false,
      createdAt: Date.now(),
      members: new Map(),
    };
    this.audiencesOf(partner).set(audience.id, audience);
    return audience;
  }

  /** The next injected fault for this partner, if any (consumed). */
  takeFault(partner: SandboxPartner): Fault | undefined {
    const queue = this.faults.get(partner);
    const fault = queue?.[0];
    if (!fault) return undefined;
    if (--fault.count <= 0) queue?.shift();
    return fault;
  }

  /** A random fault for this request, or none (counted in the partner's `injected`). */
  takeRandomFault(partner: SandboxPartner): RandomFaultKind | undefined {
    if (!this.randomFaults || Math.random() >= this.randomFaults.rate) return undefined;
    const kind = RANDOM_FAULT_KINDS[Math.floor(Math.random() * RANDOM_FAULT_KINDS.length)]!;
    const injected = this.statsOf(partner).injected;
    injected[kind] = (injected[kind] ?? 0) + 1;
    return kind;
  }

  statsOf(partner: SandboxPartner): PartnerStats {
    let s = this.stats.get(partner);
    if (!s) this.stats.set(partner, (s = newStats()));
    return s;
  }

  /** Counts a request for `key`; returns how many requests that key made in the last 1,000 ms, this one included. */
  countRequest(partner: SandboxPartner, key: string, now = Date.now()): number {
    const s = this.statsOf(partner);
    s.requests++;
    const inWindow = (k: KeyStats) => {
      k.requests++;
      if (!k.firstAt) k.firstAt = now;
      k.lastAt = now;
      k.times.push(now);
      while (k.times.length && now - k.times[0]! >= 1_000) k.times.shift();
      k.maxRequestsInAnySecond = Math.max(k.maxRequestsInAnySecond, k.times.length);
      return k.times.length;
    };
    inWindow(s.all);
    return inWindow((s.byKey[key] ??= newKeyStats()));
  }

  /** Counts a request for `key` in its last 60 s; returns how many it made there, this one included. */
  countInLastMinute(partner: SandboxPartner, key: string, now = Date.now()): number {
    const k = `${partner} ${key}`;
    let times = this.minuteTimes.get(k);
    if (!times) this.minuteTimes.set(k, (times = []));
    times.push(now);
    while (times.length && now - times[0]! >= 60_000) times.shift();
    return times.length;
  }

  countUsers(partner: SandboxPartner, users: number): void {
    const s = this.statsOf(partner);
    s.users += users;
    s.maxUsersInARequest = Math.max(s.maxUsersInARequest, users);
    s.arrivals.push([Date.now(), users]);
  }

  countRejected(partner: SandboxPartner, reason: string | number): void {
    const s = this.statsOf(partner);
    s.rejected[String(reason)] = (s.rejected[String(reason)] ?? 0) + 1;
  }
}

/** A member as the control endpoint shows it: sorted by JSON text. */
export function sortedMembers(audience: SandboxAudience): Record<string, string>[] {
  return [...audience.members.keys()].sort().map((k) => audience.members.get(k)!);
}

export function memberKey(member: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(member).sort(([a], [b]) => a.localeCompare(b))));
}
