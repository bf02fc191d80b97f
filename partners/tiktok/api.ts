/** TikTok's v1.3 segment endpoints, thin (paths keep their trailing slash: TikTok needs it). */
import type { Agent } from 'undici';
import type { Action, Field, Row } from '../../domain/types.js';
import { call } from '../http.js';

export interface TikTokUrls {
  /** e.g. https://business-api.tiktok.com/open_api/v1.3 */
  api: string;
}

export interface TikTokApp {
  appId: string;
  secret: string;
}

const ID_SCHEMA: Partial<Record<Field, string>> = {
  email: 'EMAIL_SHA256',
  phone: 'PHONE_SHA256',
  idfa: 'IDFA_SHA256',
  gaid: 'AAID_SHA256',
};

export function tiktokApi(agent: Agent, urls: TikTokUrls, app: TikTokApp, token: string) {
  const headers = { 'access-token': token };
  return {
    advertisers: () =>
      call(
        agent,
        `${urls.api}/oauth2/advertiser/get/?app_id=${encodeURIComponent(app.appId)}&secret=${encodeURIComponent(app.secret)}`,
        {
          method: 'GET',
          headers,
        },
      ),
    audiencesPage: (advertiserId: string, page: number) =>
      call(
        agent,
        `${urls.api}/dmp/custom_audience/list/?advertiser_id=${encodeURIComponent(advertiserId)}&page=${page}&page_size=100`,
        {
          method: 'GET',
          headers,
        },
      ),
    audience: (advertiserId: string, id: string) =>
      call(
        agent,
        `${urls.api}/dmp/custom_audience/get/?advertiser_id=${encodeURIComponent(advertiserId)}&custom_audience_ids=${encodeURIComponent(JSON.stringify([id]))}`,
        { method: 'GET', headers },
      ),
    create: (advertiserId: string, name: string) =>
      call(agent, `${urls.api}/segment/audience/`, {
        method: 'POST',
        headers,
        json: { advertiser_id: advertiserId, action: 'create', custom_audience_name: name },
      }),
    mapping: (advertiserId: string, audienceId: string, action: Action, fields: Field[], rows: Row[]) =>
      call(agent, `${urls.api}/segment/mapping/`, {
        method: 'POST',
        headers,
        json: mappingBody(advertiserId, audienceId, action, fields, rows),
      }),
  };
}

/** Each user is an array in `id_schema` order; `{}` stands for an id the user lacks. */
export function mappingBody(advertiserId: string, audienceId: string, action: Action, fields: Field[], rows: Row[]) {
  const used = fields.filter((f) => ID_SCHEMA[f]);
  const index = used.map((f) => fields.indexOf(f));
  return {
    advertiser_ids: [advertiserId],
    action: action === 'add' ? 'add' : 'delete',
    id_schema: used.map((f) => ID_SCHEMA[f]!),
    batch_data: rows.map((row) => index.map((i) => (row[i] ? { id: row[i], audience_ids: [audienceId] } : {}))),
  };
}

export function exchangeCode(agent: Agent, urls: TikTokUrls, app: TikTokApp, code: string) {
  return call(agent, `${urls.api}/oauth2/access_token/`, {
    method: 'POST',
    json: { app_id: app.appId, secret: app.secret, auth_code: code },
  });
}
