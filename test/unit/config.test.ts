import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('defaults to the documented local ports, loopback and the embedded dev server', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ apiPort: 3000, sandboxPort: 4010, host: '127.0.0.1' });
    expect(c.temporal).toMatchObject({ address: '127.0.0.1:7233', uiPort: 8233, namespace: 'default', embedded: true });
    expect(c.dataDir).toMatch(/\.data$/);
  });

  it('takes ports and the data dir from env', () => {
    const c = loadConfig({ API_PORT: '3100', TEMPORAL_PORT: '7300', TEMPORAL_UI_PORT: '8300', DATA_DIR: '/tmp/x' });
    expect(c.apiPort).toBe(3100);
    expect(c.temporal).toMatchObject({ address: '127.0.0.1:7300', uiPort: 8300 });
    expect(c.dataDir).toBe('/tmp/x');
  });

  it('uses an external Temporal, and starts none, when TEMPORAL_ADDRESS is set', () => {
    const c = loadConfig({ TEMPORAL_ADDRESS: 'temporal.internal:7233' });
    expect(c.temporal).toMatchObject({ address: 'temporal.internal:7233', embedded: false });
  });

  it('runs the API alone, against sandbox partners elsewhere, with a prebuilt bundle and a backlog bound', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bundle-'));
    await writeFile(join(dir, 'w.js'), '');
    const c = loadConfig({
      AUDIENCE_SYNC_WORKER: 'off',
      SANDBOX_URL: 'http://sandbox.internal:4010/',
      AUDIENCE_SYNC_WORKFLOW_BUNDLE: join(dir, 'w.js'),
      STEP_MAX_PENDING_USERS: '20000',
    });
    expect(c).toMatchObject({
      runWorker: false,
      sandboxUrl: 'http://sandbox.internal:4010',
      workflowBundle: join(dir, 'w.js'),
      maxPendingUsersPerStep: 20_000,
    });
    expect(loadConfig({})).toMatchObject({ runWorker: true, sandboxUrl: undefined, maxPendingUsersPerStep: undefined });
    expect(() =>
      loadConfig({
        AUDIENCE_SYNC_WORKER: 'maybe',
        SANDBOX_URL: 'ftp://x',
        AUDIENCE_SYNC_WORKFLOW_BUNDLE: join(dir, 'missing.js'),
        STEP_MAX_PENDING_USERS: '0',
        PARTNER_TIMEOUT_MS: '90000',
      }),
    ).toThrow(
      new ConfigError(
        [
          'invalid configuration: SANDBOX_URL must be an http(s) URL',
          'invalid configuration: AUDIENCE_SYNC_WORKER must be on or off',
          'invalid configuration: AUDIENCE_SYNC_WORKFLOW_BUNDLE must name a readable file',
          'invalid configuration: PARTNER_TIMEOUT_MS must be at most 50000 (a partner call has 1 minute in all)',
          'invalid configuration: STEP_MAX_PENDING_USERS must be at least 1',
        ].join('\n'),
      ),
    );
  });

  it('versions the workers: deployment audience-sync, the build from the bundle, made current in sandbox mode only', () => {
    expect(loadConfig({}).versioning).toEqual({
      deploymentName: 'audience-sync',
      buildId: undefined,
      setCurrent: true,
    });
    expect(
      loadConfig({ AUDIENCE_SYNC_MODE: 'production', AUDIENCE_SYNC_ADMIN_KEY: 'a'.repeat(24) }).versioning,
    ).toEqual({
      deploymentName: 'audience-sync',
      buildId: undefined,
      setCurrent: false,
    });
    expect(
      loadConfig({
        AUDIENCE_SYNC_DEPLOYMENT_NAME: 'audience-sync-eu',
        AUDIENCE_SYNC_BUILD_ID: 'v1.4.2+9f3c2ab',
        AUDIENCE_SYNC_SET_CURRENT_VERSION: 'off',
      }).versioning,
    ).toEqual({ deploymentName: 'audience-sync-eu', buildId: 'v1.4.2+9f3c2ab', setCurrent: false });
    expect(loadConfig({ AUDIENCE_SYNC_VERSIONING: 'off' }).versioning).toBeUndefined();
    expect(() =>
      loadConfig({
        AUDIENCE_SYNC_VERSIONING: 'maybe',
        AUDIENCE_SYNC_DEPLOYMENT_NAME: 'audience.sync',
        AUDIENCE_SYNC_BUILD_ID: 'a b',
        AUDIENCE_SYNC_SET_CURRENT_VERSION: 'yes',
      }),
    ).toThrow(
      new ConfigError(
        [
          'invalid configuration: AUDIENCE_SYNC_VERSIONING must be on or off',
          'invalid configuration: AUDIENCE_SYNC_DEPLOYMENT_NAME must be 1 to 255 characters without spaces, dots, colons or quotes',
          'invalid configuration: AUDIENCE_SYNC_BUILD_ID must be 1 to 255 characters without spaces or quotes',
          'invalid configuration: AUDIENCE_SYNC_SET_CURRENT_VERSION must be on or off',
        ].join('\n'),
      ),
    );
  });

  it('connects to Temporal Cloud with an API key (TLS implied) or with mTLS files', async () => {
    expect(loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k' }).temporal).toMatchObject({
      tls: true,
      apiKey: 'k',
      embedded: false,
    });
    const dir = await mkdtemp(join(tmpdir(), 'tls-'));
    await writeFile(join(dir, 'c.pem'), 'CERT');
    await writeFile(join(dir, 'k.pem'), 'KEY');
    const c = loadConfig({
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'c.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'k.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'ns.acct.tmprl.cloud',
    });
    expect(c.temporal.tls).toMatchObject({
      clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') },
      serverNameOverride: 'ns.acct.tmprl.cloud',
    });
    expect(() => loadConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'c.pem') })).toThrow(
      'TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together',
    );
    expect(loadConfig({}).temporal.tls).toBeUndefined();
  });

  it('says every bad value at once, one line each, partner URLs and limits included', () => {
    const attempt = () =>
      loadConfig({
        API_PORT: 'x',
        TEMPORAL_TLS_CLIENT_CERT_PATH: '/no/such/file.pem',
        LINKEDIN_REST_URL: 'not a url',
        TIKTOK_REQUESTS_PER_SECOND: '0',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (err) {
      expect((err as Error).message.split('\n')).toEqual([
        'invalid configuration: API_PORT must be a port number',
        'invalid configuration: TEMPORAL_TLS_CLIENT_CERT_PATH must name a readable file',
        'invalid configuration: LINKEDIN_REST_URL must be a URL',
        'invalid configuration: TIKTOK_REQUESTS_PER_SECOND must be a positive number (got "0")',
      ]);
    }
  });

  it.each([
    ['API_PORT', 'abc', 'API_PORT must be a port number'],
    ['TEMPORAL_PORT', '70000', 'TEMPORAL_PORT must be a port number from 1 to 65535'],
    ['TEMPORAL_UI_PORT', '80.5', 'TEMPORAL_UI_PORT must be a whole port number'],
    ['TEMPORAL_ADDRESS', 'no-port-here', 'TEMPORAL_ADDRESS must be host:port'],
    ['DATA_DIR', '', 'DATA_DIR must not be empty'],
  ])('refuses %s=%j in one line naming the variable', (name, value, message) => {
    const attempt = () => loadConfig({ [name]: value });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (err) {
      expect((err as Error).message).not.toContain('\n');
    }
  });
});
