import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import express from 'express';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { accessTokenVerifier } from '../../src/api/access-token.js';
import { errorHandler } from '../../src/api/errors.js';
import { codecRoutes } from '../../src/api/routes/codec.js';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toRow } from '../../partners/identifiers.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { AesGcmCodec, ENCODING } from '../../src/temporal/codec.js';
import {
  ADMIN_KEY,
  OPERATOR_KEY,
  startApiStack,
  TEST_CODEC,
  TEST_CODEC_KEYS,
  UI_ORIGIN,
  type ApiStack,
} from '../helpers/api.js';
import { connectDevServer } from '../helpers/temporal.js';
import { partner } from '../helpers/partners.js';

// Privacy by construction: what Temporal stores is unreadable without the codec keys.
let env: TestWorkflowEnvironment;
let sandbox: RunningSandbox;
let api: ApiStack;
beforeAll(async () => {
  env = await connectDevServer();
  sandbox = await startSandbox('127.0.0.1', 0);
  api = await startApiStack(env, sandbox);
}, 60_000);
afterAll(async () => {
  await api?.stop();
  await sandbox?.close();
  await env?.teardown();
});

const { History } = proto.temporal.api.history.v1;

/** Every history of the namespace's workflows whose id contains `fragment`, as raw bytes (read without the codec). */
async function rawHistories(
  fragment: string,
): Promise<{ id: string; bytes: Buffer; payloads: proto.temporal.api.common.v1.IPayload[] }[]> {
  const out = [];
  for await (const w of env.client.workflow.list({
    query: `WorkflowId STARTS_WITH "${fragment}" OR WorkflowId STARTS_WITH "step:${fragment}" OR WorkflowId STARTS_WITH "connection:${fragment}" OR WorkflowId STARTS_WITH "workspace:${fragment}"`,
  })) {
    const history = await env.client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
    const bytes = Buffer.from(History.encode(history).finish());
    const payloads: proto.temporal.api.common.v1.IPayload[] = [];
    // Plain by design, and checked by the byte scan below: search attributes (the server indexes
    // them: ids and states) and the SDK's patch markers (a patch name).
    const plainByDesign = new Set(['searchAttributes', 'patch-data']);
    const walk = (v: unknown): void => {
      if (!v || typeof v !== 'object') return;
      if ('metadata' in v && 'data' in v) payloads.push(v as proto.temporal.api.common.v1.IPayload);
      for (const [k, child] of Object.entries(v)) if (!plainByDesign.has(k)) walk(child);
    };
    walk(history);
    out.push({ id: w.workflowId, bytes, payloads });
  }
  return out;
}

