/**
 * Every partner adapter the service runs, by id. A fifth partner is one folder and one line
 * here. Base URLs are configuration: the sandbox partners by default.
 */
import type { PartnerId } from '../../workflows/types.js';
import { capabilitiesFrom } from './capabilities.js';
import { facebook } from './facebook/index.js';
import { linkedin } from './linkedin/index.js';
import { pinterest } from './pinterest/index.js';
import { partnerAgent } from './http.js';
import { tiktok } from './tiktok/index.js';
import type { PartnerAdapter } from './types.js';

export interface PartnerEndpoints {
  /** Where the sandbox partners listen; each partner's default base URLs are below it. */
  sandboxUrl: string;
  env: NodeJS.ProcessEnv;
}

/** Every adapter, with the deployment's limits (env overrides of the product rules). */
export function createPartners(endpoints: PartnerEndpoints): Partial<Record<PartnerId, PartnerAdapter>> {
  const capabilities = capabilitiesFrom(endpoints.env);
  return Object.fromEntries(
    Object.entries(adapters(endpoints)).map(([id, a]) => [id, { ...a, capabilities: capabilities[a.id] }]),
  );
}

function adapters({ sandboxUrl, env }: PartnerEndpoints): Partial<Record<PartnerId, PartnerAdapter>> {
  // Validated at start-up (config.ts); each partner has its own pool.
  const agent = () => partnerAgent(env.PARTNER_TIMEOUT_MS ? Number(env.PARTNER_TIMEOUT_MS) : undefined);
  return {
    linkedin: linkedin(
      {
        rest: env.LINKEDIN_REST_URL ?? `${sandboxUrl}/linkedin/rest`,
        oauth: env.LINKEDIN_OAUTH_URL ?? `${sandboxUrl}/linkedin/oauth/v2`,
        authorize: env.LINKEDIN_AUTHORIZE_URL ?? `${sandboxUrl}/linkedin/oauth/v2/authorization`,
        clientId: env.LINKEDIN_CLIENT_ID ?? 'sandbox',
        clientSecret: env.LINKEDIN_CLIENT_SECRET ?? 'sandbox',
      },
      agent(),
    ),
    facebook: facebook(
      {
        graph: env.FACEBOOK_GRAPH_URL ?? `${sandboxUrl}/facebook`,
        authorize: env.FACEBOOK_AUTHORIZE_URL ?? `${sandboxUrl}/facebook/dialog/oauth`,
        appId: env.FACEBOOK_APP_ID ?? 'sandbox',
        appSecret: env.FACEBOOK_APP_SECRET ?? 'sandbox',
      },
      agent(),
    ),
    pinterest: pinterest(
      {
        api: env.PINTEREST_API_URL ?? `${sandboxUrl}/pinterest/v5`,
        authorize: env.PINTEREST_AUTHORIZE_URL ?? `${sandboxUrl}/pinterest/oauth/`,
        clientId: env.PINTEREST_CLIENT_ID ?? 'sandbox',
        clientSecret: env.PINTEREST_CLIENT_SECRET ?? 'sandbox',
      },
      agent(),
    ),
    tiktok: tiktok(
      {
        api: env.TIKTOK_API_URL ?? `${sandboxUrl}/tiktok/open_api/v1.3`,
        authorize: env.TIKTOK_AUTHORIZE_URL ?? `${sandboxUrl}/tiktok/portal/auth`,
        appId: env.TIKTOK_APP_ID ?? 'sandbox',
        secret: env.TIKTOK_SECRET ?? 'sandbox',
      },
      agent(),
    ),
  };
}
