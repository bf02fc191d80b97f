/** Meta's Graph API calls for Custom Audiences, thin (payload in the body, never in the URL). */
import type { Agent } from 'undici';
import type { Action, Field, Row } from '../../domain/types.js';
import { call } from '../http.js';

export interface FacebookUrls {
  /** e.g. https://graph.facebook.com (the version is appended) */
  graph: string;
  /** The Graph version every call names (vNN.0). */
  version: string;
}

export interface FacebookApp {
  appId: string;
  appSecret: string;
}

/** Meta's multi-key schema for our fields; both mobile ad ids share the MADID column. */
const KEY: Record<Field, string> = {
  email: 'EMAIL',
  phone: 'PHONE',
  firstName: 'FN',
  lastName: 'LN',
  gaid: 'MADID',
  idfa: 'MADID',
};

export function facebookApi(agent: Agent, urls: FacebookUrls, token: string) {
  const base = `${urls.graph}/${urls.version}`;
  const headers = { authorization: `Bearer ${token}` };
  return {
    adAccounts: () => call(agent, `${base}/me/adaccounts?fields=id,name&limit=200`, { method: 'GET', headers }),
    /** The token's permissions, granted and declined (a Graph API edge). */
    permissions: () => call(agent, `${base}/me/permissions`, { method: 'GET', headers }),
    adAccount: (adAccountId: string) =>
      call(agent, `${base}/act_${encodeURIComponent(adAccountId)}?fields=id,name,tos_accepted`, {
        method: 'GET',
        headers,
      }),
    audiences: (adAccountId: string, after?: string) =>
      call(
        agent,
        `${base}/act_${encodeURIComponent(adAccountId)}/customaudiences?fields=id,name,is_value_based,operation_status&limit=200` +
          (after ? `&after=${encodeURIComponent(after)}` : ''),
        {
          method: 'GET',
          headers,
        },
      ),
    audience: (id: string) =>
      call(agent, `${base}/${encodeURIComponent(id)}?fields=id,name,is_value_based,operation_status`, {
        method: 'GET',
        headers,
      }),
    create: (adAccountId: string, name: string) =>
      call(agent, `${base}/act_${encodeURIComponent(adAccountId)}/customaudiences`, {
        method: 'POST',
        headers,
        json: {
          name,
          subtype: 'CUSTOM',
          customer_file_source: 'USER_PROVIDED_ONLY',
          description: 'Synced by audience-sync',
        },
      }),
    users: (audienceId: string, action: Action, fields: Field[], rows: Row[]) =>
      call(agent, `${base}/${encodeURIComponent(audienceId)}/users`, {
        method: action === 'add' ? 'POST' : 'DELETE',
        headers,
        // is_raw: each column is one key, not a combined one like LN_FN_ZIP (Meta: "set this to true").
        json: { payload: { ...payload(fields, rows), is_raw: true } },
      }),
  };
}

/** `{schema, data}`: one column per distinct key in the step's field order, '' where a user has none. */
export function payload(fields: Field[], rows: Row[]): { schema: string[]; data: string[][] } {
  const schema = [...new Set(fields.map((f) => KEY[f]))];
  const data = rows.map((row) =>
    schema.map((key) => {
      const i = fields.findIndex((f, idx) => KEY[f] === key && row[idx] != null);
      return i < 0 ? '' : row[i]!;
    }),
  );
  return { schema, data };
}

export function exchange(agent: Agent, urls: FacebookUrls, app: FacebookApp, params: Record<string, string>) {
  const q = new URLSearchParams({ client_id: app.appId, client_secret: app.appSecret, ...params });
  return call(agent, `${urls.graph}/${urls.version}/oauth/access_token?${q.toString()}`, { method: 'GET' });
}
