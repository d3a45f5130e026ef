/**
 * `npm run drill -- --plan ml-platform`, once: the primary Region goes dark (the registry's and the feature
 * metadata's PostgreSQL primaries killed, the artifacts' replication stopped) while artifacts are still pending and
 * the feature metadata's standby has stopped receiving WAL; the one run fails over every component, and the drill
 * names the model versions whose artifacts never reached the standby bucket and the feature metadata's acknowledged
 * commits its new primary lacks, each checked here against the workloads' own records and the servers themselves.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { aggregate } from '#lab/drill/aggregate.js';
import { loseWrites } from '#lab/drill/lose-writes.js';
import { summaryText } from '#lab/drill/report.js';
import { runDrill } from '#lab/drill/run-drill.js';
import { runModelFromDrill } from '#lab/drill/run-model.js';
import type { DrillEnvironment, DrillResult } from '#lab/drill/types.js';
import { WORKLOAD_TABLE } from '#lab/drill/workload.js';
import { localSageMaker } from '#lab/sagemaker-standin.js';
import { query, stopDrills } from './support.js';

let result: DrillResult | undefined;

/** Whether a process is alive (signal 0 checks without signalling). */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The postmasters of both pairs, as started. */
const postmasters = (env: DrillEnvironment): number[] =>
  [env.regions, env.featureDb?.pair]
    .flatMap((pair) => (pair ? [pair.primary.pid(), pair.standby.pid()] : []))
    .filter((pid): pid is number => pid !== undefined);

afterAll(async () => {
  await stopDrills(result);
});

