/** Pinterest customer lists (API v5), declared once. */
import { definePartner } from '../definition.js';
import { hashed, normalize } from '../identifiers.js';
import { pinterestStandIn } from './sandbox.js';
import { pinterest as pinterestAdapter } from './adapter.js';

export const pinterest = definePartner({
  id: 'pinterest',
  label: 'Pinterest',
  capabilities: {
    id: 'pinterest',
    maxUsersPerRequest: 1_900,
    // Under Pinterest's 7 a second, and 360 a minute under its 400 writes a minute.
    requestsPerSecond: 6,
    rateLimitScope: 'connection',
    fields: ['email', 'gaid', 'idfa'],
    fieldPairs: [],
    canRemove: true,
    createsAudienceWithFirstRecords: true,
    maxFieldsPerAudience: 1,
    minimumAudienceSize: 100,
  },
  identifiers: {
    email: hashed(normalize.email),
    gaid: hashed(normalize.adId),
    idfa: hashed(normalize.adId),
  },
  // Versioned by path only (`/v5`): Pinterest publishes no sunset calendar.
  api: { version: null, source: 'github.com/pinterest/api-description v5/openapi.yaml' },
  env: {
    urls: {
      api: { key: 'PINTEREST_API_URL', sandbox: '/pinterest/v5' },
      authorize: { key: 'PINTEREST_AUTHORIZE_URL', sandbox: '/pinterest/oauth/' },
    },
    secrets: {
      clientId: { key: 'PINTEREST_CLIENT_ID', sandbox: 'sandbox' },
      clientSecret: { key: 'PINTEREST_CLIENT_SECRET', sandbox: 'sandbox' },
    },
  },
  createAdapter: ({ urls, secrets }, agent) => pinterestAdapter({ ...urls, ...secrets }, agent),
  sandbox: pinterestStandIn,
  sandboxAdAccountId: '5490001',
});
