/**
 * Meta's Custom Audience endpoints as the sandbox serves them (docs/partners.md §2): errors as
 * `{error: {code, error_subcode}}` with HTTP 400, the throttle with its usage header, invalid
 * rows only counted inside a 200, and the rate counted per ad account.
 */
import { randomUUID } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import { memberKey, type SandboxState } from '../../src/sandbox/state.js';
import { HEX64, authorizePage, text } from '../../src/sandbox/shared.js';
import { served } from '../calendar.js';
import AD_ACCOUNT_FIELDS from './conformance/adaccount-fields.json' with { type: 'json' };
import CUSTOM_AUDIENCE_FIELDS from './conformance/customaudience-fields.json' with { type: 'json' };
import { facebookCalendar } from './versions.js';
import { graphEdge, paramProblem } from './params.js';
import { enforcedLimits, type SandboxStandIn } from '../../src/sandbox/stand-in.js';
import { guard } from '../../src/sandbox/guard.js';

export interface FacebookSandboxOptions {
  usersPerRequest: number;
  requestsPerSecond: number;
  hourlyQuota?: HourlyQuota;
}

const AD_ACCOUNTS = [
  { id: 'act_601', name: 'Sandbox ad account 601' },
  { id: 'act_602', name: 'Sandbox ad account 602' },
];
/** Our field names for Meta's multi-key schema; hashed keys must be 64-hex. */
const KEY_FIELD: Record<string, { field: string; hashed: boolean }> = {
  EMAIL: { field: 'email', hashed: true },
  EMAIL_SHA256: { field: 'email', hashed: true },
  PHONE: { field: 'phone', hashed: true },
  PHONE_SHA256: { field: 'phone', hashed: true },
  FN: { field: 'firstName', hashed: true },
  LN: { field: 'lastName', hashed: true },
  MADID: { field: 'madid', hashed: false },
  MOBILE_ADVERTISER_ID: { field: 'madid', hashed: false },
};

/** What Meta grants at consent for the permission the product asks (a token registered with `scopes` carries only those). */
const GRANTED = ['ads_management', 'public_profile'];

/** Calls per ad account per hour: `base` + `perAudience` for each of its audiences. */
export interface HourlyQuota {
  base: number;
  perAudience: number;
}

/** Meta's hourly custom-audience call quota on the Limited tier: 5,000 + 40 per audience (docs/partners.md). */
const LIMITED_TIER: HourlyQuota = { base: 5_000, perAudience: 40 };

/** Calls per key over the last hour, in one-minute buckets (bounded memory at any rate). */
class HourlyCounter {
  private readonly buckets = new Map<string, Map<number, number>>();

  /** Counts a call at `now`; answers the key's calls in the hour up to it. */
  add(key: string, now: number): number {
    const minute = Math.floor(now / 60_000);
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = new Map<number, number>()));
    b.set(minute, (b.get(minute) ?? 0) + 1);
    let sum = 0;
    for (const [m, n] of b) {
      if (minute - m >= 60) b.delete(m);
      else sum += n;
    }
    return sum;
  }
}

/** Meta's custom audiences per ad account. */
const MAX_AUDIENCES = 500;

/** `X-Business-Use-Case-Usage`: per business id, the usage of each quota in percent. */
const usageHeader = (business: string, percent: number, regainMinutes: number) =>
  JSON.stringify({
    [business]: [
      {
        type: 'custom_audience',
        call_count: percent,
        total_cputime: Math.round(percent / 2),
        total_time: Math.round(percent / 2),
        estimated_time_to_regain_access: regainMinutes,
      },
    ],
  });

const graphError = (res: Response, code: number, message: string, subcode?: number, type = 'OAuthException') =>
  res
    .status(400)
    .json({ error: { message, type, code, ...(subcode ? { error_subcode: subcode } : {}), fbtrace_id: randomUUID() } });

/**
 * Meta's answers about a flagged audience (since 2025-09-02: one that may suggest health or
 * financial status), verbatim from its custom-audience reference: `operation_status` 471, and
 * every change refused. The 471 description is not published; this one is ours.
 */
const RESTRICTED_STATUS = {
  code: 471,
  description: 'This audience has been restricted for possible policy violation.',
};
const NORMAL_STATUS = { code: 200, description: 'Normal' };
const RESTRICTED_EDIT = {
  users: {
    subcode: 1713230,
    title: 'Audience Upload Blocked',
    message:
      'Before updating user memberships, you must resolve integrity restrictions on this Data File Custom Audience. Go to Audience Manager to appeal the restrictions or create a new audience with updated data',
  },
  audience: {
    subcode: 1713231,
    title: 'Update Restricted Fields and Rule',
    message:
      'This custom audience has integrity restrictions. To continue, you must update the restricted fields and the rule in your current edit',
  },
};
const restrictedError = (res: Response, what: keyof typeof RESTRICTED_EDIT) =>
  res.status(400).json({
    error: {
      message: 'Invalid parameter',
      type: 'OAuthException',
      code: 100,
      error_subcode: RESTRICTED_EDIT[what].subcode,
      error_user_title: RESTRICTED_EDIT[what].title,
      error_user_msg: RESTRICTED_EDIT[what].message,
      fbtrace_id: randomUUID(),
    },
  });

