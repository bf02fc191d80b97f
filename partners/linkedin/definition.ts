/** LinkedIn, declared once: its DMP segments, their rules and where its settings come from. */
import { definePartner } from '../definition.js';
import { hashed, normalize, plain } from '../identifiers.js';
import { LINKEDIN_SANDBOX_SOURCE_PLATFORM, linkedinStandIn } from './sandbox.js';
import { linkedin as linkedinAdapter } from './adapter.js';
import { linkedinCalendar } from './versions.js';

/** The version the adapter speaks unless the operator overrides it. */
const PINNED = '202608';

export const linkedin = definePartner({
  id: 'linkedin',
  label: 'LinkedIn',
  capabilities: {
    id: 'linkedin',
    maxUsersPerRequest: 5_000,
    requestsPerSecond: 10,
    rateLimitScope: 'connection',
    fields: ['email', 'gaid', 'firstName', 'lastName'],
    fieldPairs: [['firstName', 'lastName']],
    canRemove: true,
    createsAudienceWithFirstRecords: false,
    minimumAudienceSize: 300,
  },
  identifiers: {
    email: hashed(normalize.email),
    gaid: plain(normalize.adId),
    firstName: plain(normalize.plainName),
    lastName: plain(normalize.plainName),
  },
  api: {
    // 202505 was sunset 2026-05-15 (LinkedIn answers 426); the changes since touching dmpSegments,
    // their users and adAccountUsers are in docs/partners.md.
    version: PINNED,
    source: 'learn.microsoft.com/en-us/linkedin/marketing/versioning',
    calendar: linkedinCalendar,
    override: { key: 'LINKEDIN_API_VERSION', pattern: /^\d{4}(0[1-9]|1[0-2])$/, form: 'YYYYMM' },
  },
  env: {
    urls: {
      rest: { key: 'LINKEDIN_REST_URL', sandbox: '/linkedin/rest' },
      oauth: { key: 'LINKEDIN_OAUTH_URL', sandbox: '/linkedin/oauth/v2' },
      authorize: { key: 'LINKEDIN_AUTHORIZE_URL', sandbox: '/linkedin/oauth/v2/authorization' },
    },
    secrets: {
      clientId: { key: 'LINKEDIN_CLIENT_ID', sandbox: 'sandbox' },
      clientSecret: { key: 'LINKEDIN_CLIENT_SECRET', sandbox: 'sandbox' },
    },
    assigned: {
      // "an ENUM value that is provided by your LinkedIn contact after you have been granted
      // access to the Audience APIs" (LinkedIn's DMP collection): never one of our own.
      sourcePlatform: {
        key: 'LINKEDIN_SOURCE_PLATFORM',
        sandbox: LINKEDIN_SANDBOX_SOURCE_PLATFORM,
        pattern: /^[A-Z][A-Z0-9_]{0,63}$/,
        form: 'the DMP source platform LinkedIn assigned to the app (an upper-case ENUM value, e.g. ACME_CDP)',
      },
    },
  },
  createAdapter: ({ urls, secrets, assigned, apiVersion }, agent) =>
    linkedinAdapter(
      { ...urls, ...secrets, sourcePlatform: assigned.sourcePlatform!, version: apiVersion ?? PINNED },
      agent,
    ),
  sandbox: linkedinStandIn,
  sandboxAdAccountId: '501',
});
