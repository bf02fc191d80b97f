/**
 * A partner token revoked mid-sync for 30 minutes (time-skipping: seconds here): every step on
 * the connection pauses — no partner call — while users keep arriving, and resumes on
 * reconnect; nobody is lost or errored, on any partner.
 */
import { describe, expect, it } from 'vitest';
import { connectionQuery, setCredentialsSignal } from '../../domain/messages.js';
import {
  FakePartner,
  aConfig,
  connect,
  enter,
  entry,
  launched,
  metrics,
  stepIds,
  until,
  withEngine,
} from '../helpers/engine.js';
import { timeSkippingServerPerTest } from '../helpers/temporal.js';
import { PARTNER_IDS } from '../helpers/partners.js';

const ts = timeSkippingServerPerTest();

describe('token revoked for 30 minutes', () => {
  it('pauses every partner’s step while users keep arriving, then resumes on reconnect with nobody lost', async () => {
    const partners = Object.fromEntries(PARTNER_IDS.map((p) => [p, new FakePartner(() => ts.env.currentTimeMs())]));
    await withEngine(ts.env, partners, async (engine) => {
      const connections = await Promise.all(PARTNER_IDS.map((p) => connect(engine, p)));
      const steps = await Promise.all(
        PARTNER_IDS.map((p) => launched(engine, aConfig({ partner: p }), stepIds(engine, `step-${p}`))),
      );
      for (const step of steps) await enter(step, entry(1_000));
      for (const step of steps) await until(step, (v) => v.metrics.synced === 1_000);

      // Revoked at the partner: the next call of each step finds out, and its step pauses.
      for (const p of PARTNER_IDS) partners[p]!.revokedThrough = 1;
      for (const step of steps) await enter(step, entry(500));
      await ts.env.sleep('6 seconds');
      for (const step of steps) await until(step, (v) => v.state === 'paused_invalid_token');
      const callsWhenPaused = PARTNER_IDS.map((p) => partners[p]!.calls.length);
      // 30 minutes: 500 users more every 5 minutes, not one partner call.
      for (let minute = 0; minute < 30; minute += 5) {
        for (const step of steps) await enter(step, entry(500));
        await ts.env.sleep('5 minutes');
      }
      expect(PARTNER_IDS.map((p) => partners[p]!.calls.length)).toEqual(callsWhenPaused);
      for (const step of steps) {
        expect((await metrics(step)).metrics).toMatchObject({ pending: 3_500, synced: 1_000, errored: 0 });
      }

      // Reconnected with a new token: every step resumes and sends everyone.
      for (const c of connections) await c.signal(setCredentialsSignal, { accessToken: 'token-2' });
      await ts.env.sleep('1 second');
      for (const step of steps) {
        const v = await until(step, (s) => s.metrics.pending === 0);
        expect(v.state).toBe('active');
        expect(v.metrics).toEqual({
          entered: 4_500,
          proceeded: 4_500,
          exited: 0,
          synced: 4_500,
          notSynced: 0,
          pending: 0,
          errored: 0,
        });
      }
      for (const c of connections) expect(await c.query(connectionQuery)).toMatchObject({ status: 'connected' });
    });
  }, 120_000);
});
