/**
 * LinkedIn's DMP segment endpoints, thin: each call returns the raw answer; `index.ts` decides.
 * Base URLs are configuration (the sandbox by default); the API version is pinned.
 */
import type { Agent } from 'undici';
import type { Action, Field, Row } from '../../domain/types.js';
import { call } from '../http.js';

export interface LinkedInUrls {
  /** REST base, e.g. https://api.linkedin.com/rest */
  rest: string;
  /** OAuth base, e.g. https://www.linkedin.com/oauth/v2 */
  oauth: string;
  /** The `LinkedIn-Version` every call sends (YYYYMM). */
  version: string;
  /** The DMP source platform LinkedIn assigned to the app (LINKEDIN_SOURCE_PLATFORM). */
  sourcePlatform: string;
}

const versioned = (version: string, token: string, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${token}`,
  'linkedin-version': version,
  'x-restli-protocol-version': '2.0.0',
  ...extra,
});

export const accountUrn = (adAccountId: string) => `urn:li:sponsoredAccount:${adAccountId}`;

export function linkedinApi(agent: Agent, urls: LinkedInUrls, token: string) {
  const headers = (t: string, extra?: Record<string, string>) => versioned(urls.version, t, extra);
  return {
    adAccountUsers: () =>
      call(agent, `${urls.rest}/adAccountUsers?q=authenticatedUser`, { method: 'GET', headers: headers(token) }),
    segmentsOf: (adAccountId: string) =>
      call(agent, `${urls.rest}/dmpSegments?q=account&account=${encodeURIComponent(accountUrn(adAccountId))}`, {
        method: 'GET',
        headers: headers(token),
      }),
    /** One segment of the account's, for `paging.total`: how many segments it holds. */
    segmentCount: (adAccountId: string) =>
      call(
        agent,
        `${urls.rest}/dmpSegments?q=account&account=${encodeURIComponent(accountUrn(adAccountId))}&start=0&count=1`,
        { method: 'GET', headers: headers(token) },
      ),
    segment: (id: string) =>
      call(agent, `${urls.rest}/dmpSegments/${encodeURIComponent(id)}`, { method: 'GET', headers: headers(token) }),
    createSegment: (adAccountId: string, name: string) =>
      call(agent, `${urls.rest}/dmpSegments`, {
        method: 'POST',
        headers: headers(token),
        json: {
          name,
          account: accountUrn(adAccountId),
          type: 'USER',
          sourcePlatform: urls.sourcePlatform,
          destinations: [{ destination: 'LINKEDIN' }],
        },
      }),
    users: (segmentId: string, action: Action, fields: Field[], rows: Row[]) =>
      call(agent, `${urls.rest}/dmpSegments/${encodeURIComponent(segmentId)}/users`, {
        method: 'POST',
        headers: headers(token, { 'x-restli-method': 'BATCH_CREATE' }),
        json: { elements: rows.map((row) => element(action, fields, row)) },
      }),
  };
}

/** One user in LinkedIn's shape: ids as `userIds`, names beside them (plain text). */
export function element(action: Action, fields: Field[], row: Row) {
  const e: {
    action: 'ADD' | 'REMOVE';
    userIds: { idType: string; idValue: string }[];
    firstName?: string;
    lastName?: string;
  } = {
    action: action === 'add' ? 'ADD' : 'REMOVE',
    userIds: [],
  };
  fields.forEach((f, i) => {
    const v = row[i];
    if (v == null) return;
    if (f === 'email') e.userIds.push({ idType: 'SHA256_EMAIL', idValue: v });
    else if (f === 'gaid') e.userIds.push({ idType: 'GOOGLE_AID', idValue: v });
    else if (f === 'firstName') e.firstName = v;
    else if (f === 'lastName') e.lastName = v;
  });
  return e;
}

export function exchangeCode(
  agent: Agent,
  urls: LinkedInUrls,
  app: { clientId: string; clientSecret: string },
  code: string,
  redirectUri: string,
) {
  return call(agent, `${urls.oauth}/accessToken`, {
    method: 'POST',
    form: {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: app.clientId,
      client_secret: app.clientSecret,
    },
  });
}

export function refreshToken(
  agent: Agent,
  urls: LinkedInUrls,
  app: { clientId: string; clientSecret: string },
  refresh: string,
) {
  return call(agent, `${urls.oauth}/accessToken`, {
    method: 'POST',
    form: {
      grant_type: 'refresh_token',
      refresh_token: refresh,
      client_id: app.clientId,
      client_secret: app.clientSecret,
    },
  });
}

/** LinkedIn's token introspection (learn.microsoft.com/…/shared/authentication/token-introspection): unversioned, on the OAuth host. */
export function introspectToken(
  agent: Agent,
  urls: LinkedInUrls,
  app: { clientId: string; clientSecret: string },
  token: string,
) {
  return call(agent, `${urls.oauth}/introspectToken`, {
    method: 'POST',
    form: { client_id: app.clientId, client_secret: app.clientSecret, token },
  });
}
