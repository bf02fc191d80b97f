/**
 * LinkedIn's DMP segment API as the sandbox serves it (paths, bodies and errors of
 * docs/partners.md §1). A new segment answers 404 until `segmentReadyMs` has passed, as the real one does.
 */
import { randomUUID } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import { memberKey, type SandboxAudience, type SandboxState } from '../../src/sandbox/state.js';
import { HEX64, authorizePage, text } from '../../src/sandbox/shared.js';
import { served } from '../calendar.js';
import { linkedinCalendar } from './versions.js';
import { enforcedLimits, type SandboxStandIn } from '../../src/sandbox/stand-in.js';
import { guard, tokenId } from '../../src/sandbox/guard.js';

export interface LinkedInSandboxOptions {
  segmentReadyMs: number;
  usersPerRequest: number;
  requestsPerSecond: number;
  /** A per-minute quota on top (undefined: none). */
  requestsPerMinute?: number;
}

/** The member's role on each ad account: two it can manage audiences on, one it only views. */
const AD_ACCOUNTS: { id: string; role: string }[] = [
  { id: '501', role: 'CAMPAIGN_MANAGER' },
  { id: '502', role: 'CAMPAIGN_MANAGER' },
  { id: '503', role: 'VIEWER' },
];
/** The DMP source platform the sandbox "assigned" this app (LinkedIn hands each partner its own ENUM value). */
export const LINKEDIN_SANDBOX_SOURCE_PLATFORM = 'SANDBOX';
/** When the sandbox's ad accounts and segments were "created" (LinkedIn's epoch-millisecond stamps). */
const EPOCH = Date.UTC(2025, 0, 1);
/** LinkedIn's cap on DMP segments per ad account, from August 2026, in every version. */
const MAX_SEGMENTS = 1_000;
const urn = (id: string) => `urn:li:sponsoredAccount:${id}`;
/** What LinkedIn grants at consent for the scopes the product asks (a token registered with `scopes` carries only those). */
const GRANTED = ['r_ads', 'rw_dmp_segments'];
const bearer = (req: Request) => req.header('authorization')?.replace(/^Bearer\s+/i, '');

