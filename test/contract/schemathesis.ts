/**
 * `npm run test:contract`: schemathesis, every check (its default), against `npm start` in
 * sandbox mode — the document `GET /openapi.json` serves, with a workspace key, LinkedIn
 * connected (ad account 501 selected) and a step launched, so generated requests reach real
 * answers, not only 404s. Zero failures, or it exits non-zero. What the API answers on purpose
 * otherwise is in schemathesis.toml, one line and its reason each. Extra arguments go to
 * `schemathesis run` (`npm run test:contract -- --seed 1`).
 *
 * The schemathesis binary: `$SCHEMATHESIS`, else `schemathesis` on PATH (`pip install
 * schemathesis`; .ci/run installs it in a virtualenv).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.js';
import { runStart } from '../helpers/service.js';

const ADMIN_KEY = `adm_schemathesis_${'0'.repeat(24)}`;
/** Examples per operation and phase: about 2,700 requests in 90 s on 2 cores (300: 6,500 in 7 minutes). */
const MAX_EXAMPLES = Number(process.env.SCHEMATHESIS_MAX_EXAMPLES ?? 100);

const dataDir = await mkdtemp(join(tmpdir(), 'audience-sync-schemathesis-'));
const ports = {
  API_PORT: await freePort(),
  TEMPORAL_PORT: await freePort(),
  TEMPORAL_UI_PORT: await freePort(),
  SANDBOX_PORT: await freePort(),
  SDK_METRICS_PORT: await freePort(),
};
const api = `http://127.0.0.1:${ports.API_PORT}`;
const sandbox = `http://127.0.0.1:${ports.SANDBOX_PORT}`;
const service = runStart({
  ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
  DATA_DIR: dataDir,
  AUDIENCE_SYNC_MODE: 'sandbox',
  AUDIENCE_SYNC_ADMIN_KEY: ADMIN_KEY,
});

async function call(method: string, url: string, key: string | undefined, body?: unknown): Promise<any> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

let code = 1;
try {
  await service.waitFor('press Ctrl-C to stop', 180_000);
  const { apiKey } = await call('POST', `${api}/v1/workspaces`, ADMIN_KEY, { name: 'schemathesis' });
  // The token schemathesis.toml hands out half the time: the sandbox takes it as one it issued.
  const accessToken = 'sbx-schemathesis';
  await call('POST', `${sandbox}/_sandbox/linkedin/tokens`, undefined, { accessToken });
  await call('PUT', `${api}/v1/connections/linkedin`, apiKey, { accessToken });
  await call('PUT', `${api}/v1/connections/linkedin/ad-accounts`, apiKey, { adAccountIds: ['501'] });
  await call('PUT', `${api}/v1/canvases/canvas-1/steps/step-1`, apiKey, {
    partner: 'linkedin',
    adAccountId: '501',
    audience: { name: 'schemathesis', create: true },
    action: 'add',
    fields: ['email'],
  });
  const bin = process.env.SCHEMATHESIS ?? 'schemathesis';
  const args = [
    'run',
    `${api}/openapi.json`,
    '--header',
    `Authorization: Bearer ${apiKey}`,
    '--max-examples',
    String(MAX_EXAMPLES),
    ...process.argv.slice(2),
  ];
  console.log(`$ ${bin} ${args.join(' ').replace(apiKey, '<workspace key>')}`);
  const started = Date.now();
  let out = '';
  code = await new Promise<number>((resolve, reject) => {
    const child = spawn(bin, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, SCHEMATHESIS_ADMIN_KEY: ADMIN_KEY },
    });
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (c) => resolve(c ?? 1));
  });
  // Its summary ("2667 generated, 2667 passed" or "… found 3 unique failures"), as one plain line.
  const generated = Number(/(\d+) generated/.exec(out)?.[1] ?? 0);
  const found = Number(/generated, (\d+) found/.exec(out)?.[1] ?? 0);
  const failed = code === 0 ? found : Math.max(found, 1);
  const passed = Math.max(generated - found, 0);
  // Its report goes to a file and, on failure, to the output. A passing run prints only the
  // plain line below: schemathesis's report mimics pytest's ("=== test session starts ==="),
  // and CI, reading the run's closing lines, once took the whole run for a pytest one.
  const report = join(tmpdir(), 'audience-sync-schemathesis-report.txt');
  await writeFile(report, out);
  if (code !== 0) process.stdout.write(out);
  console.log(`schemathesis report: ${report}`);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`schemathesis (${seconds} s): ${passed} passed, ${failed} failed`);
} catch (err) {
  console.error(err);
  console.error(service.output().slice(-5_000));
} finally {
  service.child.kill('SIGTERM');
  await service.exited;
  await rm(dataDir, { recursive: true, force: true });
}
process.exit(code);
