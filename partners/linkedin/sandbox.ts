/**
 * LinkedIn's DMP segment API as the sandbox serves it (paths, bodies and errors of
 * docs/partners.md §1). A new segment answers 404 until `segmentReadyMs` has passed, as the real one does.
 */
import { randomUUID } from 'node:crypto';
import express, { Router, type Request } from 'express';
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

const AD_ACCOUNTS = ['501', '502'];
/** LinkedIn's cap on DMP segments per ad account, from August 2026, in every version. */
const MAX_SEGMENTS = 1_000;
const urn = (id: string) => `urn:li:sponsoredAccount:${id}`;
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

  rest.get('/adAccountUsers', (req, res) => {
    if (req.query.q !== 'authenticatedUser')
      return void res.status(400).json({ status: 400, message: 'q=authenticatedUser is required' });
    res.json({
      elements: AD_ACCOUNTS.map((id) => ({ account: urn(id), role: 'CAMPAIGN_MANAGER', user: 'urn:li:person:sbx' })),
    });
  });

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
    destinations: [{ destination: 'LINKEDIN', status: ready(s) ? 'READY' : 'BUILDING' }],
  });

  rest.post('/dmpSegments', (req, res) => {
    const b = req.body as { name?: string; account?: string; type?: string };
    const account = b.account?.match(/^urn:li:sponsoredAccount:(\d+)$/)?.[1];
    if (!b.name || !account || b.type !== 'USER') {
      state.countRejected('linkedin', 400);
      return void res.status(400).json({ status: 400, message: 'name, account and type USER are required' });
    }
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
    res
      .status(201)
      .setHeader('x-restli-id', s.id)
      .json({ id: Number(s.id) });
  });

  rest.get('/dmpSegments', (req, res) => {
    const account = text(req.query.account);
    if (req.query.q !== 'account' || !account)
      return void res.status(400).json({ status: 400, message: 'q=account&account= is required' });
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
function applyElement(s: SandboxAudience, raw: unknown): { status: number; message?: string } {
  const e = raw as Element;
  const member: Record<string, string> = {};
  for (const id of e.userIds ?? []) {
    if (id.idType === 'SHA256_EMAIL' && id.idValue && HEX64.test(id.idValue)) member.email = id.idValue;
    else if (id.idType === 'GOOGLE_AID' && id.idValue) member.gaid = id.idValue;
    else return { status: 400, message: `Invalid ${id.idType ?? 'id'} value` };
  }
  if (e.firstName && e.lastName) {
    member.firstName = e.firstName;
    member.lastName = e.lastName;
  }
  if (Object.keys(member).length === 0) return { status: 400, message: 'No user id and no first and last name' };
  if (e.action === 'ADD') s.members.set(memberKey(member), member);
  else if (e.action === 'REMOVE') s.members.delete(memberKey(member));
  else return { status: 400, message: 'action must be ADD or REMOVE' };
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
