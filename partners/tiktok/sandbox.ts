/**
 * TikTok's v1.3 segment API as the sandbox serves it (docs/partners.md §4): `Access-Token` header,
 * trailing slashes, and every error inside an HTTP 200 with a `code`.
 */
import { randomUUID } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import { memberKey, type SandboxState } from '../../src/sandbox/state.js';
import { HEX64, authorizePage, text } from '../../src/sandbox/shared.js';
import { enforcedLimits, type SandboxStandIn } from '../../src/sandbox/stand-in.js';
import { guard } from '../../src/sandbox/guard.js';

export interface TikTokSandboxOptions {
  usersPerRequest: number;
  /** Per app: every workspace shares it. */
  requestsPerSecond: number;
  /** A per-minute quota on top (undefined: none). */
  requestsPerMinute?: number;
}

const ADVERTISERS = [
  { advertiser_id: '7001', advertiser_name: 'Sandbox advertiser 7001' },
  { advertiser_id: '7002', advertiser_name: 'Sandbox advertiser 7002' },
];
const SCHEMA_FIELD: Record<string, string> = {
  EMAIL_SHA256: 'email',
  PHONE_SHA256: 'phone',
  IDFA_SHA256: 'idfa',
  AAID_SHA256: 'gaid',
};

const answer = (res: Response, code: number, message: string, data: unknown = {}) =>
  res.json({ code, message, request_id: randomUUID(), data });

export function tiktokSandbox(state: SandboxState, o: TikTokSandboxOptions): Router {
  const r = Router();
  const audiences = () => state.audiencesOf('tiktok');

  r.get('/portal/auth', authorizePage(state, 'auth_code'));

  const api = Router();
  api.post('/oauth2/access_token/', express.json(), (req, res) => {
    const b = req.body as { auth_code?: string };
    if (!b.auth_code || !state.codes.delete(b.auth_code)) return void answer(res, 40000, 'auth_code is invalid');
    answer(res, 0, 'OK', {
      access_token: state.newToken(),
      advertiser_ids: ADVERTISERS.map((a) => a.advertiser_id),
      scope: [4],
    });
  });

  // Counted when the request arrives, before its body is read: as a partner's gateway does.
  api.use(
    guard(state, {
      partner: 'tiktok',
      requestsPerSecond: o.requestsPerSecond,
      requestsPerMinute: o.requestsPerMinute,
      token: (req: Request) => req.header('access-token'),
      key: () => 'app', // one limit for the whole app
      invalidToken: (res) => answer(res, 40105, 'Access token is incorrect or has been revoked.'),
      throttled: (res) => answer(res, 40100, 'Too many requests. Please retry in some random time.'),
      serverError: (res, status) =>
        res.status(status).json({ code: 50000, message: 'System error', request_id: randomUUID() }),
    }),
  );
  api.use(express.json({ limit: '50mb' }));

  api.get('/oauth2/advertiser/get/', (_req, res) => answer(res, 0, 'OK', { list: ADVERTISERS }));

  api.post('/segment/audience/', (req, res) => {
    const b = req.body as { advertiser_id?: string; action?: string; custom_audience_name?: string };
    if (b.action !== 'create' || !b.advertiser_id || !b.custom_audience_name)
      return void answer(res, 40002, 'Invalid parameters');
    const a = state.createAudience('tiktok', b.advertiser_id, b.custom_audience_name.slice(0, 70));
    answer(res, 0, 'OK', { audience_id: a.id });
  });

  const details = (id: string) => {
    const a = audiences().get(id)!;
    return { audience_id: a.id, name: a.name, advertiser_id: a.adAccountId };
  };
  api.get('/dmp/custom_audience/list/', (req, res) => {
    const advertiser = text(req.query.advertiser_id);
    const page = Number(text(req.query.page) || 1);
    const size = Number(text(req.query.page_size) || 100);
    const mine = [...audiences().values()].filter((a) => a.adAccountId === advertiser);
    answer(res, 0, 'OK', {
      list: mine.slice((page - 1) * size, page * size).map((a) => details(a.id)),
      page_info: { page, page_size: size, total_number: mine.length, total_page: Math.ceil(mine.length / size) },
    });
  });
  api.get('/dmp/custom_audience/get/', (req, res) => {
    let ids: string[] = [];
    try {
      ids = (JSON.parse(text(req.query.custom_audience_ids)) as unknown[]).map(String);
    } catch {
      return void answer(res, 40002, 'custom_audience_ids must be a JSON array');
    }
    const missing = ids.filter((id) => !audiences().has(id));
    if (missing.length) return void answer(res, 40007, 'Audience does not exist');
    answer(res, 0, 'OK', { list: ids.map((id) => ({ audience_details: details(id) })) });
  });

  api.post('/segment/mapping/', (req, res) => {
    const b = req.body as {
      action?: string;
      id_schema?: string[];
      batch_data?: { id?: string; audience_ids?: string[] }[][];
    };
    const schema = b.id_schema ?? [];
    const users = b.batch_data ?? [];
    if (!['add', 'delete'].includes(b.action ?? '') || schema.some((s) => !SCHEMA_FIELD[s]))
      return void answer(res, 40002, 'Invalid parameters');
    if (users.length > o.usersPerRequest) {
      state.countRejected('tiktok', 40000);
      return void answer(res, 40000, `At most ${o.usersPerRequest} users per request`);
    }
    const ids = new Set(users.flat().flatMap((u) => u.audience_ids ?? []));
    if ([...ids].some((id) => !audiences().has(id))) {
      state.countRejected('tiktok', 40007);
      return void answer(res, 40007, 'Audience does not exist');
    }
    state.countUsers('tiktok', users.length);
    for (const user of users) {
      const member: Record<string, string> = {};
      user.forEach((id, i) => {
        if (id.id && HEX64.test(id.id)) member[SCHEMA_FIELD[schema[i]!]!] = id.id;
      });
      if (!Object.keys(member).length) continue;
      for (const audienceId of new Set(user.flatMap((u) => u.audience_ids ?? []))) {
        const a = audiences().get(audienceId)!;
        if (b.action === 'add') a.members.set(memberKey(member), member);
        else a.members.delete(memberKey(member));
      }
    }
    answer(res, 0, 'OK');
  });

  r.use('/open_api/v1.3', api);
  return r;
}

/** TikTok's Basic tier: 10 QPS and 600 QPM per app; 10,000 users a mapping request. */
export const tiktokStandIn: SandboxStandIn = {
  published: {
    usersPerRequest: 10_000,
    requestsPerSecond: 10,
    requestsPerMinute: 600,
    scope: 'app',
    source: 'business-api.tiktok.com/portal/docs (rate limits: Basic 10 QPS / 600 QPM / 864,000 QPD)',
  },
  routes: (state, options) =>
    tiktokSandbox(state, {
      ...enforcedLimits(tiktokStandIn.published, options),
    }),
};
