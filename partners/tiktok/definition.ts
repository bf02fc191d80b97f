/** TikTok custom audiences (Business API v1.3), declared once. */
import { definePartner } from '../definition.js';
import { hashed, normalize } from '../identifiers.js';
import { tiktokStandIn } from './sandbox.js';
import { tiktok as tiktokAdapter } from './adapter.js';

export const tiktok = definePartner({
  id: 'tiktok',
  label: 'TikTok',
  capabilities: {
    id: 'tiktok',
    maxUsersPerRequest: 10_000,
    requestsPerSecond: 10,
    rateLimitScope: 'app',
    fields: ['email', 'phone', 'gaid', 'idfa'],
    fieldPairs: [],
    // A product rule: TikTok's API can delete users, but remove steps stay refused.
    canRemove: false,
    createsAudienceWithFirstRecords: false,
    minimumAudienceSize: 1_000,
  },
  identifiers: {
    email: hashed(normalize.emailWithoutTagsAndDots),
    phone: hashed(normalize.phone),
    gaid: hashed(normalize.adId),
    idfa: hashed(normalize.adId),
  },
  // Versioned by path only (`/open_api/v1.3`): TikTok publishes no sunset calendar.
  api: { version: null, source: 'business-api.tiktok.com/portal/docs/api-reference/v1.3' },
  env: {
    urls: {
      api: { key: 'TIKTOK_API_URL', sandbox: '/tiktok/open_api/v1.3' },
      authorize: { key: 'TIKTOK_AUTHORIZE_URL', sandbox: '/tiktok/portal/auth' },
    },
    secrets: {
      appId: { key: 'TIKTOK_APP_ID', sandbox: 'sandbox' },
      secret: { key: 'TIKTOK_SECRET', sandbox: 'sandbox' },
    },
  },
  createAdapter: ({ urls, secrets }, agent) => tiktokAdapter({ ...urls, ...secrets }, agent),
  sandbox: tiktokStandIn,
  sandboxAdAccountId: '7001',
});
