import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { ADMIN_KEY, startApiStack, type ApiStack } from '../helpers/api.js';
import { connectDevServer } from '../helpers/temporal.js';

// The API's own partner calls (connect time) take their slots from the same gate as the workers.
let env: TestWorkflowEnvironment;
let sandbox: RunningSandbox;
let api: ApiStack;
beforeAll(async () => {
  env = await connectDevServer();
  sandbox = await startSandbox('127.0.0.1', 0);
  api = await startApiStack(env, sandbox, { TIKTOK_REQUESTS_PER_SECOND: '2' });
}, 60_000);
afterAll(async () => {
  await api?.stop();
  await sandbox?.close();
  await env?.teardown();
});

describe('HTTP API: partner calls within the limit', () => {
  it('paces six workspaces connecting at once to the app-wide limit (TikTok, 2/s here), each answered', async () => {
    const keys = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const res = await api.call('POST', '/v1/workspaces', ADMIN_KEY, { name: `gate-${i}` });
        return res.body.apiKey as string;
      }),
    );
    const started = Date.now();
    const answers = await Promise.all(
      keys.map((key) => api.call('PUT', '/v1/connections/tiktok', key, { accessToken: sandbox.state.newToken() })),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const stats = sandbox.state.statsOf('tiktok');
    expect(stats.requests).toBe(6);
    expect(stats.all.maxRequestsInAnySecond).toBeLessThanOrEqual(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000); // 6 requests at 2 a second
  });
});