const tokenOf = (req: Request): string | undefined =>
  req.header('authorization')?.replace(/^Bearer\s+/i, '') || text(req.query.access_token) || undefined;

export function facebookSandbox(state: SandboxState, o: FacebookSandboxOptions): Router {
  const r = Router();
  const audiences = () => state.audiencesOf('facebook');

  r.get('/dialog/oauth', authorizePage(state, 'code'));

  const graph = Router();
  graph.get('/oauth/access_token', (req, res) => {
    if (badParam(req, res, 'GET', '/oauth/access_token')) return;
    const code = text(req.query.code);
    const exchange = text(req.query.fb_exchange_token);
    if (code ? !state.codes.delete(code) : !state.tokenValid(exchange)) {
      return void graphError(res, 100, 'Invalid verification code format.', 36007);
    }
    res.json({ access_token: state.newToken(), token_type: 'bearer', expires_in: 5_183_944 });
  });

  /** The ad account a request's rate is counted against. */
  const accountOf = (req: Request): string => {
    const node = req.path.split('/')[1] ?? '';
    if (node.startsWith('act_')) return node;
    const audience = audiences().get(node);
    return audience ? `act_${audience.adAccountId}` : 'me';
  };
  // Counted when the request arrives, before its body is read: as a partner's gateway does.
  graph.use(
    guard(state, {
      partner: 'facebook',
      requestsPerSecond: o.requestsPerSecond,
      token: tokenOf,
      key: accountOf,
      invalidToken: (res) =>
        graphError(res, 190, 'Error validating access token: The session has been invalidated.', 460),
      throttled: (res, after) => {
        const minutes = after === undefined ? 0 : Math.max(1, Math.ceil(after / 60));
        res.setHeader('x-business-use-case-usage', usageHeader('throttled', 100, minutes));
        graphError(res, 17, 'User request limit reached', 2446079);
      },
      serverError: (res, status) =>
        res.status(status).json({ error: { message: 'An unknown error occurred', code: 1, type: 'OAuthException' } }),
    }),
  );
  graph.use(express.json({ limit: '50mb' }));

  // The user's permissions (developers.facebook.com/docs/graph-api/reference/user/permissions).
  graph.get('/me/permissions', (req, res) => {
    const scopes = state.scopesOf(tokenOf(req) ?? '', GRANTED);
    res.json({ data: scopes.map((permission) => ({ permission, status: 'granted' })) });
  });

  // A token without the permission the call needs: #200 "Permissions error" (Meta's error codes);
  // reads take ads_read or ads_management, writes ads_management.
  graph.use((req, res, next) => {
    const need = req.method === 'GET' ? ['ads_read', 'ads_management'] : ['ads_management'];
    if (need.some((p) => state.scopesOf(tokenOf(req) ?? '', GRANTED).includes(p))) return next();
    state.countRejected('facebook', 200);
    graphError(res, 200, '(#200) Permissions error');
  });

  // Like Meta, every answer says how much of the ad account's quota is used: its calls in the
  // last hour against the hourly business-use-case quota (docs/partners.md: 5,000 + 40 per audience on
  // the Limited tier), so a client can slow down before it runs out. The per-second limit above
  // is the throttle; this is the budget behind it.
  const hourly = new HourlyCounter();
  graph.use((req, res, next) => {
    const account = accountOf(req);
    const { base, perAudience } = o.hourlyQuota ?? LIMITED_TIER;
    const quota = base + perAudience * audienceCount(account);
    const percent = Math.min(100, Math.round((hourly.add(account, Date.now()) / quota) * 100));
    res.setHeader('x-business-use-case-usage', usageHeader(account, percent, 0));
    next();
  });

  // Meta refuses a param the call does not take (#100): the SDK's param lists, Graph's modifiers.
  const badParam = (req: Request, res: Response, method: string, path: string): boolean => {
    const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as object) : {};
    const problem = paramProblem(graphEdge(method, path)!, { ...req.query, ...body });
    if (!problem) return false;
    state.countRejected('facebook', 100);
    graphError(res, 100, problem);
    return true;
  };

  // Meta refuses a field its node does not have (#100), with the fields of its own SDK's models.
  const nonexisting = (req: Request, res: Response, node: { node: string; fields: string[] }): boolean => {
    const unknown = text(req.query.fields)
      .split(',')
      .filter((f) => f !== '' && !node.fields.includes(f));
    if (!unknown.length) return false;
    state.countRejected('facebook', 100);
    graphError(res, 100, `(#100) Tried accessing nonexisting field (${unknown[0]}) on node type (${node.node})`);
    return true;
  };

  graph.get('/me/adaccounts', (req, res) => {
    if (badParam(req, res, 'GET', '/me/adaccounts')) return;
    if (nonexisting(req, res, AD_ACCOUNT_FIELDS)) return;
    res.json({ data: AD_ACCOUNTS, paging: {} });
  });

  /** The first ad account of every token has the Custom Audience terms accepted, the second not (docs/api.md). */
  const controlled = (id: string) => state.adAccounts.get(id) ?? state.adAccounts.get(`act_${id}`);
  const termsAccepted = (id: string) => controlled(id)?.termsAccepted ?? id === AD_ACCOUNTS[0]!.id.slice(4);
  const audienceCount = (id: string) =>
    controlled(id)?.audienceCount ?? [...audiences().values()].filter((a) => a.adAccountId === id).length;

  graph.get('/:account', (req, res, next) => {
    if (!req.params.account.startsWith('act_')) return void next();
    if (badParam(req, res, 'GET', '/act_{id}')) return;
    if (nonexisting(req, res, AD_ACCOUNT_FIELDS)) return;
    const id = req.params.account.slice(4);
    const known = AD_ACCOUNTS.find((a) => a.id === req.params.account);
    if (!known)
      return void graphError(res, 100, 'Unsupported get request. Object does not exist.', 33, 'GraphMethodException');
    res.json({ id: known.id, name: known.name, tos_accepted: termsAccepted(id) ? { custom_audience_tos: 1 } : {} });
  });

  graph.get('/:account/customaudiences', (req, res) => {
    if (badParam(req, res, 'GET', '/act_{id}/customaudiences')) return;
    if (nonexisting(req, res, CUSTOM_AUDIENCE_FIELDS)) return;
    const id = req.params.account.replace(/^act_/, '');
    const list = [...audiences().values()]
      .filter((a) => a.adAccountId === id)
      .map((a) => ({
        id: a.id,
        name: a.name,
        is_value_based: a.valueBased,
        operation_status: a.restricted ? RESTRICTED_STATUS : NORMAL_STATUS,
      }));
    // An account set to hold more audiences than were made here lists the others too.
    for (let k = list.length; k < audienceCount(id); k++)
      list.push({
        id: String(9_000_000_000 + k),
        name: `Existing audience ${k + 1}`,
        is_value_based: false,
        operation_status: NORMAL_STATUS,
      });
    // Cursor paging as Graph does it: `limit` a page, `after` the last id of the page before.
    const limit = Math.min(Math.max(Number(text(req.query.limit)) || 25, 1), 500);
    const from = text(req.query.after) ? list.findIndex((a) => a.id === text(req.query.after)) + 1 : 0;
    const page = list.slice(from, from + limit);
    const more = from + limit < list.length;
    res.json({
      data: page,
      paging: page.length
        ? {
            cursors: { before: page[0]!.id, after: page.at(-1)!.id },
            ...(more
              ? { next: `${req.protocol}://${req.get('host')}${req.baseUrl}${req.path}?after=${page.at(-1)!.id}` }
              : {}),
          }
        : {},
    });
  });
  graph.post('/:account/customaudiences', (req, res) => {
    if (badParam(req, res, 'POST', '/act_{id}/customaudiences')) return;
    const b = req.body as { name?: string; subtype?: string };
    const id = req.params.account.replace(/^act_/, '');
    if (!b.name || b.subtype !== 'CUSTOM')
      return void graphError(res, 100, 'Invalid parameter', undefined, 'GraphMethodException');
    // The real codes for these two are unconfirmed (docs/partners.md); the shapes are Meta's.
    if (!termsAccepted(id))
      return void graphError(res, 2663, 'Terms of service has not been accepted.', 1870090, 'GraphMethodException');
    if (audienceCount(id) >= MAX_AUDIENCES)
      return void graphError(
        res,
        2654,
        `The ad account has reached its limit of ${MAX_AUDIENCES} custom audiences.`,
        1713011,
        'GraphMethodException',
      );
    res.json({ id: state.createAudience('facebook', id, b.name).id });
  });

  graph.get('/:id', (req, res) => {
    if (badParam(req, res, 'GET', '/{id}')) return;
    if (nonexisting(req, res, CUSTOM_AUDIENCE_FIELDS)) return;
    const a = audiences().get(req.params.id);
    if (!a)
      return void graphError(res, 100, 'Unsupported get request. Object does not exist.', 33, 'GraphMethodException');
    res.json({
      id: a.id,
      name: a.name,
      is_value_based: a.valueBased,
      operation_status: a.restricted ? RESTRICTED_STATUS : NORMAL_STATUS,
    });
  });
  // Editing the audience itself (its name or description); a flagged one refuses it.
  graph.post('/:id', (req, res, next) => {
    if (req.params.id.startsWith('act_')) return void next();
    const a = audiences().get(req.params.id);
    if (!a)
      return void graphError(res, 100, 'Unsupported post request. Object does not exist.', 33, 'GraphMethodException');
    if (a.restricted) {
      state.countRejected('facebook', RESTRICTED_EDIT.audience.subcode);
      return void restrictedError(res, 'audience');
    }
    const b = req.body as { name?: unknown };
    if (typeof b.name === 'string' && b.name !== '') a.name = b.name;
    res.json({ success: true });
  });

  const users = (action: 'add' | 'remove') => (req: Request, res: Response) => {
    if (badParam(req, res, req.method, '/{id}/users')) return;
    const a = audiences().get(text(req.params.id));
    if (!a) return void graphError(res, 100, 'Custom Audience Has Been Deleted', 1487366);
    if (a.restricted) {
      state.countRejected('facebook', RESTRICTED_EDIT.users.subcode);
      return void restrictedError(res, 'users');
    }
    const payload = (req.body as { payload?: { schema?: string | string[]; data?: unknown[] } }).payload;
    const schema = typeof payload?.schema === 'string' ? [payload.schema] : (payload?.schema ?? []);
    const data = payload?.data ?? [];
    if (!schema.length || schema.some((k) => !KEY_FIELD[k]))
      return void graphError(res, 100, 'Invalid schema', 1870053);
    if (data.length > o.usersPerRequest) {
      state.countRejected('facebook', 100);
      return void graphError(res, 100, `At most ${o.usersPerRequest} users per request`, 1870050);
    }
    state.countUsers('facebook', data.length);
    let invalid = 0;
    for (const raw of data) {
      const values = Array.isArray(raw) ? raw : [raw];
      const member: Record<string, string> = {};
      let bad = false;
      schema.forEach((k, i) => {
        const v = text(values[i]);
        if (!v) return;
        const { field, hashed } = KEY_FIELD[k]!;
        if (hashed && !HEX64.test(v)) bad = true;
        else member[field] = v;
      });
      if (bad || !Object.keys(member).length) {
        invalid++;
        continue;
      }
      if (action === 'add') a.members.set(memberKey(member), member);
      else a.members.delete(memberKey(member));
    }
    res.json({
      audience_id: a.id,
      // Meta's session ids are numeric strings.
      session_id: String(Date.now() * 1000 + Math.floor(Math.random() * 1000)),
      num_received: data.length - invalid,
      num_invalid_entries: invalid,
      invalid_entry_samples: {},
    });
  };
  graph.post('/:id/users', users('add'));
  graph.delete('/:id/users', users('remove'));

  // Every version Meta still serves, by its published calendar; an expired one is error #2635.
  r.use('/:version', (req, res, next) => {
    const version = req.params.version;
    if (!/^v\d+\.\d+$/.test(version)) return next();
    // `/me/permissions` is a Graph API edge, on the Graph calendar, whose versions outlive the Marketing API's.
    const graphEdge = req.path === '/me/permissions' && facebookCalendar(version) !== undefined;
    if (!served(facebookCalendar, version) && !graphEdge) {
      state.countRejected('facebook', 2635);
      return void graphError(
        res,
        2635,
        `(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version.`,
      );
    }
    graph(req, res, next);
  });
  return r;
}

/**
 * Meta publishes 10,000 records per `/{id}/users` call and an hourly business-use-case budget per
 * ad account; it publishes no per-second rate, so the stand-in holds 10 a second per ad account
 * as well, the pace the hourly budget allows a busy account.
 */
export const facebookStandIn: SandboxStandIn = {
  published: {
    usersPerRequest: 10_000,
    requestsPerSecond: 10,
    scope: 'adAccount',
    source: 'developers.facebook.com/docs/marketing-api/reference/custom-audience/users; …/overview/rate-limiting',
  },
  routes: (state, options) =>
    facebookSandbox(state, {
      ...enforcedLimits(facebookStandIn.published, options),
      ...(options.facebookHourlyQuota ? { hourlyQuota: options.facebookHourlyQuota } : {}),
    }),
};
