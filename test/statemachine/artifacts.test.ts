import { SwitchoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { HeadObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3ArtifactStore } from '#adapters/artifacts/s3.js';
import type { ArtifactCheckRecord } from '#core/artifact-run.js';
import type { ArtifactPortsFor } from '#core/ports.js';
import * as component from '#functions/component.js';
import type { Handlers } from '#lab/state-machine.js';
import { artifactPlan, bucketWorld, crashingFinding, REPLICA, ROWS, s3, withRegistry } from './artifacts-world.js';
import { COMPONENT_MOCKS, COMPONENTS, platformWorld } from './components-world.js';
import {
  ALL_MOCKS,
  auroraWorld,
  execute,
  mutatingCommandsSent,
  notificationDetail,
  notifyWorld,
  planVariant,
  preparing,
  publishedTypes,
  rds,
  route53,
  route53World,
  runInput,
} from './support.js';

const run = (
  plan: ReturnType<typeof artifactPlan>,
  overrides: Record<string, unknown>,
  handlers: Partial<Handlers> = withRegistry(),
) =>
  execute(runInput({ plan: plan.name, ...overrides }), {
    handlers: { ...preparing(plan), ...handlers },
    validate: false,
  });

const outputOf = (output: unknown) => output as { artifactGate?: ArtifactCheckRecord; artifacts?: ArtifactCheckRecord };

describe('the model-artifact check in a run, executed', () => {
  beforeEach(() => {
    notifyWorld();
    auroraWorld();
    route53World();
    platformWorld();
  });
  afterEach(() => {
    for (const m of [...ALL_MOCKS, ...COMPONENT_MOCKS, s3]) m.reset();
  });

  it('blocks a planned run before Fence when an artifact is missing: nothing fenced or promoted, the versions named', async () => {
    // Prepare: version 3 never replicated.
    bucketWorld(['1', '2']);
    const asked: string[] = [];

    // Act
    const result = await run(artifactPlan(), { mode: 'planned' }, withRegistry(ROWS, asked));

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ArtifactsMissingError');
    expect(result.cause).toMatch(/1 of 3 artifact\(s\) not known to be in the standby region \(1 missing\): ranker v3/);
    expect(result.visited).toContain('CheckArtifacts');
    expect(result.visited).not.toContain('Fence');
    expect(rds.commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(0);
    expect(mutatingCommandsSent()).toEqual([]);
    expect(asked).toEqual(['eu-west-1']);
    // Each artifact asked for in the replica bucket, by the key the registry names.
    expect(s3.commandCalls(HeadObjectCommand).map((c) => c.args[0].input)).toEqual(
      ['1', '2', '3'].map((v) => ({ Bucket: REPLICA, Key: `ranker/${v}/MLmodel` })),
    );
    expect(publishedTypes()).toContain('Failover Aborted');
    const aborted = notificationDetail('Failover Aborted');
    expect(aborted.error).toBe('ArtifactsMissingError');
    expect(aborted.artifactGate).toEqual([
      expect.stringMatching(/^1 of 3 artifact/),
      `ranker v3: missing - s3://${REPLICA}/ranker/3/MLmodel does not exist`,
    ]);
  });

  it('records and goes on with onMissing report: the gate and the finding are in the run state and in Succeeded', async () => {
    // Prepare
    bucketWorld(['1', '2']);

    // Act
    const result = await run(artifactPlan({ onMissing: 'report' }), { mode: 'planned' });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    const v = result.visited;
    expect(v.indexOf('CheckArtifacts')).toBeGreaterThan(v.indexOf('CheckComponentGates'));
    expect(v.indexOf('CheckArtifacts')).toBeLessThan(v.indexOf('Fence'));
    expect(v.indexOf('FindArtifacts')).toBeGreaterThan(v.indexOf('Verify'));
    expect(v.indexOf('FindArtifacts')).toBeLessThan(v.indexOf('NotifySucceeded'));
    const out = outputOf(result.output);
    for (const [record, phase] of [
      [out.artifactGate, 'gate'],
      [out.artifacts, 'after-promotion'],
    ] as const) {
      expect(record).toEqual({
        phase,
        checkedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        checked: 3,
        truncated: false,
        problems: [expect.objectContaining({ model: 'ranker', version: '3', verdict: 'missing' })],
      });
    }
    const succeeded = notificationDetail('Failover Succeeded');
    expect(succeeded.artifacts).toEqual([
      expect.stringMatching(/^1 of 3/),
      expect.stringMatching(/^ranker v3: missing/),
    ]);
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(1);
  });

  it('does not gate an unplanned run, and records the after-promotion finding in Failover Succeeded', async () => {
    // Prepare: the primary Region went dark with versions 2 and 3 not replicated.
    bucketWorld(['1']);

    // Act
    const result = await run(artifactPlan(), { mode: 'unplanned' });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited).not.toContain('CheckArtifacts');
    expect(result.visited).toContain('FindArtifacts');
    const out = outputOf(result.output);
    expect(out.artifactGate).toBeUndefined();
    expect(out.artifacts?.problems.map((p) => `${p.version} ${p.verdict}`)).toEqual(['2 missing', '3 missing']);
    expect(notificationDetail('Failover Succeeded').artifacts).toEqual([
      expect.stringMatching(/^2 of 3 artifact\(s\) not known .*: ranker v2, ranker v3$/),
      expect.stringMatching(/^ranker v2: missing/),
      expect.stringMatching(/^ranker v3: missing/),
    ]);
  });

  it('runs the gate in a dry run, read only, and passes when every artifact is there', async () => {
    // Prepare
    bucketWorld(['1', '2', '3']);

    // Act
    const result = await run(artifactPlan(), { mode: 'planned', dryRun: true });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(mutatingCommandsSent()).toEqual([]);
    const out = outputOf(result.output);
    expect(out.artifactGate).toMatchObject({ phase: 'gate', checked: 3, problems: [] });
    expect(out.artifacts).toMatchObject({ phase: 'after-promotion', checked: 3, problems: [] });
    expect(notificationDetail('Failover Succeeded').artifactGate).toEqual([
      '3 artifact(s) present in the standby region',
    ]);
  });

  it('blocks a planned run whose registry cannot be read: unknown is never ok', async () => {
    // Prepare
    bucketWorld(['1', '2', '3']);
    const unreachable: ArtifactPortsFor = async () => ({
      registry: {
        list: async () => {
          throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { name: 'DatabaseUnreachableError' });
        },
      },
      store: new S3ArtifactStore('eu-west-1'),
    });

    // Act
    const result = await run(
      artifactPlan(),
      { mode: 'planned' },
      { component: component.createHandler({ artifacts: unreachable }) },
    );

    // Assess
    expect(result.error).toBe('ArtifactsMissingError');
    expect(result.cause).toMatch(
      /^no artifact is known .*: the check did not complete: DatabaseUnreachableError: connect/,
    );
    expect(notificationDetail('Failover Aborted').artifactGate).toEqual(
      expect.arrayContaining([expect.stringMatching(/the check did not complete: DatabaseUnreachableError/)]),
    );
    expect(mutatingCommandsSent()).toEqual([]);
  });

  it('blocks on a 403 (no s3:ListBucket: missing or denied, S3 does not say) as unknown', async () => {
    // Prepare
    s3.on(HeadObjectCommand).rejects(
      new S3ServiceException({ name: 'Forbidden', $fault: 'client', $metadata: { httpStatusCode: 403 } }),
    );

    // Act
    const result = await run(artifactPlan(), { mode: 'planned' });

    // Assess
    expect(result.error).toBe('ArtifactsMissingError');
    expect(result.cause).toMatch(/3 of 3 artifact\(s\) not known to be in the standby region \(3 unknown\)/);
  });

  it('never fails a run that moved traffic when the finding itself fails: recorded as one unknown problem', async () => {
    // Prepare: the finding's invocation fails outright (a crash, a timeout), after traffic moved.
    bucketWorld(['1', '2', '3']);
    // Act
    const result = await run(artifactPlan(), { mode: 'unplanned' }, crashingFinding());

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited).toContain('ArtifactFindingFailed');
    const out = result.output as { artifacts: ArtifactCheckRecord; artifactsFailed: { Error: string } };
    expect(out.artifacts).toEqual({
      phase: 'after-promotion',
      checkedAt: expect.any(String),
      checked: 0,
      truncated: false,
      problems: [expect.objectContaining({ verdict: 'unknown', detail: expect.stringMatching(/did not complete/) })],
    });
    expect(out.artifactsFailed.Error).toBe('Error');
    expect(out.artifacts.problems[0]?.detail).toMatch(/did not complete: Error: .*signal: killed/);
    expect(notificationDetail('Failover Succeeded').artifacts).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^no artifact is known to be in the standby region: the check did not/),
      ]),
    );
  });

  it('runs a plan without artifacts as before: no artifact state entered', async () => {
    // Prepare
    bucketWorld([]);
    const plan = planVariant('plans/orders.yml', (p) => ({
      ...p,
      name: 'ml-orders',
      traffic: { kind: 'upsert' },
      components: COMPONENTS,
    }));

    // Act
    const result = await execute(runInput({ plan: plan.name, mode: 'planned' }), {
      handlers: preparing(plan),
      validate: false,
    });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited.filter((s) => s.includes('Artifact'))).toEqual([]); // no new state, Choice or Task
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(0);
  });
});
