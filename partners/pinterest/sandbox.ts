/**
 * Pinterest's v5 customer-list API as the sandbox serves it (docs/partners.md §3): Bearer tokens,
 * `{code, message}` errors, bookmark paging, lists created with their first records, records
 * validated one by one (refused ones counted in the list's `exceptions`), and a 429 with
 * `x-ratelimit-*` headers past the rate, counted per token. Bodies, answers and error messages
 * follow Pinterest's OpenAPI (partners/pinterest/conformance/, checked by test/conformance/).
 */
import { randomUUID } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import { memberKey, type SandboxAudience, type SandboxState } from '../../src/sandbox/state.js';
import { authorizePage, text } from '../../src/sandbox/shared.js';
import { enforcedLimits, type SandboxStandIn } from '../../src/sandbox/stand-in.js';
import { guard, tokenId } from '../../src/sandbox/guard.js';

export interface PinterestSandboxOptions {
  usersPerRequest: number;
  /** Per token (per user per app). */
  requestsPerSecond: number;
  /** A per-minute quota on top (undefined: none). */
  requestsPerMinute?: number;
}

const AD_ACCOUNTS = [
  { id: '5490001', name: 'Sandbox ad account 5490001' },
  { id: '5490002', name: 'Sandbox ad account 5490002' },
];
/**
 * The list types of the spec's `UserListType` (`list_type` is optional, default EMAIL), each with
 * the member field it keeps: a customer list holds one kind of identifier.
 */
