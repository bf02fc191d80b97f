/**
 * TikTok's v1.3 segment API as the sandbox serves it (docs/partners.md §4): `Access-Token` header,
 * trailing slashes, and every error inside an HTTP 200 with a `code`. Requests are checked, and
 * answers shaped, as the SDK models in partners/tiktok/conformance/ say (test/conformance/).
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
/** Every id_schema TikTok takes (any case), with the member field it fills. */
const SCHEMA_FIELD: Record<string, string> = {
  EMAIL_SHA256: 'email',
  PHONE_SHA256: 'phone',
  IDFA_SHA256: 'idfa',
  AAID_SHA256: 'gaid',
  IDFA_MD5: 'idfa_md5',
  AAID_MD5: 'gaid_md5',
};
/** TikTok's code for a request it cannot read. */
const PARAMETER_ERROR = 40002;

const answer = (res: Response, code: number, message: string, data: unknown = {}) =>
  res.json({ code, message, request_id: randomUUID(), data });
const refuse = (res: Response, message: string) => answer(res, PARAMETER_ERROR, `Parameter error: ${message}`);

/** "If the name exceeds 70 characters it is cut to 67 characters ending with '...'" (counted in characters). */
function storedName(name: string): string {
  const chars = [...name];
  return chars.length > 70 ? `${chars.slice(0, 67).join('')}...` : name;
}

