/**
 * A partner's published version calendar: when each version stops being served. Kept in the
 * partner's folder as the partner publishes it (never derived from what the adapter pins), so
 * the sandbox can refuse a version the partner no longer serves and a canary test can notice a
 * pinned version nearing its end.
 */
export interface VersionSunset {
  /** YYYY-MM-DD; null where the partner has published no date yet. */
  sunsetAt: string | null;
  /** The partner's table does not list it: the date follows its stated policy. */
  estimated: boolean;
  /** Where the date (or its rule) is published. */
  source: string;
}

/** A version's sunset as published, or undefined for a version the partner never released. */
export type VersionCalendar = (version: string) => VersionSunset | undefined;

/** Whole days from `now` until the start of `day` (negative once past). */
export function daysUntil(day: string, now = Date.now()): number {
  return Math.floor((Date.parse(`${day}T00:00:00Z`) - now) / 86_400_000);
}

/** The partner still serves it on `now`: released, and its sunset (if known) not reached. */
export function served(calendar: VersionCalendar, version: string, now = Date.now()): boolean {
  const s = calendar(version);
  return s !== undefined && (s.sunsetAt === null || daysUntil(s.sunsetAt, now) > 0);
}
