/**
 * `npm run build`'s output runs as the image runs it (plain node, the prebuilt workflow
 * bundle): the worker finds its failure converter beside it as `.js` (a `.ts` path only tsx
 * could load), and `start:built` serves a healthy API with its worker.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawnServer } from '../../src/temporal/process.js';
import { freePort } from '../helpers/ports.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run build', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    await promisify(execFile)('npm', ['run', '--silent', 'build'], { cwd: ROOT });
    dataDir = await mkdtemp(join(tmpdir(), 'audience-sync-build-'));
    env = {
      ...process.env,
      TEMPORAL_ADDRESS: inject('harness').devServerAddress,
      TEMPORAL_TASK_QUEUE: `build-${randomBytes(4).toString('hex')}`,
      // A deployment of its own on the run's shared dev server (its current build is the deployment's).
      AUDIENCE_SYNC_DEPLOYMENT_NAME: `build-${randomBytes(4).toString('hex')}`,
      DATA_DIR: dataDir,
      AUDIENCE_SYNC_CODEC_KEYS: `build:${randomBytes(32).toString('base64')}`,
      AUDIENCE_SYNC_WORKFLOW_BUNDLE: join(ROOT, 'dist/workflows.bundle.js'),
    };
  }, 180_000);
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Runs a built entry point until a line matches `ready` (or it exits); answers its output. */
  async function runUntil(entry: string, extra: NodeJS.ProcessEnv, ready: string, then = async () => {}) {
    let output = '';
    let stop = async () => {};
    await new Promise<void>((resolve) => {
      const child = spawnServer(process.execPath, [join(ROOT, entry)], {
        env: { ...env, ...extra },
        onOutput: (line) => {
          output += `${line}\n`;
          if (line.includes(ready)) resolve();
        },
      });
      void child.exited.then(() => resolve());
      stop = () => child.stop(15_000);
    });
    try {
      await then();
    } finally {
      await stop();
    }
    return output;
  }

  it('compiles a worker that starts and polls with plain node', { timeout: 120_000 }, async () => {
    const output = await runUntil('dist/src/bin/worker.js', { SANDBOX_URL: 'http://127.0.0.1:9' }, '(current)');
    expect(output).toContain('polling ');
    // Versioned (sandbox mode makes its build current): the prebuilt bundle's hash is the build.
    expect(output).toMatch(/worker build wf-[0-9a-f]{16} of deployment build-[0-9a-f]{8} \(current\)/);
    expect(output).not.toMatch(/Could not find a file|ERR_/);
  });

  it(
    'compiles the API with its worker and sandbox partners, and it answers healthy',
    { timeout: 120_000 },
    async () => {
      const apiPort = await freePort();
      const ports = {
        API_PORT: String(apiPort),
        SANDBOX_PORT: String(await freePort()),
        SDK_METRICS_PORT: String(await freePort()),
      };
      let health = 0;
      const output = await runUntil('dist/src/bin/start.js', ports, 'press Ctrl-C to stop', async () => {
        health = (await fetch(`http://127.0.0.1:${apiPort}/healthz`)).status;
      });
      expect(output).toContain('press Ctrl-C to stop');
      expect(health).toBe(200);
    },
  );
});