const LIST_FIELD: Record<string, string> = {
  EMAIL: 'email',
  IDFA: 'idfa',
  MAID: 'gaid',
  LR_ID: 'lr_id',
  DLX_ID: 'dlx_id',
  HASHED_PINNER_ID: 'hashed_pinner_id',
};
/** The spec's `records`: emails lowercase, plain or hashed (SHA1, SHA256 or MD5); MAIDs and IDFAs hashed. */
const HASH = /^(?:[a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{64})$/;
const PLAIN_EMAIL = /^[^\sA-Z@,]+@[^\sA-Z@,]+\.[^\sA-Z@,]+$/;
const recordValid = (listType: string, v: string) => HASH.test(v) || (listType === 'EMAIL' && PLAIN_EMAIL.test(v));
/** The spec's 429 example, word for word. */
const RATE_LIMITED =
  'This request exceeded a rate limit. This can happen if the client exceeds one of the published rate limits within a short time window.';
/** Pinterest's code for a record it cannot read (counted in `exceptions`, or the whole 400 when none is readable). */
const INVALID_RECORD = 2741;
const NO_RECORDS = 2740;

interface ListMeta {
  listType: string;
  uploaded: number;
  removed: number;
  batches: number;
  createdTime: number;
  updatedTime: number;
}

const error = (res: Response, status: number, code: number, message: string) =>
  res.status(status).json({ code, message });
const bearer = (req: Request) => req.header('authorization')?.replace(/^Bearer\s+/i, '') || undefined;
const seconds = () => Math.floor(Date.now() / 1000);

/** Bookmarks are opaque to callers: here, the offset of the next page. */
const bookmarkOf = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64url');
function pageOf<T>(req: Request, all: T[]): { items: T[]; bookmark: string | null } | undefined {
  const size = Number(text(req.query.page_size) || 25);
  const raw = text(req.query.bookmark);
  const offset = raw ? Number(/^offset:(\d+)$/.exec(Buffer.from(raw, 'base64url').toString())?.[1] ?? NaN) : 0;
  if (!Number.isInteger(size) || size < 1 || size > 250 || !Number.isInteger(offset)) return undefined;
  return {
    items: all.slice(offset, offset + size),
    bookmark: offset + size < all.length ? bookmarkOf(offset + size) : null,
  };
}

export function pinterestSandbox(state: SandboxState, o: PinterestSandboxOptions): Router {
  const r = Router();
  const lists = () => state.audiencesOf('pinterest');
  // Keyed by the audience object: a reset drops the audiences, and their metadata with them.
  const metaOf = new WeakMap<SandboxAudience, ListMeta>();
  const meta = (a: SandboxAudience, listType = 'EMAIL'): ListMeta => {
    let m = metaOf.get(a);
    if (!m) {
      // Lists made through the control endpoint have no type yet: EMAIL, the most common.
      const at = a.createdAt ? Math.floor(a.createdAt / 1000) : seconds();
      metaOf.set(a, (m = { listType, uploaded: 0, removed: 0, batches: 0, createdTime: at, updatedTime: at }));
    }
    return m;
  };
  const view = (a: SandboxAudience, invalid = 0) => {
    const m = meta(a);
    return {
      id: a.id,
      ad_account_id: a.adAccountId,
      name: a.name,
      type: 'customerlist',
      status: a.members.size >= 100 ? 'READY' : 'TOO_SMALL',
      num_batches: m.batches,
      num_uploaded_user_records: m.uploaded,
      num_removed_user_records: m.removed,
      created_time: m.createdTime,
      updated_time: m.updatedTime,
      // This request's refused records, by error code.
      exceptions: invalid ? { [String(INVALID_RECORD)]: invalid } : {},
    };
  };

  r.get('/oauth', authorizePage(state, 'code'));

  const api = Router();
  api.post('/oauth/token', express.urlencoded({ extended: false }), (req, res) => {
    const basic = /^Basic\s+(.+)$/i.exec(req.header('authorization') ?? '')?.[1];
    if (!basic || !Buffer.from(basic, 'base64').toString().includes(':'))
      return void error(res, 401, 2, 'Authentication failed.');
    const body = req.body as Record<string, string | undefined>;
    const grant = body.grant_type;
    const known =
      (grant === 'authorization_code' && body.code && body.redirect_uri && state.codes.delete(body.code)) ||
      (grant === 'refresh_token' && body.refresh_token && state.refreshTokens.delete(body.refresh_token));
    if (!known) return void error(res, 400, 1, 'Invalid parameters: the code or refresh token is not valid.');
    const refresh = `pinr.${randomUUID()}`;
    state.refreshTokens.set(refresh, 'pinterest');
    res.json({
      access_token: state.newToken(),
      refresh_token: refresh,
      response_type: grant,
      token_type: 'bearer',
      expires_in: 2_592_000,
      refresh_token_expires_in: 5_184_000,
      refresh_token_expires_at: seconds() + 5_184_000,
      scope: 'ads:read,ads:write',
    });
  });

  // Counted when the request arrives, before its body is read: as a partner's gateway does.
  api.use(
    guard(state, {
      partner: 'pinterest',
      requestsPerSecond: o.requestsPerSecond,
      requestsPerMinute: o.requestsPerMinute,
      token: bearer,
      key: (_req, token) => tokenId(token), // per user per app: per connection
      invalidToken: (res) => error(res, 401, 2, 'Authentication failed.'),
      throttled: (res, after) => {
        res.setHeader('x-ratelimit-limit', String(o.requestsPerSecond));
        res.setHeader('x-ratelimit-remaining', '0');
        res.setHeader('x-ratelimit-reset', String(after ?? 1));
        if (after !== undefined) res.setHeader('retry-after', String(after));
        error(res, 429, 8, RATE_LIMITED);
      },
      serverError: (res, status) => error(res, status, 1, 'Something went wrong on our end. Sorry about that.'),
    }),
  );
  api.use(express.json({ limit: '50mb' }));

  api.get('/ad_accounts', (req, res) => {
    const page = pageOf(
      req,
      AD_ACCOUNTS.map((a) => ({ ...a, owner: { username: 'sandbox' }, country: 'US', currency: 'USD' })),
    );
    if (!page) return void error(res, 400, 1, 'Invalid parameters: page_size or bookmark.');
    res.json(page);
  });

  // Every path below names an ad account: one the token cannot see is "not found".
  api.use('/ad_accounts/:aid', (req, res, next) => {
    if (!AD_ACCOUNTS.some((a) => a.id === req.params.aid)) return void error(res, 404, 2, 'AdAccount not found.');
    next();
  });

  /** The list, if it exists in this ad account; else the 404 is answered. */
  const listIn = (req: Request, res: Response): SandboxAudience | undefined => {
    const a = lists().get(text(req.params.id));
    if (a && a.adAccountId === req.params.aid) return a;
    state.countRejected('pinterest', 1018);
    error(res, 404, 1018, 'Customer list not found.');
    return undefined;
  };

  /**
   * Splits and validates `records` (a trailing comma is allowed) as the list type allows. Answers
   * the 400 itself (and returns undefined) when the request cannot be used.
   */
  const recordsOf = (
    res: Response,
    raw: unknown,
    listType: string,
  ): { valid: string[]; invalid: number } | undefined => {
    if (typeof raw !== 'string') {
      state.countRejected('pinterest', 400);
      return void error(res, 400, 1, 'Invalid parameters: records is required and must be a string.');
    }
    const all = raw
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    if (!all.length) {
      state.countRejected('pinterest', NO_RECORDS);
      return void error(res, 400, NO_RECORDS, 'Customer list records are empty.');
    }
    if (all.length > o.usersPerRequest) {
      state.countRejected('pinterest', 400);
      return void error(res, 400, 1, `Invalid parameters: at most ${o.usersPerRequest} records per request.`);
    }
    state.countUsers('pinterest', all.length);
    const valid = all.filter((v) => recordValid(listType, v));
    if (!valid.length) {
      state.countRejected('pinterest', INVALID_RECORD);
      return void error(res, 400, INVALID_RECORD, 'None of the customer list records is in a valid format.');
    }
    return { valid, invalid: all.length - valid.length };
  };

  const apply = (a: SandboxAudience, operation: 'ADD' | 'REMOVE', records: string[]) => {
    const m = meta(a);
    const field = LIST_FIELD[m.listType] ?? 'email';
    for (const value of records) {
      const member = { [field]: value };
      if (operation === 'ADD') a.members.set(memberKey(member), member);
      else a.members.delete(memberKey(member));
    }
    if (operation === 'ADD') m.uploaded += records.length;
    else m.removed += records.length;
    m.batches++;
    m.updatedTime = seconds();
  };

  api.get('/ad_accounts/:aid/customer_lists', (req, res) => {
    const mine = [...lists().values()].filter((a) => a.adAccountId === req.params.aid).map((a) => view(a));
    const page = pageOf(req, mine);
    if (!page) return void error(res, 400, 1, 'Invalid parameters: page_size or bookmark.');
    res.json(page);
  });

  api.post('/ad_accounts/:aid/customer_lists', (req, res) => {
    const b = (req.body ?? {}) as { name?: unknown; records?: unknown; list_type?: unknown };
    const listType = b.list_type === undefined ? 'EMAIL' : text(b.list_type);
    const refused = !text(b.name)
      ? 'name is required and must be a string'
      : !LIST_FIELD[listType]
        ? `list_type must be one of ${Object.keys(LIST_FIELD).join(', ')}`
        : undefined;
    if (refused) {
      state.countRejected('pinterest', 400);
      return void error(res, 400, 1, `Invalid parameters: ${refused}.`);
    }
    const records = recordsOf(res, b.records, listType);
    if (!records) return;
    const a = state.createAudience('pinterest', req.params.aid, text(b.name));
    meta(a, listType);
    apply(a, 'ADD', records.valid);
    res.json(view(a, records.invalid));
  });

  api.get('/ad_accounts/:aid/customer_lists/:id', (req, res) => {
    const a = listIn(req, res);
    if (a) res.json(view(a));
  });

  api.patch('/ad_accounts/:aid/customer_lists/:id', (req, res) => {
    const a = listIn(req, res);
    if (!a) return;
    const b = (req.body ?? {}) as { operation_type?: unknown; records?: unknown };
    const operation = text(b.operation_type);
    if (operation !== 'ADD' && operation !== 'REMOVE') {
      state.countRejected('pinterest', 400);
      return void error(res, 400, 1, 'Invalid parameters: operation_type is required, ADD or REMOVE.');
    }
    const records = recordsOf(res, b.records, meta(a).listType);
    if (!records) return;
    apply(a, operation, records.valid);
    res.json(view(a, records.invalid));
  });

  r.use('/v5', api);
  return r;
}

/** Pinterest: 1,900 records a request and 7 requests a second (its Braze integration), 400 writes a minute per user per app. */
export const pinterestStandIn: SandboxStandIn = {
  published: {
    usersPerRequest: 1_900,
    requestsPerSecond: 7,
    requestsPerMinute: 400,
    scope: 'connection',
    source: 'developers.pinterest.com/docs/reference/rate-limits/ (ads_write 400/min)',
  },
  routes: (state, options) =>
    pinterestSandbox(state, {
      ...enforcedLimits(pinterestStandIn.published, options),
    }),
};