export function linkedinSandbox(state: SandboxState, o: LinkedInSandboxOptions): Router {
  const r = Router();
  const segments = () => state.audiencesOf('linkedin');

  r.get('/oauth/v2/authorization', authorizePage(state, 'code'));

  r.post('/oauth/v2/accessToken', express.urlencoded({ extended: false }), (req, res) => {
    const body = req.body as Record<string, string | undefined>;
    const grant = body.grant_type;
    const known =
      (grant === 'authorization_code' && body.code && state.codes.delete(body.code)) ||
      (grant === 'refresh_token' && body.refresh_token && state.refreshTokens.delete(body.refresh_token));
    if (!known)
      return void res
        .status(400)
        .json({ error: 'invalid_grant', error_description: 'The code or refresh token is not valid.' });
    const refresh = `sbx-refresh-${randomUUID()}`;
    state.refreshTokens.set(refresh, 'linkedin');
    res.json({
      access_token: state.newToken(),
      expires_in: 5_184_000,
      refresh_token: refresh,
      refresh_token_expires_in: 31_536_000,
    });
  });

  // Token introspection (learn.microsoft.com/…/shared/authentication/token-introspection): 200 with
  // `active`, `status` and (3-legged tokens) `scope` comma-separated; 400 for an unknown token or client id.
  r.post('/oauth/v2/introspectToken', express.urlencoded({ extended: false }), (req, res) => {
    const b = req.body as Record<string, string | undefined>;
    const token = b.token;
    const known = !!token && (state.validTokens.has(token) || state.revokedTokens.has(token));
    if (!b.client_id || !b.client_secret || !known)
      return void res.status(400).json({ error: 'invalid_request', error_description: 'Invalid client id or token' });
    if (!state.tokenValid(token)) return void res.json({ active: false, status: 'revoked' });
    const now = Math.floor(Date.now() / 1000);
    res.json({
      active: true,
      client_id: b.client_id,
      authorized_at: now,
      created_at: now,
      status: 'active',
      expires_at: now + 5_184_000,
      scope: state.scopesOf(token, GRANTED).join(','),
      auth_type: '3L',
    });
  });

  const rest = Router();
  // LinkedIn's gateway: every call names a version it still serves (its published calendar), and Rest.li 2.0.
  rest.use((req, res, next) => {
    const version = req.header('linkedin-version');
    if (!version || !served(linkedinCalendar, version)) {
      state.countRejected('linkedin', 426);
      return void res.status(426).json({
        status: 426,
        code: 'NONEXISTENT_VERSION',
        message: version ? `Requested version ${version} is not active` : 'A version must be present.',
      });
    }
    if (req.header('x-restli-protocol-version') !== '2.0.0') {
      state.countRejected('linkedin', 400);
      return void res.status(400).json({
        status: 400,
        code: 'ILLEGAL_ARGUMENT',
        message: 'X-Restli-Protocol-Version 2.0.0 is required.',
      });
    }
    next();
  });
  // Counted when the request arrives, before its body is read: as a partner's gateway does.
  rest.use(
    guard(state, {
      partner: 'linkedin',
      requestsPerSecond: o.requestsPerSecond,
      requestsPerMinute: o.requestsPerMinute,
      token: bearer,
      key: (_req, token) => tokenId(token), // per member token
      invalidToken: (res) =>
        res.status(401).json({ status: 401, serviceErrorCode: 65600, message: 'Invalid access token' }),
      throttled: (res, after) => {
        if (after !== undefined) res.setHeader('retry-after', String(after));
        res
          .status(429)
          .json({ status: 429, message: 'Resource level throttle limit for calls to this resource is reached.' });
      },
      serverError: (res, status) => res.status(status).json({ status, message: 'Internal Server Error' }),
    }),
  );
  rest.use(express.json({ limit: '50mb' }));

  const stamp = { actor: 'urn:li:unknown:0', time: EPOCH };

  // A token without the endpoint's scope: 403 ACCESS_DENIED (LinkedIn's answer, naming resource, method and version).
  const needs =
    (...anyOf: string[]) =>
    (req: Request, res: express.Response, next: express.NextFunction) => {
      const scopes = state.scopesOf(bearer(req) ?? '', GRANTED);
      if (anyOf.some((s) => scopes.includes(s))) return next();
      state.countRejected('linkedin', 403);
      const resource = req.baseUrl.split('/').pop() ?? ''; // mounted per resource
      res.status(403).json({
        status: 403,
        serviceErrorCode: 100,
        code: 'ACCESS_DENIED',
        message: `Not enough permissions to access: ${resource}.${req.method}.${req.header('linkedin-version') ?? ''}01`,
      });
    };
  rest.use('/adAccountUsers', needs('r_ads', 'rw_ads'));
  rest.use('/dmpSegments', needs('rw_dmp_segments'));

  rest.get('/adAccountUsers', (req, res) => {
    if (req.query.q !== 'authenticatedUser')
      return void res.status(400).json({ status: 400, message: 'q=authenticatedUser is required' });
    const elements = AD_ACCOUNTS.map(({ id, role }) => ({
      account: urn(id),
      changeAuditStamps: { created: stamp, lastModified: stamp },
      role,
      user: 'urn:li:person:sbx',
      version: { versionTag: '1' },
    }));
    res.json({ elements, paging: { count: elements.length, links: [], start: 0, total: elements.length } });
  });

  /** LinkedIn's 403 to a member whose role on the ad account is VIEWER. */
  const viewerOnly = (account: string | undefined, res: Response): boolean => {
    if (AD_ACCOUNTS.find((a) => a.id === account)?.role !== 'VIEWER') return false;
    state.countRejected('linkedin', 403);
    res.status(403).json({
      status: 403,
      serviceErrorCode: 100,
      message: `Not enough permissions to access: dmpSegments for ${urn(account!)}`,
    });
    return true;
  };
  /** The account's segments: the control's `audienceCount` when set (segments made elsewhere), else the ones here. */
  const segmentCount = (account: string) =>
    state.adAccounts.get(account)?.audienceCount ??
    [...segments().values()].filter((s) => s.adAccountId === account).length;

  const ready = (s: SandboxAudience) => Date.now() - s.createdAt >= o.segmentReadyMs;
  const view = (s: SandboxAudience) => ({
    id: Number(s.id),
    name: s.name,
    account: urn(s.adAccountId),
    type: 'USER',
    sourcePlatform: LINKEDIN_SANDBOX_SOURCE_PLATFORM,
    created: s.createdAt || EPOCH,
    lastModified: s.createdAt || EPOCH,
    destinations: [
      {
        destination: 'LINKEDIN',
        destinationSegmentId: `urn:li:adSegment:${s.id}`,
        created: s.createdAt || EPOCH,
        lastModified: s.createdAt || EPOCH,
        status: ready(s) ? 'READY' : 'BUILDING',
      },
    ],
  });

  rest.post('/dmpSegments', (req, res) => {
    const b = req.body as { name?: string; account?: string; type?: string; sourcePlatform?: string };
    const account = b.account?.match(/^urn:li:sponsoredAccount:(\d+)$/)?.[1];
    if (!b.name || !account || b.type !== 'USER') {
      state.countRejected('linkedin', 400);
      return void res.status(400).json({ status: 400, message: 'name, account and type USER are required' });
    }
    // The source platform is the ENUM value LinkedIn assigned the app; any other is refused.
    if (b.sourcePlatform !== LINKEDIN_SANDBOX_SOURCE_PLATFORM) {
      state.countRejected('linkedin', 400);
      return void res.status(400).json({
        status: 400,
        message: `sourcePlatform ${JSON.stringify(b.sourcePlatform ?? null)} is not the DMP source platform assigned to this application`,
      });
    }
    if (viewerOnly(account, res)) return;
    if (segmentCount(account) >= MAX_SEGMENTS) {
      // LinkedIn's recent-changes page: past the cap, a 429 with this code and no Retry-After.
      state.countRejected('linkedin', 'SEGMENT_LIMIT_EXCEEDED');
      return void res.status(429).json({
        status: 429,
        code: 'SEGMENT_LIMIT_EXCEEDED',
        message: `The ad account has reached its limit of ${MAX_SEGMENTS} DMP segments. Delete unused segments before creating new ones.`,
      });
    }
    const s = state.createAudience('linkedin', account, b.name);
    const controlled = state.adAccounts.get(account);
    if (controlled?.audienceCount !== undefined) controlled.audienceCount++;
    // 201 with the id in x-restli-id and no body, as LinkedIn's docs show.
    res.status(201).setHeader('x-restli-id', s.id).end();
  });

  rest.get('/dmpSegments', (req, res) => {
    const account = text(req.query.account);
    if (req.query.q !== 'account' || !account)
      return void res.status(400).json({ status: 400, message: 'q=account&account= is required' });
    if (viewerOnly(account.match(/(\d+)$/)?.[1], res)) return;
    const mine = [...segments().values()].filter((s) => urn(s.adAccountId) === account);
    // Rest.li paging: without start and count, every segment of the account in one answer.
    const start = Number(text(req.query.start) || 0);
    const count = req.query.count === undefined ? mine.length : Number(text(req.query.count));
    if (!Number.isInteger(start) || start < 0 || !Number.isInteger(count) || count < 0)
      return void res.status(400).json({ status: 400, message: 'start and count must be non-negative integers' });
    const id = account.replace(/^urn:li:sponsoredAccount:/, '');
    res.json({
      paging: { start, count, links: [], total: segmentCount(id) },
      elements: mine.slice(start, start + count).map(view),
    });
  });

  rest.get('/dmpSegments/:id', (req, res) => {
    const s = segments().get(req.params.id);
    if (!s || !ready(s)) return void res.status(404).json({ status: 404, message: 'Not Found' });
    res.json(view(s));
  });

  rest.post('/dmpSegments/:id/users', (req, res) => {
    const s = segments().get(req.params.id);
    if (req.header('x-restli-method')?.toUpperCase() !== 'BATCH_CREATE') {
      return void res.status(400).json({ status: 400, message: 'X-RestLi-Method: BATCH_CREATE is required' });
    }
    if (!s || !ready(s)) {
      state.countRejected('linkedin', 404);
      return void res.status(404).json({ status: 404, message: 'Not Found' });
    }
    if (viewerOnly(s.adAccountId, res)) return;
    const elements = (req.body as { elements?: unknown[] }).elements ?? [];
    if (elements.length > o.usersPerRequest) {
      state.countRejected('linkedin', 400);
      return void res.status(400).json({ status: 400, message: `At most ${o.usersPerRequest} elements per request` });
    }
    state.countUsers('linkedin', elements.length);
    res.json({ elements: elements.map((e) => applyElement(s, e)) });
  });

  r.use('/rest', rest);
  return r;
}