describe('payload codec', () => {
  it(
    'leaves no token, hash, ad id or user id readable in any history, and the Web UI endpoint decodes them',
    { timeout: 90_000 },
    async () => {
      const created = await api.call('POST', '/v1/workspaces', ADMIN_KEY, { name: 'private' });
      const key = created.body.apiKey as string;
      const workspaceId = created.body.id as string;
      const token = sandbox.state.newToken();
      await api.call('PUT', '/v1/connections/linkedin', key, {
        accessToken: token,
        refreshToken: 'refresh-secret-123',
      });
      await api.call('PUT', '/v1/connections/linkedin/ad-accounts', key, { adAccountIds: ['501'] });
      const path = '/v1/canvases/c/steps/private';
      await api.call('PUT', path, key, {
        partner: 'linkedin',
        adAccountId: '501',
        audience: { name: 'private', create: true },
        action: 'add',
        fields: ['email', 'gaid'],
      });
      const users = Array.from({ length: 50 }, (_, i) => ({
        id: `user-id-${i}`,
        email: `secret${i}@example.com`,
        gaid: `38400000-8cf0-11bd-b23e-10b96e40${String(i).padStart(4, '0')}`,
      }));
      await api.call('POST', `${path}/users`, key, { users });
      for (let i = 0; i < 100; i++) {
        if ((await api.call('GET', path, key)).body.metrics.synced === 50) break;
        await new Promise((r) => setTimeout(r, 300));
      }
      expect((await api.call('GET', path, key)).body.metrics.synced).toBe(50);

      const histories = await rawHistories(workspaceId);
      expect(histories.map((h) => h.id.split(':')[0]).sort()).toEqual(
        expect.arrayContaining(['connection', 'step', 'step', 'workspace']), // the step and its batch
      );
      const rows = users.map((u) => toRow(partner('linkedin'), ['email', 'gaid'], u)!);
      const secrets = [token, 'refresh-secret-123', ...rows.flat(), ...users.flatMap((u) => [u.id, u.email, u.gaid])];
      for (const h of histories) {
        for (const secret of secrets) expect(h.bytes.includes(secret as string), `${secret} in ${h.id}`).toBe(false);
        for (const p of h.payloads) {
          if (!p.data?.length) continue;
          expect(Buffer.from(p.metadata!.encoding!).toString(), `a plain payload in ${h.id}`).toBe(ENCODING);
        }
      }

      // The Web UI's codec endpoint turns them back into what they were.
      const connection = histories.find((h) => h.id.startsWith('connection:'))!;
      const sealed = connection.payloads.filter((p) => p.data?.length);
      const body = {
        payloads: sealed.map((p) => ({
          metadata: Object.fromEntries(
            Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
          data: Buffer.from(p.data!).toString('base64'),
        })),
      };
      expect((await api.call('POST', '/codec/decode', undefined, body)).status).toBe(401);
      const decoded = await api.call('POST', '/codec/decode', OPERATOR_KEY, body);
      expect(decoded.status).toBe(200);
      const plain = decoded.body.payloads
        .map((p: { data: string }) => Buffer.from(p.data, 'base64').toString())
        .join('\n');
      expect(plain).toContain(token);
      const reencoded = await api.call('POST', '/codec/encode', OPERATOR_KEY, decoded.body);
      expect((await api.call('POST', '/codec/decode', OPERATOR_KEY, reencoded.body)).body).toEqual(decoded.body);
    },
  );

  it('lets only the configured Web UI origin call the codec endpoints from a browser', async () => {
    const preflight = (origin: string) =>
      fetch(`${api.url}/codec/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace',
        },
      });
    const ok = await preflight(UI_ORIGIN);
    expect([ok.status, ok.headers.get('access-control-allow-origin')]).toEqual([204, UI_ORIGIN]);
    expect(ok.headers.get('access-control-allow-headers')).toContain('x-namespace');
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('accepts the access token the Web UI passes when the configured JWKS signed it, and nothing else', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const { privateKey: strangerKey } = await generateKeyPair('RS256');
    const jwks = createServer((_req, res) => {
      void exportJWK(publicKey).then((jwk) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: [{ ...jwk, kid: 'ui', alg: 'RS256' }] }));
      });
    }).listen(0, '127.0.0.1');
    await once(jwks, 'listening');
    const app = express();
    app.use(express.json());
    app.use(
      codecRoutes({
        codec: TEST_CODEC,
        sandbox: false,
        uiOrigins: [UI_ORIGIN],
        verifyAccessToken: accessTokenVerifier({
          jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`,
          issuer: 'https://login.example',
          audience: 'temporal-ui',
        }),
      }),
    );
    app.use(errorHandler(() => {}));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/codec/encode`;
    const token = (key: Parameters<SignJWT['sign']>[0], over: { exp?: string; aud?: string } = {}) =>
      new SignJWT({ sub: 'operator@example.com' })
        .setProtectedHeader({ alg: 'RS256', kid: 'ui' })
        .setIssuer('https://login.example')
        .setAudience(over.aud ?? 'temporal-ui')
        .setExpirationTime(over.exp ?? '5m')
        .sign(key);
    const post = async (bearer: string) =>
      (
        await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
          body: JSON.stringify({ payloads: [] }),
        })
      ).status;
    try {
      expect(await post(await token(privateKey))).toBe(200);
      expect(await post(await token(strangerKey))).toBe(401);
      expect(await post(await token(privateKey, { aud: 'someone-else' }))).toBe(401);
      expect(await post(await token(privateKey, { exp: '-1m' }))).toBe(401);
      expect(await post('not-a-jwt')).toBe(401);
    } finally {
      server.close();
      jwks.close();
    }
  });

  it('keeps old histories readable after a key rotation, and says which key is missing', async () => {
    const before = new AesGcmCodec({ current: 'old', keys: { old: TEST_CODEC_KEYS.keys.old } });
    const payload = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"hashed-value"') };
    const [sealed] = await before.encode([payload]);
    const [opened] = await TEST_CODEC.decode([sealed!]);
    expect(Buffer.from(opened!.data!).toString()).toBe('"hashed-value"');
    const [resealed] = await TEST_CODEC.encode([payload]);
    expect(Buffer.from(resealed!.metadata!['encryption-key-id']!).toString()).toBe('new');
    await expect(before.decode([resealed!])).rejects.toThrow('no codec key "new"');
  });
});
