/**
 * Meta Graph / Marketing API versions (`/vNN.0/` in the path), as Meta publishes them: each lives
 * about one to two years; a call to an expired version fails with error #2635.
 */
import type { VersionCalendar } from '../calendar.js';

const VERSIONS = 'developers.facebook.com/docs/marketing-api/marketing-api-changelog/versions';

/** Released versions and their expiry (null: Meta has not published it yet), read 2026-12-04. */
const PUBLISHED: Record<string, string | null> = {
  'v24.0': '2026-11-10',
  'v25.0': '2027-02-23',
  'v26.0': null,
  'v27.0': null,
};

export const facebookCalendar: VersionCalendar = (version) => {
  if (!Object.hasOwn(PUBLISHED, version)) return undefined;
  return { sunsetAt: PUBLISHED[version] ?? null, estimated: false, source: VERSIONS };
};
