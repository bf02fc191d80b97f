/** Meta (Facebook) Custom Audiences, declared once. */
import { definePartner } from '../definition.js';
import { hashed, normalize, plain } from '../identifiers.js';
import { facebookStandIn } from './sandbox.js';
import { facebook as facebookAdapter } from './adapter.js';
import { GRAPH_VERSION } from './api.js';

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
    version: GRAPH_VERSION,
    source: 'developers.facebook.com/docs/marketing-api/marketing-api-changelog/versions',
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
  createAdapter: ({ urls, secrets }, agent) => facebookAdapter({ ...urls, ...secrets }, agent),
  sandbox: facebookStandIn,
  sandboxAdAccountId: '601',
});
