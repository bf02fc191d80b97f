import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import proto from '@temporalio/proto';
import { canConnect } from '../../src/temporal/process.js';
import { currentBuildId } from '../../src/temporal/worker.js';
import { addSignal, countdownWorkflow, finishSignal, stateQuery } from '../fixtures/workflows/countdown.js';
import { freePort } from '../helpers/ports.js';
import { runStart, type StartedProcess } from '../helpers/service.js';
import { connectDevServer, uniqueTaskQueue, withWorker } from '../helpers/temporal.js';

const execFileAsync = promisify(execFile);

describe('npm start', () => {
  let dataDir: string;
  let ports: { api: number; temporal: number; ui: number; sandbox: number; sdkMetrics: number };
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'audience-sync-start-'));
    ports = {
      api: await freePort(),
      temporal: await freePort(),
      ui: await freePort(),
      sandbox: await freePort(),
      sdkMetrics: await freePort(),
    };
    env = {
      API_PORT: String(ports.api),
      TEMPORAL_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      SANDBOX_PORT: String(ports.sandbox),
      SDK_METRICS_PORT: String(ports.sdkMetrics),
      DATA_DIR: dataDir,
    };
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  async function stopWithSigterm(svc: StartedProcess): Promise<void> {
    svc.child.kill('SIGTERM');
    expect(await svc.exited).toBe(0);
    for (const port of Object.values(ports)) expect(await canConnect('127.0.0.1', port)).toBe(false);
    // No orphan: nothing still runs on this test's data dir (the dev server's SQLite file).
    expect(() => execFileSync('pgrep', ['-f', dataDir])).toThrow();
  }

  it(
    'runs Temporal, the Web UI, the worker and a healthy API; a restart keeps running workflows',
    { timeout: 180_000 },
    async () => {
      const first = runStart(env);
      await first.waitFor('press Ctrl-C to stop');
      // Worker Versioning: the worker's build (the workflow bundle's hash) is made current as it starts.
      const build = /worker build (wf-[0-9a-f]{16}) of deployment audience-sync \(current\)/.exec(first.output())?.[1];
      expect(build, first.output()).toBeTruthy();
      expect(first.output()).toContain(`http://127.0.0.1:${ports.api}`);
      expect(first.output()).toContain(`Web UI       http://127.0.0.1:${ports.ui}`);
      // The analytics page, served by the API.
      expect(first.output()).toContain(`Analytics    http://127.0.0.1:${ports.api}/ui/`);
      const page = await fetch(`http://127.0.0.1:${ports.api}/ui/`);
      expect([page.status, await page.text()]).toEqual([200, expect.stringContaining('Audience Sync analytics')]);
      expect((await fetch(`http://127.0.0.1:${ports.api}/ui`, { redirect: 'manual' })).status).toBe(301);

      const health = await fetch(`http://127.0.0.1:${ports.api}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', temporal: 'up' });
      expect((await fetch(`http://127.0.0.1:${ports.ui}/`)).status).toBe(200);
      // The Web UI decodes payloads through the API's codec endpoint.
      const uiSettings = await (await fetch(`http://127.0.0.1:${ports.ui}/api/v1/settings`)).text();
      expect(uiSettings).toContain(`http://127.0.0.1:${ports.api}/codec`);

      // The README walk-through, verbatim, against this service: workspace → OAuth → launch → users → Synced.
      const adminKey = (await readFile(join(dataDir, 'admin-key'), 'utf8')).trim();
      expect(first.output()).toContain(`admin key: ${adminKey}`);
      const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
      const walkthrough = /<!-- walkthrough:start -->\s*```sh\n([\s\S]*?)```/.exec(readme)![1]!;
      // Async: a blocked event loop would keep reusing keep-alive sockets the server has since closed.
      const { stdout: out } = await execFileAsync('bash', ['-euo', 'pipefail', '-c', walkthrough], {
        env: { ...process.env, API: `http://127.0.0.1:${ports.api}`, AUDIENCE_SYNC_ADMIN_KEY: adminKey },
        encoding: 'utf8',
        timeout: 90_000,
      });
      expect(out).toContain('"status":"connected"');
      expect(out).toContain('check ok: true');
      expect(out).toContain('dry run: audience exists false');
      expect(out).toContain('"state":"active"');
      expect(out).toMatch(/synced: 2\b/);
      // Prometheus: the API's own metrics and the worker SDK's, in one scrape.
      const scrape = await (await fetch(`http://127.0.0.1:${ports.api}/metrics`)).text();
      expect(scrape).toContain('audience_sync_users_entered_total{partner="linkedin"} 3');
      expect(scrape).toMatch(/^temporal_\w+/m);

      const address = `127.0.0.1:${ports.temporal}`;
      const taskQueue = uniqueTaskQueue();
      const workflowId = `survives-restart-${taskQueue}`;
      let client = await connectDevServer(address);
      expect(await currentBuildId(client.connection, 'default', 'audience-sync')).toBe(build);
      // The partner rate limits are set on the server before the workers poll.
      const config = async (partner: string) =>
        (
          await client.connection.workflowService.describeTaskQueue({
            namespace: 'default',
            taskQueue: { name: `audience-sync-${partner}` },
            taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
            reportConfig: true,
          })
        ).config;
      expect((await config('linkedin'))?.fairnessKeysRateLimitDefault?.rateLimit?.requestsPerSecond).toBe(10);
      expect((await config('pinterest'))?.fairnessKeysRateLimitDefault?.rateLimit?.requestsPerSecond).toBe(6);
      expect((await config('tiktok'))?.queueRateLimit?.rateLimit?.requestsPerSecond).toBe(10);
      await withWorker(client, { taskQueue }, async () => {
        const handle = await client.client.workflow.start(countdownWorkflow, {
          taskQueue,
          workflowId,
          args: ['1 day'],
        });
        await handle.signal(addSignal, 7);
        expect(await handle.query(stateQuery)).toMatchObject({ total: 7 });
      });
      await client.teardown();

      // Graceful stop: users accepted just before are not lost, and a request in flight gets its answer.
      const api = `http://127.0.0.1:${ports.api}`;
      const json = { 'content-type': 'application/json' };
      const sandboxUrl = `http://127.0.0.1:${ports.sandbox}/_sandbox/linkedin`;
      await fetch(`${sandboxUrl}/tokens`, { method: 'POST', headers: json, body: '{"accessToken":"drain-token"}' });
      const ws = (await (
        await fetch(`${api}/v1/workspaces`, {
          method: 'POST',
          headers: { ...json, authorization: `Bearer ${adminKey}` },
          body: '{"name":"drain"}',
        })
      ).json()) as { apiKey: string };
      const auth = { ...json, authorization: `Bearer ${ws.apiKey}` };
      const put = (path: string, body: unknown) =>
        fetch(`${api}${path}`, { method: 'PUT', headers: auth, body: JSON.stringify(body) });
      expect((await put('/v1/connections/linkedin', { accessToken: 'drain-token' })).status).toBe(200);
      expect((await put('/v1/connections/linkedin/ad-accounts', { adAccountIds: ['501'] })).status).toBe(200);
      const step = '/v1/canvases/c/steps/drain';
      const launch = {
        partner: 'linkedin',
        adAccountId: '501',
        audience: { name: 'drain', create: true },
        action: 'add',
        fields: ['email'],
      };
      expect((await put(step, launch)).status).toBe(201);
      const users = Array.from({ length: 500 }, (_, i) => ({ id: `${i}`, email: `drain${i}@example.com` }));
      const posted = await fetch(`${api}${step}/users`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ users }),
      });
      expect(posted.status).toBe(202);
      // A connect whose partner answers slowly is in flight when SIGTERM comes.
      await fetch(`${sandboxUrl}/faults`, {
        method: 'POST',
        headers: json,
        body: '{"status":503,"count":1,"delayMs":2000}',
      });
      const inflight = put('/v1/connections/linkedin', { accessToken: 'drain-token' });
      await new Promise((r) => setTimeout(r, 300));
      await stopWithSigterm(first);
      expect(first.output()).toContain('stopped');
      expect((await inflight).status).toBe(502); // the partner's slow failure, answered — not a cut connection

      const second = runStart(env);
      await second.waitFor('press Ctrl-C to stop');
      // The same code: the same build, still current, no run to move.
      expect(second.output()).toContain(`worker build ${build} of deployment audience-sync (current)\n`);
      client = await connectDevServer(address);
      await withWorker(client, { taskQueue }, async () => {
        const handle = client.client.workflow.getHandle(workflowId);
        expect(await handle.query(stateQuery)).toEqual({ total: 7, signals: 1, finished: false });
        await handle.signal(finishSignal);
        expect(await handle.result()).toMatchObject({ total: 7, finished: true });
      });
      await client.teardown();
      // Everything accepted before the stop is still accounted for after the restart (keys and codec
      // keys kept in DATA_DIR; the in-memory sandbox partner has forgotten its token, so they wait).
      const after = (await (await fetch(`${api}${step}`, { headers: auth })).json()) as {
        metrics: Record<string, number>;
      };
      const m = after.metrics;
      expect(m.entered).toBe(500);
      expect(m.pending! + m.synced! + m.errored! + m.notSynced!).toBe(500);
      await stopWithSigterm(second);
    },
  );

  it('refuses a bad setting in one clear line and exits 1', async () => {
    const svc = runStart({ ...env, API_PORT: 'three-thousand' });
    expect(await svc.exited).toBe(1);
    const lines = svc.output().trim().split('\n');
    expect(lines).toEqual(['audience-sync: invalid configuration: API_PORT must be a port number']);
  });

  it('refuses a partner API version override in the wrong form, naming the variable', async () => {
    const svc = runStart({ ...env, LINKEDIN_API_VERSION: 'latest' });
    expect(await svc.exited).toBe(1);
    expect(svc.output().trim().split('\n')).toEqual([
      'audience-sync: invalid configuration: LINKEDIN_API_VERSION must be a LinkedIn API version of the form YYYYMM',
    ]);
  });

  it(
    'warns, and still starts, when a partner API version in force is (nearly) sunset',
    { timeout: 120_000 },
    async () => {
      const svc = runStart({ ...env, FACEBOOK_GRAPH_VERSION: 'v24.0' });
      try {
        await svc.waitFor('press Ctrl-C to stop');
        expect(svc.output()).toContain(
          'warning: Facebook API version v24.0 was sunset on 2026-11-10 (FACEBOOK_GRAPH_VERSION)',
        );
      } finally {
        // Its clean stop is the first test's to prove; here the process only has to end.
        svc.child.kill('SIGTERM');
        await svc.exited;
      }
    },
  );

  it('says so in one line when an external TEMPORAL_ADDRESS does not answer', async () => {
    const svc = runStart({ ...env, TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
    expect(await svc.exited).toBe(1);
    expect(svc.output().trim().split('\n')).toEqual([
      expect.stringMatching(/^audience-sync: Temporal at 127\.0\.0\.1:\d+ does not answer for namespace "default"/),
    ]);
  });

  it('says which port is taken instead of half-starting', async () => {
    const blocker = createServer().listen(ports.api, '127.0.0.1');
    try {
      const svc = runStart(env);
      expect(await svc.exited).toBe(1);
      expect(svc.output()).toContain(
        `port ${ports.api} on 127.0.0.1 is already in use; stop what uses it or set API_PORT`,
      );
      expect(await canConnect('127.0.0.1', ports.temporal)).toBe(false);
    } finally {
      blocker.close();
    }
  });
});