describe('the ML platform drill, on real PostgreSQL and the S3 server', () => {
  it('fails over every component in one run and names the versions whose artifacts never replicated', async () => {
    // Act
    const started = Date.now();
    let pids: number[] = [];
    // The feature metadata's acknowledgements from this index on were its primary's alone when the Region died.
    let cutAt = 0;
    result = await runDrill({
      mode: 'unplanned',
      platform: 'ml-platform',
      keep: true,
      warmupMs: 300,
      splitBrainWindowMs: 500,
      ml: { replicationDelayMs: 800, versionIntervalMs: 40 },
      beforeIncident: async (env) => {
        pids = postmasters(env);
        if (env.featureDb) cutAt = await loseWrites(env.featureDb.pair, env.featureDb.workload, 5);
      },
    });
    const tookMs = Date.now() - started;
    const { report } = result;
    const platform = result.kept?.platform;
    if (!platform || !report.ml) throw new Error('the drill kept no ML platform');

    // Assess: one run, every component
    expect(report.outcome).toBe('succeeded');
    expect(report.plan.name).toBe('ml-platform');
    const visited = report.execution?.visited ?? [];
    expect(visited).toEqual(expect.arrayContaining(['NextComponentStage', 'RunComponentStage', 'UpdateDns']));
    expect(visited.indexOf('RunComponentStage')).toBeGreaterThan(visited.indexOf('Promote'));
    expect(visited.indexOf('RunComponentStage')).toBeLessThan(visited.indexOf('UpdateDns'));
    // Unplanned: the lag is unknown, the plan proceeds, the gates are not read (the run accepted the loss).
    expect(visited).not.toContain('CheckComponentGates');
    const statuses = Object.fromEntries(
      Object.entries(report.execution?.components ?? {}).map(([name, c]) => [name, c.status]),
    );
    expect(statuses).toEqual({
      'model-artifacts': 'nothing-to-do',
      'online-features': 'nothing-to-do',
      'feature-metadata': 'done',
      serving: 'done',
      'warm-feature-cache': 'done',
    });
    expect((await localSageMaker()).describe('ranking-serving')).toMatchObject({ current: 4, status: 'InService' });

    // Assess: the ground truth, against the replicator's own record and the standby bucket itself
    const { truth } = report.ml;
    const copied = new Set(platform.replicator.copied());
    const registered = platform.models.registered();
    const notCopied = registered
      .filter((v) => !copied.has(v.location.replace(/^s3:\/\/[^/]+\//, '')))
      .map((v) => `${v.model}/${v.version}`);
    expect(truth.acknowledged).toBe(registered.length);
    expect(truth.notReplicated.length).toBeGreaterThan(0);
    expect(truth.notReplicated).toEqual(notCopied);
    const standby = platform.s3.client('eu-west-1');
    const head = (version: string) =>
      standby
        .send(new HeadObjectCommand({ Bucket: platform.buckets.standby, Key: `${version}/MLmodel` }))
        .then(() => 'present')
        .catch((e: Error) => e.name);
    expect(await Promise.all(truth.notReplicated.map(head))).toEqual(truth.notReplicated.map(() => 'NotFound'));
    expect(await head(`${registered[0]?.model}/${registered[0]?.version}`)).toBe('present');
    // What a correct check of the new registry names: every acknowledged version not replicated that it holds.
    expect(truth.expectedProblems).toEqual(
      expect.arrayContaining(truth.notReplicated.filter((v) => !truth.lostFromRegistry.includes(v))),
    );
    // The run's own check after the promotion named exactly those: the drill agrees with it.
    expect(visited.indexOf('FindArtifacts')).toBeGreaterThan(visited.indexOf('Verify'));
    expect(visited).not.toContain('CheckArtifacts'); // unplanned: no gate
    expect(report.ml.comparison).toMatchObject({ verdict: 'agree', notNamed: [], unexpected: [] });
    expect(report.ml.comparison.named).toEqual(truth.expectedProblems);

    // Assess: the report's lanes and the summary's per-component RTO and RPO
    const lanes = runModelFromDrill(report).components ?? [];
    expect(lanes.map((l) => [l.name, l.status])).toEqual([
      ['model-artifacts', 'nothing-to-do'],
      ['online-features', 'nothing-to-do'],
      ['feature-metadata', 'done'],
      ['serving', 'done'],
      ['warm-feature-cache', 'done'],
    ]);
    expect(lanes[0]?.gate).toMatchObject({ read: false });
    const finding = runModelFromDrill(report).artifacts?.find((a) => a.phase === 'after-promotion');
    expect(finding?.lines[0]).toMatch(new RegExp(`^${truth.expectedProblems.length} of \\d+ artifact`));
    expect(lanes[3]?.startMs).toBeGreaterThan(0);
    const summary = summaryText([report], aggregate([report]));
    expect(summary).toContain(`NOT LOADABLE       ${truth.notReplicated.length}: ${truth.notReplicated[0]}`);
    expect(summary).toMatch(/serving +done; RTO \d+ ms \(done\); RPO no data/);
    expect(summary).toMatch(/model-artifacts +nothing-to-do; RTO .*; RPO \d+ of \d+ acknowledged model versions/);

    // Assess: the second pair, failed over by the component function in stage 2 beside serving
    const db = result.kept?.featureDb;
    const fm = report.ml.featureDb;
    if (!db || !fm) throw new Error('the drill kept no feature metadata database');
    const { pair } = db;
    expect(fm.run).toMatchObject({ status: 'done', promoted: true, fence: { fenced: false, method: 'unreachable' } });
    expect(fm.run.record).toEqual({ target: pair.standby.host, status: 'insync' });
    expect(fm.truth).toMatchObject({ promoted: true, answers: [pair.standby.host] });
    expect(fm.truth.oldPrimaryRejectsWrites).toBeUndefined(); // dark since the kill
    expect(pair.primary.pid()).toBeUndefined();
    expect(await query(pair.standby.connectionConfig(), 'SELECT pg_is_in_recovery() AS r')).toEqual([{ r: false }]);
    expect(fm).toMatchObject({ verdict: 'agree', record: 'features-db.drill.dr-failover.internal' });

    // Assess: its lost commits, against the workload's own record and the new primary itself
    const acks = db.workload.acks;
    const byOld = acks.filter((a) => a.server === pair.primary.host).map((a) => a.id);
    const onNew = new Set(
      (
        await query<{ id: string }>(
          pair.standby.connectionConfig(),
          `SELECT id FROM ${WORKLOAD_TABLE} WHERE id = ANY($1::bigint[])`,
          [byOld],
        )
      ).map((r) => Number(r.id)),
    );
    const cut = acks.slice(cutAt).filter((a) => a.server === pair.primary.host);
    expect(cut.length).toBeGreaterThanOrEqual(5);
    expect(fm.truth.lost?.lostIds).toEqual(byOld.filter((id) => !onNew.has(id)));
    expect(fm.truth.lost?.lostIds).toEqual(expect.arrayContaining(cut.map((a) => a.id)));
    expect(fm.truth.lost).toMatchObject({
      lostCount: fm.truth.lost?.lostIds.length,
      acknowledgedByOldPrimary: byOld.length,
    });
    // The workload carried on through the record: its later commits are the new primary's.
    expect(acks.at(-1)?.server).toBe(pair.standby.host);
    const firstOnNew = acks.find((a) => a.server === pair.standby.host);
    // The report's incident instant is floored to whole milliseconds (up to 1 ms early) and the drill rounds its
    // figure to the millisecond (up to 0.5 ms either way): the two agree within 1.5 ms, not 1.
    const firstMs = (firstOnNew?.ackAt ?? 0) - Date.parse(report.incident.at);
    expect(Math.abs((fm.truth.firstWriteOnNewMs ?? -9) - firstMs)).toBeLessThan(1.5);
    expect(firstMs).toBeGreaterThan(0);
    expect(summary).toMatch(
      new RegExp(
        `feature-metadata +done; RTO \\d+ ms \\(done\\); RPO ${fm.truth.lost?.lostCount} of ${byOld.length} commits acknowledged by its old primary missing on its new one`,
      ),
    );
    expect(summary).toContain(
      `DNS switch: features-db.drill.dr-failover.internal UPSERT to ${pair.standby.host} (insync)`,
    );
    expect(summary).toContain("the run's view AGREES");

    // Assess: teardown stops every server both pairs started
    expect(pids).toHaveLength(4);
    await result.kept?.cleanup();
    expect(pids.filter(alive)).toEqual([]);
    process.stdout.write(
      `ml-platform drill: ${tookMs} ms in the test (drill wall ${report.wallMs} ms); feature metadata lost ` +
        `${fm.truth.lost?.lostCount} of ${byOld.length}\n`,
    );
  }, 180_000);
});
