/**
 * `npm run build`'s output runs: the compiled worker finds its failure converter and workflows
 * as `.js` beside it (they were `.ts` paths, which only tsx could load).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { spawnServer } from '../../src/temporal/process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run build', () => {
  it('compiles a worker that starts and polls with plain node', { timeout: 180_000 }, async () => {
    await promisify(execFile)('npm', ['run', '--silent', 'build'], { cwd: ROOT });
    const dataDir = await mkdtemp(join(tmpdir(), 'audience-sync-build-'));
    let output = '';
    let stop = async () => {};
    const polling = new Promise<void>((resolve) => {
      const worker = spawnServer(process.execPath, [join(ROOT, 'dist/src/bin/worker.js')], {
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: inject('harness').devServerAddress,
          TEMPORAL_TASK_QUEUE: `build-${randomBytes(4).toString('hex')}`,
          SANDBOX_URL: 'http://127.0.0.1:9',
          DATA_DIR: dataDir,
          AUDIENCE_SYNC_CODEC_KEYS: `build:${randomBytes(32).toString('base64')}`,
        },
        onOutput: (line) => {
          output += `${line}\n`;
          if (line.includes('polling ')) resolve();
        },
      });
      void worker.exited.then(() => resolve());
      stop = () => worker.stop(15_000);
    });
    try {
      await polling;
      expect(output).toContain('polling ');
      expect(output).not.toMatch(/Could not find a file|ERR_/);
    } finally {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
