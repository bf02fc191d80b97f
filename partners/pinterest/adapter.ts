/**
 * Pinterest customer lists (docs/partners.md §3). A list holds one kind of identifier and can only be
 * created with its first records; records are validated by Pinterest, which counts the ones it
 * refuses in the list's `exceptions`.
 */
import type { Agent } from 'undici';
import type { Credentials } from '../../domain/messages.js';
import type { Field, Row } from '../../domain/types.js';
import { toFailure, type Answer } from '../answers.js';
import { partnerAgent } from '../http.js';
import { consentUrl } from '../oauth.js';
import type { AudienceInfo, PartnerAdapter } from '../adapter.js';
import type { AdapterCalls } from '../definition.js';
import { LIST_TYPE, oauthToken, pinterestApi, type ListType, type PinterestApp, type PinterestUrls } from './api.js';
import { RECORD_ERROR_CODES, classifyPinterest } from './classify.js';

export type PinterestConfig = PinterestUrls &
  PinterestApp & {
    /** The consent page, e.g. https://www.pinterest.com/oauth/ */
    authorize: string;
  };

interface CustomerList {
  id: string;
  name: string;
  /** Refused records counted by error code, e.g. `{"2741": 3}`. */
  exceptions?: Record<string, unknown>;
}

interface Page<T> {
  items?: T[];
  bookmark?: string | null;
}

/** Bounds every bookmark walk (100 pages of 100), so a partner that keeps answering a bookmark cannot loop us forever. */
const MAX_PAGES = 100;

function ok(answer: Answer): unknown {
  const c = classifyPinterest(answer);
  if (c.kind !== 'ok') throw toFailure(c);
  return answer.body;
}

/** The list type of the step's one field: a customer list holds a single kind of identifier. */
function listTypeOf(fields: Field[]): ListType {
  const type = fields.length === 1 ? LIST_TYPE[fields[0]!] : undefined;
  if (!type)
    throw toFailure({
      kind: 'rejected',
      message: `A Pinterest customer list holds exactly one of email, gaid or idfa; the step sends ${fields.join(', ') || 'no field'}.`,
    });
  return type;
}

/** The records to send; a row without a value, or with a comma (it would split the records text), is invalid here. */
function recordsOf(rows: Row[]): { records: string[]; invalid: number } {
  const records = rows.map((r) => r[0]).filter((v): v is string => !!v && !v.includes(','));
  return { records, invalid: rows.length - records.length };
}

/** Records refused inside an accepted answer: `exceptions` counts them under numeric error codes. */
function refusedInside(list: CustomerList | undefined, sent: number): number {
  let n = 0;
  for (const [code, count] of Object.entries(list?.exceptions ?? {}))
    if (/^\d+$/.test(code) && typeof count === 'number') n += count;
  return Math.min(sent, Math.max(0, n));
}

/** HTTP 400 with 2740/2741: Pinterest found no usable record in the request. */
function allRefused(answer: Answer): boolean {
  const code = (answer.body as { code?: number } | undefined)?.code;
  return answer.status === 400 && code !== undefined && RECORD_ERROR_CODES.has(code);
}

/** What the product asks at consent (Pinterest has no way to read them back from a token). */
const SCOPES = ['ads:read', 'ads:write'] as const;