interface Element {
  action?: string;
  userIds?: { idType?: string; idValue?: string }[];
  firstName?: string;
  lastName?: string;
}

/** One user: validated like LinkedIn (hash format, known id types), then added or removed. */
/** A refused element: its own status and error (LinkedIn shows none; others read `{status, error: {message, status}}`). */
const refused = (message: string) => ({ status: 400, error: { message, status: 400 } });

function applyElement(
  s: SandboxAudience,
  raw: unknown,
): { status: number; error?: { message: string; status: number } } {
  const e = raw as Element;
  const member: Record<string, string> = {};
  for (const id of e.userIds ?? []) {
    if (id.idType === 'SHA256_EMAIL' && id.idValue && HEX64.test(id.idValue)) member.email = id.idValue;
    else if (id.idType === 'GOOGLE_AID' && id.idValue) member.gaid = id.idValue;
    else return refused(`Invalid ${id.idType ?? 'id'} value`);
  }
  if (e.firstName && e.lastName) {
    member.firstName = e.firstName;
    member.lastName = e.lastName;
  }
  if (Object.keys(member).length === 0) return refused('No user id and no first and last name');
  if (e.action === 'ADD') s.members.set(memberKey(member), member);
  else if (e.action === 'REMOVE') s.members.delete(memberKey(member));
  else return refused('action must be ADD or REMOVE');
  return { status: 201 };
}

/** LinkedIn publishes 600 calls a minute per member on `/dmpSegments/{id}/users`; 5,000 users a call is its documented practice. */
export const linkedinStandIn: SandboxStandIn = {
  published: {
    usersPerRequest: 5_000,
    requestsPerSecond: 10,
    requestsPerMinute: 600,
    scope: 'connection',
    source: 'learn.microsoft.com/en-us/linkedin/marketing/matched-audiences/create-and-manage-segment-users',
  },
  routes: (state, options) =>
    linkedinSandbox(state, {
      ...enforcedLimits(linkedinStandIn.published, options),
      segmentReadyMs: options.linkedinSegmentReadyMs ?? 0,
    }),
};
