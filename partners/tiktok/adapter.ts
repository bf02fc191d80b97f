/** TikTok custom audiences (docs/partners.md §4). TikTok cannot remove users; its tokens never expire. */
import type { Agent } from 'undici';
import type { Row } from '../../domain/types.js';
import { toFailure, type Answer } from '../answers.js';
import { partnerAgent } from '../http.js';
import { consentUrl } from '../oauth.js';
import type { AdapterCalls } from '../definition.js';
import { exchangeCode, tiktokApi, type TikTokApp, type TikTokUrls } from './api.js';
import { classifyTikTok } from './classify.js';

export type TikTokConfig = TikTokUrls &
  TikTokApp & {
    /** The consent page, e.g. https://business-api.tiktok.com/portal/auth */
    authorize: string;
  };

interface Details {
  audience_id: string;
  name: string;
}

function ok(answer: Answer): { data?: unknown } {
  const c = classifyTikTok(answer);
  if (c.kind !== 'ok') throw toFailure(c);
  return answer.body as { data?: unknown };
}

const HEX64 = /^[a-f0-9]{64}$/;

/**
 * The name TikTok keeps for an audience: one over 70 characters is cut to 67 and ends with "..."
 * (bububa/tiktok-business model/dmp/segment_audience.go). Finding by name looks for this one, or
 * every retry of a long name would make another audience.
 */
export function tiktokAudienceName(name: string): string {
  const chars = [...name];
  return chars.length > 70 ? `${chars.slice(0, 67).join('')}...` : name;
}

export function tiktok(config: TikTokConfig, agent: Agent = partnerAgent()): AdapterCalls {
  const api = (token: string) => tiktokApi(agent, config, config, token);

  async function findByName(token: string, advertiserId: string, name: string): Promise<Details | undefined> {
    for (let page = 1; page <= 100; page++) {
      const data = ok(await api(token).audiencesPage(advertiserId, page)).data as {
        list?: Details[];
        page_info?: { total_page?: number };
      };
      const hit = data.list?.find((a) => a.name === name);
      if (hit) return hit;
      if (page >= (data.page_info?.total_page ?? 1)) return undefined;
    }
    return undefined;
  }

  return {
    id: 'tiktok',

    async listAdAccounts(token) {
      const data = ok(await api(token).advertisers()).data as {
        list?: { advertiser_id: string; advertiser_name: string }[];
      };
      return (data.list ?? []).map((a) => ({ id: a.advertiser_id, name: a.advertiser_name }));
    },

    async findAudience(token, advertiserId, ref) {
      if ('id' in ref) {
        const answer = await api(token).audience(advertiserId, ref.id);
        if (classifyTikTok(answer).kind === 'maybe_gone') return null;
        const data = ok(answer).data as { list?: { audience_details: Details }[] };
        const d = data.list?.[0]?.audience_details;
        return d ? { id: d.audience_id, name: d.name } : null;
      }
      const hit = await findByName(token, advertiserId, tiktokAudienceName(ref.name));
      return hit ? { id: hit.audience_id, name: hit.name } : null;
    },

    async createAudience(token, advertiserId, name) {
      const data = ok(await api(token).create(advertiserId, name)).data as
        { audience_id?: string | number | null } | undefined;
      const id = data?.audience_id;
      if (id === undefined || id === null || id === '')
        // A code 0 naming no audience: a retried launch finds the audience by name if it was made.
        throw toFailure({
          kind: 'transient',
          message: 'TikTok code 0 without an audience_id: the create is unconfirmed.',
        });
      return { id: String(id), name: tiktokAudienceName(name) };
    },

    async sendUsers(token, target, rows) {
      // A user whose every id is malformed is refused here, one by one, instead of failing the request.
      const valid: Row[] = rows.filter((row) => row.some((v) => v !== null && HEX64.test(v)));
      const invalid = rows.length - valid.length;
      if (valid.length === 0) return { synced: 0, invalid };
      const answer = await api(token).mapping(
        target.adAccountId,
        target.audienceId,
        target.action,
        target.fields,
        valid,
      );
      const c = classifyTikTok(answer);
      if (c.kind === 'maybe_gone') {
        // 40002/40007 also mean "still processing": gone only if a lookup cannot find it. The
        // lookup's own `code` is read like any answer's: a refused token or a throttle there is that.
        const lookup = await api(token).audience(target.adAccountId, target.audienceId);
        const l = classifyTikTok(lookup);
        if (l.kind !== 'ok' && l.kind !== 'maybe_gone') throw toFailure(l);
        const listed =
          l.kind === 'ok' &&
          ((lookup.body as { data?: { list?: { audience_details?: Details }[] } }).data?.list ?? []).some(
            (a) => String(a.audience_details?.audience_id) === target.audienceId,
          );
        throw toFailure(
          listed
            ? { kind: 'transient', message: c.message }
            : { kind: 'gone', message: 'The TikTok audience no longer exists.' },
        );
      }
      if (c.kind !== 'ok') throw toFailure(c);
      return { synced: valid.length, invalid };
    },

    authorizeUrl(state, redirectUri) {
      return consentUrl(config.authorize, { app_id: config.appId, state, redirect_uri: redirectUri });
    },

    async exchangeCode(code) {
      const data = ok(await exchangeCode(agent, config, config, code)).data as { access_token: string };
      return { accessToken: data.access_token }; // TikTok tokens never expire and have no refresh
    },

    refresh() {
      return Promise.reject(
        toFailure({ kind: 'rejected', message: 'TikTok tokens cannot be refreshed (error 40107).' }),
      );
    },
  };
}