export function pinterest(config: PinterestConfig, agent: Agent = partnerAgent()): AdapterCalls {
  const api = (token: string) => pinterestApi(agent, config, token);

  /** Every item of a bookmark-paged listing, stopping early once `stop` matches. */
  async function walk<T>(
    fetchPage: (bookmark?: string) => Promise<Answer>,
    stop: (item: T) => boolean = () => false,
  ): Promise<{ items: T[]; hit?: T }> {
    const items: T[] = [];
    let bookmark: string | undefined;
    for (let i = 0; i < MAX_PAGES; i++) {
      const page = ok(await fetchPage(bookmark)) as Page<T>;
      for (const item of page.items ?? []) {
        if (stop(item)) return { items, hit: item };
        items.push(item);
      }
      if (!page.bookmark) break;
      bookmark = page.bookmark;
    }
    return { items };
  }

  const findByName = async (token: string, adAccountId: string, name: string): Promise<AudienceInfo | null> => {
    const { hit } = await walk<CustomerList>(
      (b) => api(token).customerLists(adAccountId, b),
      (l) => l.name === name,
    );
    return hit ? { id: String(hit.id), name: hit.name } : null;
  };

  const credentials = (answer: Answer, previousRefresh?: string): Credentials => {
    const b = ok(answer) as { access_token: string; refresh_token?: string; expires_in?: number };
    // Continuous refresh answers a new refresh token; keep the old one if an answer has none.
    const refreshToken = b.refresh_token ?? previousRefresh;
    return {
      accessToken: b.access_token,
      ...(refreshToken ? { refreshToken } : {}),
      ...(b.expires_in ? { expiresAt: new Date(Date.now() + b.expires_in * 1000).toISOString() } : {}),
    };
  };

  const sendUsers: PartnerAdapter['sendUsers'] = async (token, target, rows) => {
    listTypeOf(target.fields);
    const { records, invalid } = recordsOf(rows);
    if (records.length === 0) return { synced: 0, invalid };
    const operation = target.action === 'add' ? 'ADD' : 'REMOVE';
    const answer = await api(token).update(target.adAccountId, target.audienceId, operation, records);
    // Every record refused: those users are invalid, the request itself is not at fault.
    if (allRefused(answer)) return { synced: 0, invalid: rows.length };
    const c = classifyPinterest(answer);
    if (c.kind === 'maybe_gone') {
      // Gone only when a lookup of the list answers 404 too.
      const lookup = classifyPinterest(await api(token).customerList(target.adAccountId, target.audienceId));
      if (lookup.kind === 'maybe_gone')
        throw toFailure({ kind: 'gone', message: 'The Pinterest customer list no longer exists.' });
      throw toFailure(lookup.kind === 'ok' ? { kind: 'transient', message: c.message } : lookup);
    }
    if (c.kind !== 'ok') throw toFailure(c);
    const bad = invalid + refusedInside(answer.body as CustomerList, records.length);
    return { synced: rows.length - bad, invalid: bad };
  };

  return {
    id: 'pinterest',
    requiredScopes: SCOPES.map((s) => [s]),

    async listAdAccounts(token) {
      const { items } = await walk<{ id: string; name?: string }>((b) => api(token).adAccounts(b));
      return items.map((a) => ({ id: String(a.id), name: a.name ?? `Pinterest ad account ${a.id}` }));
    },

    async findAudience(token, adAccountId, ref) {
      if (!('id' in ref)) return findByName(token, adAccountId, ref.name);
      const answer = await api(token).customerList(adAccountId, ref.id);
      if (classifyPinterest(answer).kind === 'maybe_gone') return null;
      const list = ok(answer) as CustomerList;
      return { id: String(list.id), name: list.name };
    },

    createAudience() {
      return Promise.reject(
        toFailure({
          kind: 'rejected',
          message: 'Pinterest cannot create an empty customer list: it is created with its first records.',
        }),
      );
    },

    async createAudienceWithUsers(token, target, rows) {
      const type = listTypeOf(target.fields);
      if (target.action !== 'add')
        throw toFailure({
          kind: 'rejected',
          message: 'A Pinterest customer list can only be created by adding users.',
        });
      // A retried create whose answer was lost has already made the list: add to it instead of making a second.
      const existing = await findByName(token, target.adAccountId, target.audienceName);
      if (existing)
        return { audience: existing, ...(await sendUsers(token, { ...target, audienceId: existing.id }, rows)) };
      const { records, invalid } = recordsOf(rows);
      const answer = records.length
        ? await api(token).create(target.adAccountId, target.audienceName, type, records)
        : null;
      if (!answer || allRefused(answer))
        throw toFailure({
          kind: 'rejected',
          message: 'Pinterest creates a customer list only with valid records, and none of these is valid.',
        });
      const list = ok(answer) as CustomerList;
      const bad = invalid + refusedInside(list, records.length);
      return {
        audience: { id: String(list.id), name: list.name ?? target.audienceName },
        synced: rows.length - bad,
        invalid: bad,
      };
    },

    sendUsers,

    authorizeUrl(state, redirectUri) {
      return consentUrl(config.authorize, {
        client_id: config.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: SCOPES.join(','),
        state,
      });
    },

    async exchangeCode(code, redirectUri) {
      return credentials(
        await oauthToken(agent, config, config, { grant_type: 'authorization_code', code, redirect_uri: redirectUri }),
      );
    },

    async refresh(refreshToken) {
      return credentials(
        await oauthToken(agent, config, config, { grant_type: 'refresh_token', refresh_token: refreshToken }),
        refreshToken,
      );
    },
  };
}
