/**
 * `npm run drill -- --plan ml-platform --mode planned`, with the model registrations paused until the artifacts have
 * replicated (a planned switchover of a platform that registers models continuously needs that, or its artifact
 * gate stops it): the one run reads every gate, the feature metadata's lag among them, then fences, promotes and
 * moves the registry, and in stage 2 fences the feature metadata's primary while its workload writes, waits for its
 * standby, promotes it and moves its record. Not one commit its old primary acknowledged is missing on the new one.
 * Its own file: the handlers' SDK clients keep the first S3 server's endpoint for the life of the process.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runDrill } from '#lab/drill/run-drill.js';
import type { DrillResult } from '#lab/drill/types.js';
import { WORKLOAD_TABLE } from '#lab/drill/workload.js';
import { query, stopDrills } from './support.js';

let result: DrillResult | undefined;

afterAll(async () => {
  await stopDrills(result);
});

describe('the ML platform drill, planned, on real PostgreSQL and the S3 server', () => {
  it('switches the feature metadata database over in its stage, fenced first, losing no acknowledged commit', async () => {
    // Act
    result = await runDrill({
      mode: 'planned',
      platform: 'ml-platform',
      keep: true,
      warmupMs: 300,
      splitBrainWindowMs: 500,
      ml: { replicationDelayMs: 100 },
      beforeIncident: async (env) => {
        await env.platform?.models.stop();
        await env.platform?.replicator.drain(10_000);
      },
    });
    const { report } = result;
    const db = result.kept?.featureDb;
    const fm = report.ml?.featureDb;
    if (!db || !fm) throw new Error('the drill kept no feature metadata database');
    const { pair } = db;

    // Assess: the run read the feature metadata's gate before anything changed, then failed it over in stage 2
    expect(report.outcome).toBe('succeeded');
    const visited = report.execution?.visited ?? [];
    expect(visited.indexOf('CheckComponentGates')).toBeLessThan(visited.indexOf('Fence'));
    expect(report.execution?.components?.['feature-metadata']).toMatchObject({
      status: 'done',
      gate: { within: true },
    });
    expect(fm.run).toMatchObject({ status: 'done', promoted: true, fence: { fenced: true, method: 'read-only' } });
    expect(fm.run.record).toEqual({ target: pair.standby.host, status: 'insync' });

    // Assess: the world: the old primary up and refusing writes, the standby writable, the record on it
    expect(fm.truth).toMatchObject({ promoted: true, answers: [pair.standby.host], oldPrimaryRejectsWrites: true });
    const ro = "SELECT current_setting('default_transaction_read_only') AS ro";
    expect(await query(pair.primary.connectionConfig(), ro)).toEqual([{ ro: 'on' }]);
    expect(await query(pair.standby.connectionConfig(), 'SELECT pg_is_in_recovery() AS r')).toEqual([{ r: false }]);

    // Assess: nothing acknowledged lost, checked against the workload's record on the new primary itself
    const byOld = db.workload.acks.filter((a) => a.server === pair.primary.host).map((a) => a.id);
    const onNew = await query<{ n: string }>(
      pair.standby.connectionConfig(),
      `SELECT count(*) AS n FROM ${WORKLOAD_TABLE} WHERE id = ANY($1::bigint[])`,
      [byOld],
    );
    expect(byOld.length).toBeGreaterThan(0);
    expect(Number(onNew[0]?.n)).toBe(byOld.length);
    expect(fm.truth.lost).toMatchObject({ lostCount: 0, lostIds: [], acknowledgedByOldPrimary: byOld.length });
    expect(db.workload.acks.at(-1)?.server).toBe(pair.standby.host);
    expect(fm.verdict).toBe('agree');
    expect(report.rpo?.lostCount).toBe(0);
    process.stdout.write(
      `ml-platform planned drill: wall ${report.wallMs} ms; feature metadata 0 of ${byOld.length} lost\n`,
    );
  }, 180_000);
});
