/**
 * LinkedIn conformance: the real adapter drives the sandbox through every call we make, and each
 * recorded request and answer is checked against LinkedIn's published examples
 * (partners/linkedin/conformance/, schemas derived by examples.ts).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fail } from '../../domain/failures.js';
import { toRow } from '../../partners/identifiers.js';
import { PARTNER_REGISTRY } from '../../partners/registry.js';
import type { Exchange } from '../../src/sandbox/recording.js';
import type { RunningSandbox } from '../../src/sandbox/server.js';
import { failureOf } from '../helpers/failures.js';
import { gated } from '../helpers/gated.js';
import { partner } from '../helpers/partners.js';
import { sandboxControl } from '../helpers/sandbox.js';
import { recordedSandbox } from './recorded.js';
import { deriveSchema, linkedinChecker } from './examples.js';

let exchanges: Exchange[];
let sandbox: RunningSandbox;
beforeAll(async () => {
  ({ sandbox, exchanges } = await recordedSandbox('linkedin'));
});
afterAll(async () => {
  await sandbox?.close();
});

const control = sandboxControl(() => sandbox.url, 'linkedin');
const adapter = () => gated(PARTNER_REGISTRY.createAdapters({ sandboxUrl: sandbox.url, env: {} }).linkedin!);
const rows = (...emails: string[]) => emails.map((email) => toRow(partner('linkedin'), ['email'], { email })!);
const target = (audienceId: string, action: 'add' | 'remove') => ({
  adAccountId: '501',
  audienceId,
  audienceName: 'conformance',
  action,
  fields: ['email' as const],
});

describe('LinkedIn: every exchange of the adapter with the sandbox, against LinkedIn’s examples', () => {
  it('conforms in both directions, on every call we make and on its errors', async () => {
    const li = adapter();
    // OAuth: consent, code exchange, refresh.
    const consent = await fetch(li.authorizeUrl('s', 'http://127.0.0.1/cb'), { redirect: 'manual' });
    const code = new URL(consent.headers.get('location')!).searchParams.get('code')!;
    const credentials = await li.exchangeCode(code, 'http://127.0.0.1/cb');
    expect((await failureOf(li.exchangeCode(code, 'http://127.0.0.1/cb'))).type).toBe(Fail.Rejected);
    const { accessToken: token } = await li.refresh(credentials.refreshToken!);

    // The member views 503 only: it is not offered, and LinkedIn refuses to manage audiences there.
    expect((await li.listAdAccounts(token)).map((a) => a.id)).toEqual(['501', '502']);
    expect((await failureOf(li.createAudience(token, '503', 'viewer'))).type).toBe(Fail.TokenInvalid);

    // The connection check's reads, and the launch's segment count.
    expect(await li.tokenInfo!(token)).toMatchObject({ valid: true });
    expect(await li.apiVersionAccepted!(token)).toBe(true);
    expect(await li.adAccountProblems!(token, '501', true)).toEqual([]);

    const created = await li.createAudience(token, '501', 'conformance');
    expect(created.id).toMatch(/^\d+$/);
    expect(await li.findAudience(token, '501', { id: created.id })).toEqual(created);
    expect(await li.findAudience(token, '501', { name: 'conformance', create: false })).toEqual(created);
    expect(await li.sendUsers(token, target(created.id, 'add'), rows('a@example.com', 'b@example.com'))).toEqual({
      synced: 2,
      invalid: 0,
    });
    // A refused element is counted inside the 200.
    expect(await li.sendUsers(token, target(created.id, 'remove'), [['not-a-hash']])).toEqual({
      synced: 0,
      invalid: 1,
    });

    // Throttled, then a segment deleted, then the token revoked.
    await control('/faults', { status: 429, count: 1 });
    expect((await failureOf(li.sendUsers(token, target(created.id, 'add'), rows('c@example.com')))).type).toBe(
      Fail.RateLimited,
    );
    await fetch(`${sandbox.url}/_sandbox/linkedin/audiences/${created.id}`, { method: 'DELETE' });
    expect((await failureOf(li.sendUsers(token, target(created.id, 'add'), rows('c@example.com')))).type).toBe(
      Fail.AudienceDeleted,
    );
    await control('/tokens/revoke', { accessToken: token });
    expect((await failureOf(li.listAdAccounts(token))).type).toBe(Fail.TokenInvalid);

    const linkedin = exchanges.filter((e) => e.partner === 'linkedin');
    const statuses = new Set(linkedin.map((e) => e.status));
    for (const s of [200, 201, 400, 401, 403, 404, 429]) expect(statuses, `an exchange answered ${s}`).toContain(s);
    const checker = linkedinChecker();
    expect(linkedin.flatMap((e) => checker.check(e))).toEqual([]);
  });

  it('reports a request or an answer that departs from the examples', () => {
    const checker = linkedinChecker();
    const good: Exchange = {
      partner: 'linkedin',
      method: 'POST',
      path: '/rest/dmpSegments',
      query: {},
      headers: { authorization: 'Bearer t', 'linkedin-version': '202608', 'x-restli-protocol-version': '2.0.0' },
      body: {
        name: 'n',
        account: 'urn:li:sponsoredAccount:1',
        type: 'USER',
        sourcePlatform: 'SANDBOX',
        destinations: [{ destination: 'LINKEDIN' }],
      },
      contentType: 'application/json',
      status: 201,
      response: undefined,
    };
    expect(checker.check(good)).toEqual([]);
    const bad = (patch: Partial<Exchange>) => checker.check({ ...good, ...patch }).join('\n');
    expect(bad({ headers: { ...good.headers, 'x-restli-protocol-version': '' } })).toMatch(/x-restli-protocol-version/);
    expect(bad({ body: { ...(good.body as object), accessPolicy: 'PRIVATE' } })).toMatch(/additional properties/);
    expect(bad({ body: { ...(good.body as object), sourcePlatform: 'audience sync' } })).toMatch(/sourcePlatform/);
    expect(bad({ response: { id: 1 } })).toMatch(/a body where the docs show none/);
    expect(bad({ status: 401, response: { error: 'nope' } })).toMatch(/401 answer/);
    expect(bad({ path: '/rest/somethingElse' })).toMatch(/no LinkedIn example/);
    expect(
      checker
        .check({
          ...good,
          method: 'GET',
          path: '/rest/adAccountUsers',
          query: { q: 'authenticatedUser' },
          body: undefined,
          status: 200,
          response: { elements: [{ account: 'urn:li:sponsoredAccount:1', role: 'OWNER', user: 'urn:li:person:x' }] },
        })
        .join('\n'),
    ).toMatch(/role.*allowedValues|should be equal to one of/);
  });

  it('derives a schema from examples: every key a property, required where every example has it', () => {
    const schema = deriveSchema([{ a: 1, b: 'x' }, { a: 2 }], { enum: { b: ['x'] } });
    expect(schema).toEqual({
      type: 'object',
      properties: { a: { type: 'integer' }, b: { type: 'string', enum: ['x'] } },
      required: ['a'],
      additionalProperties: false,
    });
  });
});

describe('LinkedIn: the new segment’s id', () => {
  it('is read from x-linkedin-id when LinkedIn names it there', async () => {
    const server = createServer((req, res) => {
      res.writeHead(201, { 'x-linkedin-id': '77' }).end();
    }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const li = gated(
        PARTNER_REGISTRY.createAdapters({ sandboxUrl: url, env: { LINKEDIN_REST_URL: `${url}/rest` } }).linkedin!,
      );
      expect(await li.createAudience('t', '501', 'x')).toEqual({ id: '77', name: 'x' });
    } finally {
      server.close();
    }
  });
});

describe('LinkedIn: the DMP source platform', () => {
  it('is the value LinkedIn assigned (LINKEDIN_SOURCE_PLATFORM), and the sandbox refuses any other', async () => {
    expect(PARTNER_REGISTRY.envProblems({ LINKEDIN_SOURCE_PLATFORM: 'audience sync' })).toEqual([
      expect.stringMatching(/^LINKEDIN_SOURCE_PLATFORM must be the DMP source platform LinkedIn assigned/),
    ]);
    const token = sandbox.state.newToken();
    const other = gated(
      PARTNER_REGISTRY.createAdapters({ sandboxUrl: sandbox.url, env: { LINKEDIN_SOURCE_PLATFORM: 'ACME_CDP' } })
        .linkedin!,
    );
    expect((await failureOf(other.createAudience(token, '501', 'p'))).type).toBe(Fail.Rejected);
    const sent = exchanges.filter((e) => e.path === '/rest/dmpSegments' && e.method === 'POST').at(-1)!;
    expect(sent.body).toMatchObject({ sourcePlatform: 'ACME_CDP' });
    expect(sent.status).toBe(400);
  });
});
