/** Meta Custom Audiences (docs/partners.md §2). Long-lived tokens are re-exchanged, never refreshed. */
import type { Agent } from 'undici';
import type { Credentials } from '../../domain/messages.js';
import { toFailure, type Answer } from '../answers.js';
import { partnerAgent } from '../http.js';
import { consentUrl } from '../oauth.js';
import type { LaunchProblem } from '../../domain/launch-rules.js';
import type { AudienceInfo } from '../adapter.js';
import type { AdapterCalls } from '../definition.js';
import { exchange, facebookApi, type FacebookApp, type FacebookUrls } from './api.js';
import { classifyFacebook } from './classify.js';
import { Pacer } from './pacing.js';

export type FacebookConfig = FacebookUrls &
  FacebookApp & {
    /** The consent dialog, e.g. https://www.facebook.com/v25.0/dialog/oauth */
    authorize: string;
  };

function ok(answer: Answer): unknown {
  const c = classifyFacebook(answer);
  if (c.kind !== 'ok') throw toFailure(c);
  return answer.body;
}

/** What the product asks at consent. */
const SCOPES = ['ads_management'] as const;
/** Meta's error for a version it no longer serves. */
const DEPRECATED_VERSION = 2635;

/** Meta's limit of custom audiences per ad account. */
const MAX_CUSTOM_AUDIENCES = 500;

interface GraphAudience {
  id: string;
  name: string;
  is_value_based?: boolean;
  operation_status?: { code?: number; description?: string };
}

interface GraphPage {
  data?: GraphAudience[];
  paging?: { cursors?: { after?: string }; next?: string };
}
/** Meta's `operation_status` of an audience flagged for what it may suggest (health, financial status). */
const RESTRICTED_STATUS = 471;

const audienceInfo = (a: GraphAudience): AudienceInfo => ({
  id: a.id,
  name: a.name,
  ...(a.is_value_based ? { valueBased: true } : {}),
  ...(a.operation_status?.code === RESTRICTED_STATUS ? { restricted: true } : {}),
});

export function facebook(config: FacebookConfig, agent: Agent = partnerAgent()): AdapterCalls {
  const api = (token: string) => facebookApi(agent, config, token);
  const pacer = new Pacer();
  const credentials = (answer: Answer): Credentials => {
    const b = ok(answer) as { access_token: string; expires_in?: number };
    return {
      accessToken: b.access_token,
      ...(b.expires_in ? { expiresAt: new Date(Date.now() + b.expires_in * 1000).toISOString() } : {}),
    };
  };

  /** The account's audiences, paged through until the limit is reached (Graph's customaudiences edge has no count). */
  const countAudiences = async (token: string, adAccountId: string): Promise<number> => {
    let count = 0;
    let after: string | undefined;
    do {
      const b = ok(await pacer.call(adAccountId, () => api(token).audiences(adAccountId, after))) as GraphPage;
      count += b.data?.length ?? 0;
      after = b.paging?.next ? b.paging.cursors?.after : undefined;
    } while (after && count < MAX_CUSTOM_AUDIENCES);
    return count;
  };

  return {
    id: 'facebook',

    async listAdAccounts(token) {
      const b = ok(await api(token).adAccounts()) as { data?: { id: string; name: string }[] };
      return (b.data ?? []).map((a) => ({ id: a.id.replace(/^act_/, ''), name: a.name }));
    },

    async findAudience(token, adAccountId, ref) {
      if ('id' in ref) {
        const answer = await pacer.call(adAccountId, () => api(token).audience(ref.id));
        const c = classifyFacebook(answer);
        if (c.kind === 'maybe_gone' || c.kind === 'gone') return null;
        return audienceInfo(ok(answer) as GraphAudience);
      }
      // Page through the account's audiences (at most 500 exist, 200 a page).
      let after: string | undefined;
      for (;;) {
        const b = ok(await pacer.call(adAccountId, () => api(token).audiences(adAccountId, after))) as GraphPage;
        const hit = b.data?.find((a) => a.name === ref.name);
        if (hit) return audienceInfo(hit);
        after = b.paging?.next ? b.paging.cursors?.after : undefined;
        if (!after) return null;
      }
    },

    async createAudience(token, adAccountId, name) {
      const b = ok(await pacer.call(adAccountId, () => api(token).create(adAccountId, name))) as { id: string };
      return { id: b.id, name };
    },

    async adAccountProblems(token, adAccountId, creating) {
      const problems: LaunchProblem[] = [];
      const account = ok(await pacer.call(adAccountId, () => api(token).adAccount(adAccountId))) as {
        tos_accepted?: Record<string, number>;
      };
      if (!account.tos_accepted?.custom_audience_tos) {
        problems.push({
          code: 'terms_not_accepted',
          message: 'The ad account has not accepted the Custom Audience terms; accept them in Meta Ads Manager.',
        });
      }
      if (creating && (await countAudiences(token, adAccountId)) >= MAX_CUSTOM_AUDIENCES) {
        problems.push({
          code: 'audience_limit_reached',
          message: `The ad account already has ${MAX_CUSTOM_AUDIENCES} custom audiences; delete one or sync into an existing one.`,
        });
      }
      return problems;
    },

    async sendUsers(token, target, rows) {
      const answer = await pacer.call(target.adAccountId, () =>
        api(token).users(target.audienceId, target.action, target.fields, rows),
      );
      const c = classifyFacebook(answer);
      if (c.kind === 'maybe_gone') {
        const exists = classifyFacebook(await api(token).audience(target.audienceId)).kind === 'ok';
        throw toFailure(
          exists
            ? { kind: 'transient', message: c.message }
            : { kind: 'gone', message: 'The custom audience no longer exists.' },
        );
      }
      if (c.kind !== 'ok') throw toFailure(c);
      // Meta accepts the request and only counts the rows it could not use.
      const invalid = Math.min(
        rows.length,
        Math.max(0, (answer.body as { num_invalid_entries?: number }).num_invalid_entries ?? 0),
      );
      return { synced: rows.length - invalid, invalid };
    },

    requiredScopes: SCOPES.map((s) => [s]),

    async tokenInfo(token) {
      const answer = await api(token).permissions();
      const c = classifyFacebook(answer);
      if (c.kind === 'invalid_token') return { valid: false, scopes: null };
      const b = ok(answer) as { data?: { permission: string; status: string }[] };
      // Declined and expired permissions are listed too: only granted ones count.
      return { valid: true, scopes: (b.data ?? []).filter((p) => p.status === 'granted').map((p) => p.permission) };
    },

    async apiVersionAccepted(token) {
      const answer = await api(token).adAccounts();
      if ((answer.body as { error?: { code?: number } } | undefined)?.error?.code === DEPRECATED_VERSION) return false;
      ok(answer);
      return true;
    },

    authorizeUrl(state, redirectUri) {
      return consentUrl(config.authorize, {
        client_id: config.appId,
        redirect_uri: redirectUri,
        state,
        scope: SCOPES.join(','),
      });
    },

    async exchangeCode(code, redirectUri) {
      return credentials(await exchange(agent, config, config, { code, redirect_uri: redirectUri }));
    },

    async refresh(current) {
      // Meta has no refresh token: a long-lived token is exchanged for a new one.
      return credentials(
        await exchange(agent, config, config, { grant_type: 'fb_exchange_token', fb_exchange_token: current }),
      );
    },
  };
}
