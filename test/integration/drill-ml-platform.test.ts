/**
 * `npm run drill -- --plan ml-platform`, once: the primary Region goes dark (the registry's PostgreSQL primary
 * killed, the artifacts' replication stopped) while artifacts are still pending; the one run fails over every
 * component, and the drill names the model versions whose artifacts never reached the standby bucket, checked here
 * against the replicator's own record and the standby bucket itself.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { aggregate } from '#lab/drill/aggregate.js';
import { summaryText } from '#lab/drill/report.js';
import { runDrill } from '#lab/drill/run-drill.js';
import { runModelFromDrill } from '#lab/drill/run-model.js';
import type { DrillResult } from '#lab/drill/types.js';
import { localSageMaker } from '#lab/sagemaker-standin.js';

let result: DrillResult | undefined;

afterAll(async () => {
  await result?.kept?.cleanup();
});

describe('the ML platform drill, on real PostgreSQL and the S3 server', () => {
  it('fails over every component in one run and names the versions whose artifacts never replicated', async () => {
    // Act
    const started = Date.now();
    result = await runDrill({
      mode: 'unplanned',
      platform: 'ml-platform',
      keep: true,
      warmupMs: 300,
      splitBrainWindowMs: 500,
      ml: { replicationDelayMs: 800, versionIntervalMs: 40 },
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
      ['serving', 'done'],
      ['warm-feature-cache', 'done'],
    ]);
    expect(lanes[0]?.gate).toMatchObject({ read: false });
    const finding = runModelFromDrill(report).artifacts?.find((a) => a.phase === 'after-promotion');
    expect(finding?.lines[0]).toMatch(new RegExp(`^${truth.expectedProblems.length} of \\d+ artifact`));
    expect(lanes[2]?.startMs).toBeGreaterThan(0);
    const summary = summaryText([report], aggregate([report]));
    expect(summary).toContain(`NOT LOADABLE       ${truth.notReplicated.length}: ${truth.notReplicated[0]}`);
    expect(summary).toMatch(/serving +done; RTO \d+ ms \(done\); RPO no data/);
    expect(summary).toMatch(/model-artifacts +nothing-to-do; RTO .*; RPO \d+ of \d+ acknowledged model versions/);
    process.stdout.write(`ml-platform drill: ${tookMs} ms in the test (drill wall ${report.wallMs} ms)\n`);
  }, 180_000);
});
