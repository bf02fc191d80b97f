import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toRow } from '../../partners/identifiers.js';
import { createLogger, scrub } from '../../src/observability/log.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { ADMIN_KEY, startApiStack, type ApiStack } from '../helpers/api.js';
import { connectDevServer } from '../helpers/temporal.js';
import { partner } from '../helpers/partners.js';

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

describe('metrics and logs', () => {
  it(
    'counts requests by route and status, users by partner and outcome, and logs nothing private',
    { timeout: 60_000 },
    async () => {
      const key = (await api.call('POST', '/v1/workspaces', ADMIN_KEY, { name: 'observed' })).body.apiKey as string;
      const token = sandbox.state.newToken();
      await api.call('PUT', '/v1/connections/tiktok', key, { accessToken: token });
      await api.call('PUT', '/v1/connections/tiktok/ad-accounts', key, { adAccountIds: ['7001'] });
      const path = '/v1/canvases/c/steps/observed';
      await api.call('PUT', path, key, {
        partner: 'tiktok',
        adAccountId: '7001',
        audience: { name: 'observed', create: true },
        action: 'add',
        fields: ['email'],
      });
      const users = Array.from({ length: 30 }, (_, i) => ({ id: `u${i}`, email: `watched${i}@example.com` }));
      users.push({ id: 'nomail' } as (typeof users)[number]);
      await api.call('POST', `${path}/users`, key, { users });
      for (let i = 0; i < 100 && (await api.call('GET', path, key)).body.metrics.synced < 30; i++) {
        await new Promise((r) => setTimeout(r, 200));
      }

      const res = await fetch(`${api.url}/metrics`);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      const value = (line: string) =>
        Number(
          text
            .split('\n')
            .find((l) => l.startsWith(line))
            ?.split(' ')
            .at(-1),
        );
      expect(
        value(
          'audience_sync_http_requests_total{method="POST",route="/v1/canvases/:canvasId/steps/:stepId/users",status="202"}',
        ),
      ).toBe(1);
      expect(value('audience_sync_users_entered_total{partner="tiktok"}')).toBe(31);
      expect(value('audience_sync_users_not_synced_total{partner="tiktok",reason="missing_fields"}')).toBe(1);
      expect(value('audience_sync_partner_users_total{partner="tiktok",outcome="synced"}')).toBe(30);
      expect(value('audience_sync_partner_requests_total{partner="tiktok",outcome="ok"}')).toBeGreaterThanOrEqual(2);
      expect(text).toContain('audience_sync_http_request_duration_seconds_bucket');
      expect(text).not.toContain('observed'); // no ids in labels

      const logs = api.logLines.join('');
      expect(api.logLines.length).toBeGreaterThan(5);
      const first = JSON.parse(api.logLines[0]!) as Record<string, unknown>;
      expect(first).toMatchObject({ msg: 'request', requestId: expect.any(String), status: expect.any(Number) });
      const hashes = users.filter((u) => u.email).map((u) => toRow(partner('tiktok'), ['email'], u)![0]!);
      for (const secret of [key, token, ADMIN_KEY, users[0]!.email, hashes[0]!, 'watched']) {
        expect(logs.includes(secret), secret).toBe(false);
      }
    },
  );

  it('scrubs keys, tokens, hashes, emails and ad ids from any message', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l: string) => void lines.push(l) });
    const hash = 'a'.repeat(64);
    log.error(
      `LinkedIn said: Bearer abc.def for ada@example.com, hash ${hash}, gaid 38400000-8cf0-11bd-b23e-10b96e40000d, key ask_ws0123456789abcdef01234567_${'x'.repeat(43)}`,
    );
    log.info({ user: { email: 'grace@example.com', accessToken: 'tok-123' } }, 'entry');
    const out = lines.join('');
    for (const secret of [
      'abc.def',
      'ada@example.com',
      hash,
      '38400000-8cf0',
      'ask_ws',
      'grace@example.com',
      'tok-123',
    ]) {
      expect(out.includes(secret), secret).toBe(false);
    }
    expect(scrub('nothing secret here')).toBe('nothing secret here');
  });
});
