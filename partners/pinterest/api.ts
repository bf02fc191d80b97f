/** Pinterest's v5 customer-list endpoints, thin: each call returns the raw answer; `index.ts` decides. */
import type { Agent } from 'undici';
import type { Field } from '../../domain/types.js';
import { call } from '../http.js';

export interface PinterestUrls {
  /** v5 base, e.g. https://api.pinterest.com/v5 (the token endpoint is `${api}/oauth/token`) */
  api: string;
}

export interface PinterestApp {
  clientId: string;
  clientSecret: string;
}

export type ListType = 'EMAIL' | 'MAID' | 'IDFA';

/** A customer list holds one kind of identifier: the list type of each field Pinterest matches on. */
export const LIST_TYPE: Partial<Record<Field, ListType>> = { email: 'EMAIL', gaid: 'MAID', idfa: 'IDFA' };

const page = (bookmark: string | undefined) =>
  `page_size=100${bookmark ? `&bookmark=${encodeURIComponent(bookmark)}` : ''}`;

export function pinterestApi(agent: Agent, urls: PinterestUrls, token: string) {
  const headers = { authorization: `Bearer ${token}` };
  const lists = (adAccountId: string) => `${urls.api}/ad_accounts/${encodeURIComponent(adAccountId)}/customer_lists`;
  return {
    adAccounts: (bookmark?: string) =>
      call(agent, `${urls.api}/ad_accounts?${page(bookmark)}`, { method: 'GET', headers }),
    customerLists: (adAccountId: string, bookmark?: string) =>
      call(agent, `${lists(adAccountId)}?${page(bookmark)}`, { method: 'GET', headers }),
    customerList: (adAccountId: string, id: string) =>
      call(agent, `${lists(adAccountId)}/${encodeURIComponent(id)}`, { method: 'GET', headers }),
    create: (adAccountId: string, name: string, listType: ListType, records: string[]) =>
      call(agent, lists(adAccountId), {
        method: 'POST',
        headers,
        json: { name, records: records.join(','), list_type: listType },
      }),
    update: (adAccountId: string, id: string, operation: 'ADD' | 'REMOVE', records: string[]) =>
      call(agent, `${lists(adAccountId)}/${encodeURIComponent(id)}`, {
        method: 'PATCH',
        headers,
        json: { operation_type: operation, records: records.join(',') },
      }),
  };
}

/** `POST /oauth/token`: the app authenticates with HTTP Basic, the grant goes in the form. */
export function oauthToken(agent: Agent, urls: PinterestUrls, app: PinterestApp, form: Record<string, string>) {
  const basic = Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64');
  return call(agent, `${urls.api}/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${basic}` }, form });
}
