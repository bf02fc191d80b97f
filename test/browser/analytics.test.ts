import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { ensureUiBuilt } from '../../src/ui/assets.js';
import type { PartnerId } from '../../domain/types.js';
import { connectWithToken, newWorkspace, startApiStack, type ApiStack } from '../helpers/api.js';
import { sandboxControl } from '../helpers/sandbox.js';
import { connectDevServer } from '../helpers/temporal.js';

// The analytics page in a real browser (Debian's Chromium, driven by playwright-core) against
// the whole product: dev server, workers, API serving the built page, sandbox partners.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(
    `[browser tests] skipped: no Chromium at ${CHROMIUM} (install Debian's chromium package, as .ci/run does, or set CHROMIUM_PATH)`,
  );
}

let env: TestWorkflowEnvironment;
let sandbox: RunningSandbox;
let api: ApiStack;
let browser: Browser;

describe.skipIf(!haveChromium)('analytics page in Chromium', () => {
  beforeAll(async () => {
    const uiDir = await ensureUiBuilt((line) => console.warn(`[browser tests] ${line}`));
    if (!uiDir) throw new Error('the analytics page could not be built');
    env = await connectDevServer();
    sandbox = await startSandbox('127.0.0.1', 0);
    api = await startApiStack(env, sandbox, {}, { uiDir });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // This machine's network is closed: Chromium's own background traffic would only fail.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    await mkdir(ARTIFACTS, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await sandbox?.close();
    await env?.teardown();
  });

  const workspace = (name: string) => newWorkspace(api, name);

  /** Connects `partner` with a fresh sandbox token, selects the ad account and launches a step on it. */
  async function launchedStep(key: string, partner: PartnerId, adAccountId: string, path: string): Promise<string> {
    const accessToken = await connectWithToken(api, sandbox, key, partner, adAccountId);
    const launch = await api.call('PUT', path, key, {
      partner,
      adAccountId,
      audience: { name: `${partner} buyers`, create: true },
      action: 'add',
      fields: ['email'],
    });
    expect(launch.status).toBe(201);
    return accessToken;
  }

  async function postUsers(key: string, path: string, n: number, withoutEmail = 0): Promise<void> {
    const users = Array.from({ length: n }, (_, i) =>
      i < withoutEmail ? { id: `x${i}` } : { id: `u${i}`, email: `user${i}@example.com` },
    );
    expect((await api.call('POST', `${path}/users`, key, { users })).status).toBe(202);
  }

  async function signIn(page: Page, key: string): Promise<void> {
    await page.goto(`${api.url}/ui/`);
    await page.getByLabel('Workspace key').fill(key);
    await page.getByLabel('Workspace key').press('Enter'); // the keyboard is enough
  }

  const metric = (page: Page, name: string) => page.locator(`#step-detail [data-metric="${name}"]`);

  it('signs in with a workspace key, lists the connection and the step, and shows users reach Synced', async () => {
    const key = await workspace('spring');
    const path = '/v1/canvases/spring-sale/steps/linkedin-sync';
    await launchedStep(key, 'linkedin', '501', path);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const refusedByPolicy: string[] = []; // the API serves the page with a strict Content-Security-Policy
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) refusedByPolicy.push(m.text());
    });
    try {
      // A wrong key is refused in words, and nothing is shown.
      await signIn(page, 'not-a-key');
      await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/key/i);
      await expect.poll(() => page.locator('[data-partner]').count()).toBe(0);

      await signIn(page, key);
      await page.locator('[data-partner="linkedin"][data-status="connected"]').waitFor();
      // Kept for this tab only: never in local storage.
      expect(await page.evaluate('[sessionStorage.length > 0, localStorage.length]')).toEqual([true, 0]);
      // The list comes from Temporal's visibility, a moment behind the launch; the page refreshes every 5 s.
      const stepButton = page.locator('#steps-list button[data-step="spring-sale/linkedin-sync"]');
      await stepButton.waitFor({ timeout: 20_000 });
      await stepButton.click();

      await postUsers(key, path, 400, 1);
      await metric(page, 'synced').filter({ hasText: /^399$/ }).waitFor({ timeout: 30_000 });
      const shown = Object.fromEntries(
        await Promise.all(
          ['entered', 'proceeded', 'exited', 'synced', 'notSynced', 'pending', 'errored'].map(
            async (m) => [m, await metric(page, m).textContent()] as const,
          ),
        ),
      );
      expect(shown).toEqual({
        entered: '400',
        proceeded: '400',
        exited: '0',
        synced: '399',
        notSynced: '1',
        pending: '0',
        errored: '0',
      });
      expect(await page.locator('#step-detail').getAttribute('data-state')).toBe('active');
      await expect.poll(() => page.locator('#step-detail').textContent()).toMatch(/missing/i); // the reason, in words
      expect(await page.locator('#timeline-chart').isVisible()).toBe(true);
      expect(await page.locator('#timeline-chart').getAttribute('aria-label')).toMatch(/399/);
      await page.screenshot({ path: join(ARTIFACTS, 'analytics.png'), fullPage: true });
      expect(refusedByPolicy).toEqual([]);
    } finally {
      await page.close();
    }
  }, 90_000);

  it('shows a step paused, and its connection needing a reconnect, after the token is revoked at the partner', async () => {
    const key = await workspace('autumn');
    const path = '/v1/canvases/autumn/steps/tiktok-sync';
    const token = await launchedStep(key, 'tiktok', '7001', path);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    try {
      await signIn(page, key);
      const stepButton = page.locator('#steps-list button[data-step="autumn/tiktok-sync"]');
      await stepButton.waitFor({ timeout: 20_000 });
      await stepButton.click();
      await page.locator('#step-detail[data-state="active"]').waitFor();

      const revoked = await sandboxControl(() => sandbox.url, 'tiktok')('/tokens/revoke', { accessToken: token });
      expect(revoked.ok).toBe(true);
      await postUsers(key, path, 200);

      await page.locator('#step-detail[data-state="paused_invalid_token"]').waitFor({ timeout: 30_000 });
      const connection = page.locator('[data-partner="tiktok"][data-status="invalid_token"]');
      await connection.waitFor({ timeout: 15_000 });
      expect(await connection.textContent()).toMatch(/reconnect/i);
      expect(await metric(page, 'pending').textContent()).toBe('200');
      await page.screenshot({ path: join(ARTIFACTS, 'analytics-paused.png'), fullPage: true });
    } finally {
      await page.close();
    }
  }, 90_000);
});
