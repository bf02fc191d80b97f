/**
 * LinkedIn Marketing API versions (`LinkedIn-Version: YYYYMM`), as LinkedIn publishes them:
 * monthly releases, each served at least a year; sunset dates only on the migrations page, and
 * a sunset version answered with HTTP 426.
 */
import type { VersionCalendar } from '../calendar.js';

const MIGRATIONS = 'learn.microsoft.com/en-us/linkedin/marketing/integrations/migrations';

/** The rows of LinkedIn's migrations table (read 2026-12-04). */
const PUBLISHED: Record<string, string> = {
  '202505': '2026-05-15',
  '202510': '2026-10-15',
  '202511': '2026-11-16',
  '202601': '2027-01-15',
  '202602': '2027-02-15',
  '202603': '2027-03-16',
  '202604': '2027-04-15',
};

/** The newest version LinkedIn had released when this calendar was read. */
export const NEWEST_RELEASED = '202609';
/** The oldest version this calendar knows (older ones are long sunset). */
const OLDEST_KNOWN = '202401';

/** Versions the table does not list yet: sunset a year after release (LinkedIn's stated minimum), mid-month. */
export const linkedinCalendar: VersionCalendar = (version) => {
  if (!/^\d{6}$/.test(version)) return undefined;
  const month = Number(version.slice(4));
  if (month < 1 || month > 12 || version < OLDEST_KNOWN || version > NEWEST_RELEASED) return undefined;
  const published = PUBLISHED[version];
  if (published) return { sunsetAt: published, estimated: false, source: MIGRATIONS };
  const year = Number(version.slice(0, 4)) + 1;
  return {
    sunsetAt: `${year}-${version.slice(4)}-15`,
    estimated: true,
    source: `${MIGRATIONS} (not listed yet: release + 12 months)`,
  };
};
