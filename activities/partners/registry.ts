/**
 * Every partner adapter the service runs, by id. A fifth partner is one folder and one line
 * here. Base URLs are configuration: the sandbox partners by default.
 */
import type { PartnerId } from '../../workflows/types.js';
import { facebook } from './facebook/index.js';
import { linkedin } from './linkedin/index.js';
import { tiktok } from './tiktok/index.js';
import type { PartnerAdapter } from './types.js';

export interface PartnerEndpoints {
  /** Where the sandbox partners listen; each partner's default base URLs are below it. */
  sandboxUrl: string;
  env: NodeJS.ProcessEnv;
}

export function createPartners({ sandboxUrl, env }: PartnerEndpoints): Partial<Record<PartnerId, PartnerAdapter>> {
  return {
    linkedin: linkedin({
      rest: env.LINKEDIN_REST_URL ?? `${sandboxUrl}/linkedin/rest`,
      oauth: env.LINKEDIN_OAUTH_URL ?? `${sandboxUrl}/linkedin/oauth/v2`,
      clientId: env.LINKEDIN_CLIENT_ID ?? 'sandbox',
      clientSecret: env.LINKEDIN_CLIENT_SECRET ?? 'sandbox',
    }),
    facebook: facebook({
      graph: env.FACEBOOK_GRAPH_URL ?? `${sandboxUrl}/facebook`,
      appId: env.FACEBOOK_APP_ID ?? 'sandbox',
      appSecret: env.FACEBOOK_APP_SECRET ?? 'sandbox',
    }),
    tiktok: tiktok({
      api: env.TIKTOK_API_URL ?? `${sandboxUrl}/tiktok/open_api/v1.3`,
      appId: env.TIKTOK_APP_ID ?? 'sandbox',
      secret: env.TIKTOK_SECRET ?? 'sandbox',
    }),
  };
}
