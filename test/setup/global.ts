import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../../src/temporal/devserver.js';
import { writeWorkflowBundle } from '../../src/temporal/worker.js';
import { ensureUiBuilt } from '../../src/ui/assets.js';
import { defaultToolchainContext, resolveAll } from '../../src/temporal/toolchain/index.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../../domain/search-attributes.js';
import { freePort } from '../helpers/ports.js';

export interface HarnessInfo {
  /** The run's dev server (gRPC), namespace `default`. */
  devServerAddress: string;
  cliPath: string;
  testServerPath: string;
  /** Workflow code (product + test fixtures), bundled once for the whole run. */
  workflowBundlePath: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    harness: HarnessInfo;
  }
}

const FIXTURE_WORKFLOWS = fileURLToPath(new URL('../fixtures/workflows/index.ts', import.meta.url));

/**
 * A port handed out by the OS can be taken again before the server binds it, so a dev server
 * that dies while starting gets two more tries on new ports (its last output is kept in the error).
 */
async function startWithRetry(exe: string, dir: string, tries = 3): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServer({
        exe,
        host: '127.0.0.1',
        port: await freePort(),
        dbFile: join(dir, `temporal-${attempt}.db`),
        namespace: 'default',
        // As `npm start` registers them (the time-skipping servers: test/helpers/temporal.ts).
        searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      });
    } catch (err) {
      if (attempt >= tries) throw err;
      console.error(
        `[harness] dev server attempt ${attempt} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const bins = await resolveAll(defaultToolchainContext(process.env, (l) => console.error(`[harness] ${l}`)));
  const dir = await mkdtemp(join(tmpdir(), 'audience-sync-test-'));
  const workflowBundlePath = join(dir, 'workflow-bundle.js');
  await writeWorkflowBundle(workflowBundlePath, FIXTURE_WORKFLOWS);
  // Built once here: test files (and `npm start` under test) then find it fresh, and never race two builds.
  if (!(await ensureUiBuilt((l) => console.error(`[harness] ${l}`))))
    throw new Error('the analytics page did not build');
  const dev = await startWithRetry(bins.cli.path, dir);
  project.provide('harness', {
    devServerAddress: dev.address,
    cliPath: bins.cli.path,
    testServerPath: bins['test-server'].path,
    workflowBundlePath,
  });
  return async () => {
    await dev.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
