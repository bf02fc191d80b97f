import { readdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectionWorkflowId } from '../../workflows/ids.js';
import { setCredentialsSignal, stopSignal } from '../../workflows/messages.js';
import {
  FakePartner,
  transient,
  connect,
  enter,
  entry,
  launched,
  until,
  withEngine,
  type Engine,
} from '../helpers/engine.js';
import { decodeHistory, encodeHistory, replay } from '../helpers/history.js';
import { createTimeSkippingEnv, type TimeSkippingEnv } from '../helpers/temporal.js';

const DIR = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

/**
 * Recordings are kept, never replaced: a history recorded before a patch must still replay (the
 * workflows it stands for may still be running), and so must one recorded after it. New
 * recordings are named `<scenario>.<RECORDED_WITH>.binpb`; when workflow code changes behind a
 * new `patched()`, set RECORDED_WITH to that patch's id and record again. The unsuffixed files
 * predate the first patch ('search-attributes').
 */
const RECORDED_WITH = 'search-attributes';

/** The search attributes each upsert of a history wrote, in order (the patch's own TemporalChangeVersion left out). */
function upserts(h: temporal.api.history.v1.IHistory): Record<string, unknown>[] {
  return (h.events ?? []).flatMap((e) => {
    const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    if (!fields) return [];
    const written = Object.entries(fields)
      .filter(([name]) => name !== 'TemporalChangeVersion')
      .map(([name, payload]) => [name, defaultPayloadConverter.fromPayload(payload)]);
    return written.length ? [Object.fromEntries(written)] : [];
  });
}

describe('replay', () => {
  it('replays every recorded history in test/fixtures/histories without non-determinism', async () => {
    const files = (await readdir(DIR)).filter((f) => f.endsWith('.binpb'));
    expect(files.length).toBeGreaterThanOrEqual(10);
    // Workflow ids matter in replay (a step names its batches after itself): kept beside the files.
    const ids = JSON.parse(await readFile(`${DIR}workflow-ids.json`, 'utf8')) as Record<string, string>;
    const histories = await Promise.all(
      files.map(async (f) => ({ file: f, workflowId: ids[f] ?? f, history: decodeHistory(await readFile(DIR + f)) })),
    );
    expect(await replay(histories)).toEqual([]);
    // Both sides of the search-attributes patch are replayed: histories without upserts, and with.
    const byPatch = (suffix: boolean) => histories.filter((h) => h.file.includes('.search-attributes.') === suffix);
    for (const h of byPatch(false)) expect(upserts(h.history), h.file).toEqual([]);
    const step = byPatch(true).find((h) => h.file.startsWith('step-pause-resume-stop.'))!;
    expect(upserts(step.history)).toEqual([
      { SyncState: 'creating_audience' },
      { SyncState: 'active', Partner: 'linkedin' },
      { SyncState: 'paused_invalid_token' },
      { SyncState: 'active' },
      { SyncState: 'stopping' },
      { SyncState: 'stopped' },
    ]);
    const connection = byPatch(true).find((h) => h.file.startsWith('connection-'))!;
    expect(upserts(connection.history)).toEqual([{ WorkspaceId: expect.any(String), Partner: 'linkedin' }]);
  });
});

/**
 * `RECORD_HISTORIES=1 npm test -- test/workflows/replay.test.ts` writes fixtures from the
 * scenarios below, named after RECORDED_WITH (it overwrites only recordings of the same code);
 * commit them when workflow code changes on purpose (with `patched()`).
 */
describe.runIf(process.env.RECORD_HISTORIES)('record histories', () => {
  let ts: TimeSkippingEnv;
  beforeEach(async () => {
    ts = await createTimeSkippingEnv();
  });
  afterEach(async () => {
    await ts?.teardown();
  });

  async function save(engine: Engine, scenario: string, workflowId: string): Promise<void> {
    const history = await engine.env.client.workflow.getHandle(workflowId).fetchHistory();
    const file = `${scenario}.${RECORDED_WITH}.binpb`;
    await writeFile(DIR + file, encodeHistory(history));
    const idsFile = `${DIR}workflow-ids.json`;
    const ids = JSON.parse(await readFile(idsFile, 'utf8').catch(() => '{}')) as Record<string, string>;
    ids[file] = workflowId;
    await writeFile(idsFile, JSON.stringify(ids, null, 2) + '\n');
  }

  it('a step that pauses on an invalid token, resumes, and stops', async () => {
    const linkedin = new FakePartner(() => ts.env.currentTimeMs());
    await withEngine(ts.env, { linkedin }, async (engine) => {
      const connection = await connect(engine, 'linkedin');
      const step = await launched(engine);
      linkedin.revokedThrough = 1;
      await enter(step, entry(120, { notSynced: { missing_fields: 3 } }));
      await ts.env.sleep('6 seconds');
      await until(step, (v) => v.state === 'paused_invalid_token');
      await connection.signal(setCredentialsSignal, { accessToken: 'token-2' });
      await ts.env.sleep('1 second');
      await until(step, (v) => v.metrics.synced === 120);
      await enter(step, entry(30));
      await step.signal(stopSignal);
      await step.result();
      await save(engine, 'step-pause-resume-stop', step.workflowId);
      await save(engine, 'batch-paused-then-synced', `${step.workflowId}:batch:1`);
      await save(engine, 'connection-invalid-then-reconnected', connectionWorkflowId(engine.workspaceId, 'linkedin'));
    });
  });

  it('a step whose batches retry and error', async () => {
    const linkedin = new FakePartner(() => ts.env.currentTimeMs(), {
      maxUsersPerRequest: 50,
      createsAudienceWithFirstRecords: false,
    });
    linkedin.behaviour = (call) => {
      if (call.batchId.endsWith(':batch:2')) throw transient();
      return { synced: call.rows.length - 1, invalid: 1 };
    };
    await withEngine(ts.env, { linkedin }, async (engine) => {
      await connect(engine, 'linkedin');
      const step = await launched(engine);
      await enter(step, entry(130));
      await ts.env.sleep('14 hours');
      await until(step, (v) => v.metrics.pending === 0);
      await save(engine, 'step-retries-and-errors', step.workflowId);
      await save(engine, 'batch-retries-exhausted', `${step.workflowId}:batch:2`);
    });
  });
});