/** A whole number from the query within [min, max], the default when absent; undefined when out of range. */
function intParam(raw: unknown, fallback: number, min: number, max = Infinity): number | undefined {
  if (raw === undefined) return fallback;
  const n = Number(text(raw));
  return text(raw) !== '' && Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

/** A JSON array of 1 to 100 ids in the query (TikTok's encoding of `custom_audience_ids`); undefined when not one. */
function idList(raw: unknown): string[] | undefined {
  try {
    const ids = JSON.parse(text(raw)) as unknown;
    if (Array.isArray(ids) && ids.length >= 1 && ids.length <= 100 && ids.every((i) => typeof i === 'string'))
      return ids;
  } catch {
    // not JSON: refused below
  }
  return undefined;
}

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
        res.status(status).json({ code: 50000, message: 'System error', request_id: randomUUID(), data: {} }),
    }),
  );
  api.use(express.json({ limit: '50mb' }));

  api.get('/oauth2/advertiser/get/', (_req, res) => answer(res, 0, 'OK', { list: ADVERTISERS }));

  // create (the default) with custom_audience_name, or delete with delete_audience_id.
  api.post('/segment/audience/', (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const action = b.action === undefined ? 'create' : b.action;
    if (!text(b.advertiser_id)) return void refuse(res, 'advertiser_id is required.');
    if (action === 'delete') {
      const a = audiences().get(text(b.delete_audience_id));
      if (!text(b.delete_audience_id)) return void refuse(res, 'delete_audience_id is required to delete.');
      if (!a || a.adAccountId !== b.advertiser_id) return void refuse(res, 'invalid audience ID');
      audiences().delete(a.id);
      return void answer(res, 0, 'OK', { audience_id: a.id });
    }
    if (action !== 'create') return void refuse(res, 'action must be create or delete.');
    if (!text(b.custom_audience_name)) return void refuse(res, 'custom_audience_name is required to create.');
    const a = state.createAudience('tiktok', text(b.advertiser_id), storedName(text(b.custom_audience_name)));
    answer(res, 0, 'OK', { audience_id: a.id });
  });

  /** An audience as TikTok's model has it (its size is `cover_num`); no field the model lacks. */
  const details = (id: string) => {
    const a = audiences().get(id)!;
    return {
      audience_id: a.id,
      name: a.name,
      audience_sub_type: 'NORMAL',
      cover_num: a.members.size,
      shared: false,
      is_creator: false,
      is_valid: true,
      is_expiring: false,
      create_time: new Date(a.createdAt ?? 0).toISOString().slice(0, 19).replace('T', ' '),
    };
  };
  api.get('/dmp/custom_audience/list/', (req, res) => {
    const advertiser = text(req.query.advertiser_id);
    const page = intParam(req.query.page, 1, 1);
    const size = intParam(req.query.page_size, 10, 1, 100);
    const only = req.query.custom_audience_ids === undefined ? undefined : idList(req.query.custom_audience_ids);
    if (!advertiser) return void refuse(res, 'advertiser_id is required.');
    if (page === undefined) return void refuse(res, 'page must be a whole number of at least 1.');
    if (size === undefined) return void refuse(res, 'page_size must be a whole number from 1 to 100.');
    if (req.query.custom_audience_ids !== undefined && !only)
      return void refuse(res, 'custom_audience_ids must be a JSON array of 1 to 100 ids.');
    const mine = [...audiences().values()].filter(
      (a) => a.adAccountId === advertiser && (!only || only.includes(a.id)),
    );
    answer(res, 0, 'OK', {
      list: mine.slice((page - 1) * size, page * size).map((a) => details(a.id)),
      page_info: { page, page_size: size, total_number: mine.length, total_page: Math.ceil(mine.length / size) },
    });
  });
  api.get('/dmp/custom_audience/get/', (req, res) => {
    const ids = idList(req.query.custom_audience_ids);
    if (!text(req.query.advertiser_id)) return void refuse(res, 'advertiser_id is required.');
    if (!ids) return void refuse(res, 'custom_audience_ids must be a JSON array of 1 to 100 ids.');
    if (intParam(req.query.history_size, 100, 1, 100) === undefined)
      return void refuse(res, 'history_size must be a whole number from 1 to 100.');
    const missing = ids.filter((id) => audiences().get(id)?.adAccountId !== req.query.advertiser_id);
    if (missing.length) return void answer(res, 40007, 'Audience does not exist');
    answer(res, 0, 'OK', { list: ids.map((id) => ({ audience_details: details(id), audience_history: [] })) });
  });

  api.post('/segment/mapping/', (req, res) => {
    const b = (req.body ?? {}) as {
      advertiser_ids?: unknown;
      action?: unknown;
      id_schema?: unknown;
      batch_data?: unknown;
    };
    const advertisers = b.advertiser_ids;
    if (!Array.isArray(advertisers) || !advertisers.length || !advertisers.every((a) => typeof a === 'string'))
      return void refuse(res, 'advertiser_ids must be a list of advertiser ids.');
    const action = b.action === undefined ? 'add' : b.action;
    if (action !== 'add' && action !== 'delete') return void refuse(res, 'action must be add or delete.');
    // Any order and any case, but each id type once.
    const schema = Array.isArray(b.id_schema) ? b.id_schema.map((s) => text(s).toUpperCase()) : [];
    if (!schema.length || schema.some((s) => !SCHEMA_FIELD[s]) || new Set(schema).size !== schema.length)
      return void refuse(res, `id_schema must list distinct id types of ${Object.keys(SCHEMA_FIELD).join(', ')}.`);
    const shaped = (u: unknown) =>
      Array.isArray(u) &&
      u.length <= schema.length &&
      u.every(
        (id: unknown) =>
          !!id &&
          typeof id === 'object' &&
          Object.keys(id).every((k) => k === 'id' || k === 'audience_ids') &&
          ((id as { id?: unknown }).id === undefined || typeof (id as { id?: unknown }).id === 'string') &&
          ((id as { audience_ids?: unknown }).audience_ids === undefined ||
            (Array.isArray((id as { audience_ids?: unknown }).audience_ids) &&
              (id as { audience_ids: unknown[] }).audience_ids.every((x) => typeof x === 'string'))),
      );
    if (!Array.isArray(b.batch_data) || !b.batch_data.length || !b.batch_data.every(shaped))
      return void refuse(res, 'batch_data must list users, each an array of {id, audience_ids} in id_schema order.');
    const users = b.batch_data as { id?: string; audience_ids?: string[] }[][];
    if (users.length > o.usersPerRequest) {
      state.countRejected('tiktok', 40000);
      return void answer(res, 40000, `At most ${o.usersPerRequest} users per request`);
    }
    const ids = new Set(users.flat().flatMap((u) => u.audience_ids ?? []));
    // An audience must belong to one of advertiser_ids.
    if ([...ids].some((id) => !advertisers.includes(audiences().get(id)?.adAccountId ?? ''))) {
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
        if (action === 'add') a.members.set(memberKey(member), member);
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
