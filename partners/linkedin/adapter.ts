/** LinkedIn DMP segments (docs/partners.md §1). */
import type { Agent } from 'undici';
import type { Credentials } from '../../domain/messages.js';
import { toFailure, type Answer } from '../answers.js';
import { partnerAgent } from '../http.js';
import { consentUrl } from '../oauth.js';
import type { AdapterCalls } from '../definition.js';
import { exchangeCode, linkedinApi, refreshToken, type LinkedInUrls } from './api.js';
import { MAX_SEGMENTS, classifyLinkedIn } from './classify.js';

export interface LinkedInConfig extends LinkedInUrls {
  /** The consent page, e.g. https://www.linkedin.com/oauth/v2/authorization */
  authorize: string;
  clientId: string;
  clientSecret: string;
}

interface Segment {
  id: number | string;
  name: string;
}

/** Throws the classified failure unless the answer is a success. */
function ok(answer: Answer): Answer {
  const c = classifyLinkedIn(answer);
  if (c.kind === 'ok') return answer;
  throw toFailure(c);
}

export function linkedin(config: LinkedInConfig, agent: Agent = partnerAgent()): AdapterCalls {
  const api = (token: string) => linkedinApi(agent, config, token);
  const segmentsOf = async (token: string, adAccountId: string): Promise<Segment[]> =>
    (ok(await api(token).segmentsOf(adAccountId)).body as { elements?: Segment[] }).elements ?? [];

  const credentials = (answer: Answer): Credentials => {
    const b = ok(answer).body as { access_token: string; expires_in?: number; refresh_token?: string };
    return {
      accessToken: b.access_token,
      ...(b.refresh_token ? { refreshToken: b.refresh_token } : {}),
      ...(b.expires_in ? { expiresAt: new Date(Date.now() + b.expires_in * 1000).toISOString() } : {}),
    };
  };

  return {
    id: 'linkedin',

    async listAdAccounts(token) {
      const body = ok(await api(token).adAccountUsers()).body as { elements?: { account: string }[] };
      return (body.elements ?? []).map((e) => {
        const id = e.account.split(':').pop()!;
        return { id, name: `LinkedIn ad account ${id}` };
      });
    },

    async findAudience(token, adAccountId, ref) {
      const all = await segmentsOf(token, adAccountId);
      const found = 'id' in ref ? all.find((s) => String(s.id) === ref.id) : all.find((s) => s.name === ref.name);
      return found ? { id: String(found.id), name: found.name } : null;
    },

    async createAudience(token, adAccountId, name) {
      const answer = ok(await api(token).createSegment(adAccountId, name));
      // The id comes in the x-restli-id header; some versions put it in the body.
      const header = answer.headers['x-restli-id'];
      const id =
        (Array.isArray(header) ? header[0] : header) ?? String((answer.body as { id?: number | string })?.id ?? '');
      return { id, name };
    },

    async adAccountProblems(token, adAccountId, creating) {
      if (!creating) return [];
      // LinkedIn's cap: caught before the create, which would answer 429 SEGMENT_LIMIT_EXCEEDED.
      // Without a `paging.total` nothing is known here, and the create's answer is the check.
      const body = ok(await api(token).segmentCount(adAccountId)).body as { paging?: { total?: number } };
      const total = body.paging?.total;
      if (total === undefined || total < MAX_SEGMENTS) return [];
      return [
        {
          code: 'audience_limit_reached',
          message: `The ad account already has ${MAX_SEGMENTS.toLocaleString('en-US')} DMP segments, LinkedIn's limit; delete unused ones or sync into an existing one.`,
        },
      ];
    },

    async sendUsers(token, target, rows) {
      const answer = await api(token).users(target.audienceId, target.action, target.fields, rows);
      const c = classifyLinkedIn(answer);
      if (c.kind === 'maybe_gone') {
        // A new segment answers 404 for a minute or two: gone only if the account no longer lists it.
        const stillThere = (await segmentsOf(token, target.adAccountId)).some(
          (s) => String(s.id) === target.audienceId,
        );
        throw toFailure(
          stillThere
            ? { kind: 'transient', message: 'The LinkedIn segment is not ready yet.' }
            : { kind: 'gone', message: 'The LinkedIn segment no longer exists.' },
        );
      }
      if (c.kind !== 'ok') throw toFailure(c);
      const elements = (answer.body as { elements?: { status?: number }[] }).elements ?? [];
      const invalid = elements.filter((e) => (e.status ?? 0) >= 400).length;
      return { synced: rows.length - invalid, invalid };
    },

    authorizeUrl(state, redirectUri) {
      return consentUrl(config.authorize, {
        response_type: 'code',
        client_id: config.clientId,
        redirect_uri: redirectUri,
        state,
        scope: 'rw_dmp_segments r_ads',
      });
    },

    async exchangeCode(code, redirectUri) {
      return credentials(await exchangeCode(agent, config, config, code, redirectUri));
    },

    async refresh(refresh) {
      return credentials(await refreshToken(agent, config, config, refresh));
    },
  };
}
