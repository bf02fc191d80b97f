/** LinkedIn DMP segments (docs/partners.md §1). */
import type { Agent } from 'undici';
import type { Credentials } from '../../domain/messages.js';
import { toFailure, type Answer } from '../answers.js';
import { partnerAgent } from '../http.js';
import { consentUrl } from '../oauth.js';
import type { AdapterCalls } from '../definition.js';
import { exchangeCode, introspectToken, linkedinApi, refreshToken, type LinkedInUrls } from './api.js';
import { MAX_SEGMENTS, classifyLinkedIn } from './classify.js';

export interface LinkedInConfig extends LinkedInUrls {
  /** The consent page, e.g. https://www.linkedin.com/oauth/v2/authorization */
  authorize: string;
  clientId: string;
  clientSecret: string;
}

/** What the product asks at consent: segments, and reading the member's ad accounts. */
const SCOPES = ['rw_dmp_segments', 'r_ads'] as const;

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
      const body = ok(await api(token).adAccountUsers()).body as { elements?: { account: string; role?: string }[] };
      // "Managing audiences is restricted to ad accounts where the authenticated member has a
      // role other than VIEWER" (LinkedIn's segment-users page): those are not offered.
      return (body.elements ?? [])
        .filter((e) => e.role !== 'VIEWER')
        .map((e) => {
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
      // LinkedIn names the new id in x-restli-id (its docs) or x-linkedin-id (seen by others); an
      // older answer carried it in the body.
      const header = (h: string) => {
        const v = answer.headers[h];
        return Array.isArray(v) ? v[0] : v;
      };
      const body = (answer.body as { id?: number | string } | undefined)?.id;
      const id = header('x-restli-id') || header('x-linkedin-id') || (body === undefined ? '' : String(body));
      if (!id) throw toFailure({ kind: 'transient', message: 'LinkedIn created the segment but named no id.' });
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

    requiredScopes: [['rw_dmp_segments'], ['r_ads', 'rw_ads']],

    async tokenInfo(token) {
      const answer = await introspectToken(agent, config, config, token);
      // LinkedIn's introspection: 400 "Invalid client id or token", 401 "Invalid client secret".
      if (answer.status === 400)
        throw toFailure({
          kind: 'rejected',
          message: 'LinkedIn answered HTTP 400 to token introspection: the token or LINKEDIN_CLIENT_ID is not valid.',
        });
      if (answer.status === 401)
        throw toFailure({
          kind: 'rejected',
          message: 'LinkedIn answered HTTP 401 to token introspection: LINKEDIN_CLIENT_SECRET is not valid.',
        });
      const b = ok(answer).body as { active?: boolean; scope?: string };
      if (b.active !== true) return { valid: false, scopes: null };
      // `scope` comes only with 3-legged (member) tokens, comma-separated.
      const scopes =
        typeof b.scope === 'string'
          ? b.scope
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : null;
      return { valid: true, scopes };
    },

    async apiVersionAccepted(token) {
      const answer = await api(token).adAccountUsers();
      // 426 NONEXISTENT_VERSION: the LinkedIn-Version sent is sunset or was never released.
      if (answer.status === 426) return false;
      ok(answer);
      return true;
    },

    authorizeUrl(state, redirectUri) {
      return consentUrl(config.authorize, {
        response_type: 'code',
        client_id: config.clientId,
        redirect_uri: redirectUri,
        state,
        scope: SCOPES.join(' '),
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
