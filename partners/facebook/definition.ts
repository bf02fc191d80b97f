/** Meta (Facebook) Custom Audiences, declared once. */
import { definePartner } from '../definition.js';
import { hashed, normalize, plain } from '../identifiers.js';
import { facebookStandIn } from './sandbox.js';
import { facebook as facebookAdapter } from './adapter.js';
import { facebookCalendar } from './versions.js';

/** The version the adapter speaks unless the operator overrides it. */
const PINNED = 'v26.0';

export const facebook = definePartner({
  id: 'facebook',
  label: 'Facebook',
  capabilities: {
    id: 'facebook',
    maxUsersPerRequest: 10_000,
    requestsPerSecond: 10,
    rateLimitScope: 'adAccount',
    fields: ['email', 'phone', 'firstName', 'lastName', 'gaid', 'idfa'],
    fieldPairs: [],
    canRemove: true,
    createsAudienceWithFirstRecords: false,
  },
  identifiers: {
    email: hashed(normalize.email),
    phone: hashed(normalize.phone),
    firstName: hashed(normalize.name),
    lastName: hashed(normalize.name),
    gaid: plain(normalize.adId),
    idfa: plain(normalize.adId),
  },
  api: {
    // v25.0 expires 2027-02-23; v26.0's Custom Audience changes are in docs/partners.md.
    version: PINNED,
    source: 'developers.facebook.com/docs/marketing-api/marketing-api-changelog/versions',
    calendar: facebookCalendar,
    override: { key: 'FACEBOOK_GRAPH_VERSION', pattern: /^v\d{2}\.0$/, form: 'vNN.0' },
  },
  env: {
    urls: {
      graph: { key: 'FACEBOOK_GRAPH_URL', sandbox: '/facebook' },
      authorize: { key: 'FACEBOOK_AUTHORIZE_URL', sandbox: '/facebook/dialog/oauth' },
    },
    secrets: {
      appId: { key: 'FACEBOOK_APP_ID', sandbox: 'sandbox' },
      appSecret: { key: 'FACEBOOK_APP_SECRET', sandbox: 'sandbox' },
    },
  },
  createAdapter: ({ urls, secrets, apiVersion }, agent) =>
    facebookAdapter({ ...urls, ...secrets, version: apiVersion ?? PINNED }, agent),
  sandbox: facebookStandIn,
  sandboxAdAccountId: '601',
});
