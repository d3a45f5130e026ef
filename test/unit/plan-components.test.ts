import { describe, expect, it } from 'vitest';
import { PlanValidationError } from '#core/errors.js';
import { type PlanInput, parsePlan } from '#core/plan.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { MINIMAL_PLAN } from '../fixtures/bad-input.js';

const ACCOUNT = MINIMAL_PLAN.accountId;
const { primary: PRIMARY, standby: STANDBY } = MINIMAL_PLAN.regions;

const BUCKETS = {
  kind: 's3-replication',
  name: 'artifacts',
  stage: 1,
  sourceBucket: 'ml-artifacts-primary',
  destinationBucket: 'ml-artifacts-standby',
  ruleId: 'artifacts',
  maxLatencySeconds: 900,
  accessPoint: {
    mrapArn: `arn:aws:s3::${ACCOUNT}:accesspoint/mfzwi23gnjvgw.mrap`,
    primary: { bucket: 'ml-artifacts-primary', region: PRIMARY },
    standby: { bucket: 'ml-artifacts-standby', region: STANDBY },
  },
};
const TABLE = { kind: 'dynamodb-global-table', name: 'features', tableName: 'online-features', maxLatencySeconds: 5 };
const SERVING = {
  kind: 'capacity',
  name: 'serving',
  stage: 2,
  target: { kind: 'sagemaker-endpoint', endpointName: 'ranking', variantName: 'primary', count: 4 },
};
const CACHE = {
  kind: 'custom-action',
  name: 'cache',
  stage: 2,
  functionArn: `arn:aws:lambda:${STANDBY}:${ACCOUNT}:function:warm-cache`,
};
const ALL = [BUCKETS, TABLE, SERVING, CACHE];

/** The issues a plan with these components is refused for, as `path: message`. */
const refusal = (components: unknown): string[] => {
  try {
    parsePlan({ ...structuredClone(MINIMAL_PLAN), components } as PlanInput, 'test');
  } catch (error) {
    if (error instanceof PlanValidationError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
};
const withChange = (i: number, change: Record<string, unknown>) =>
  ALL.map((c, k) => (k === i ? { ...structuredClone(c), ...change } : c));

describe('plan components', () => {
  it('leaves a plan without components as it was: no components field', () => {
    expect(parsePlan(structuredClone(MINIMAL_PLAN), 'test').components).toBeUndefined();
  });

  it('accepts every kind, with the defaults applied (stage 1, capacity checked 30 times every 10 s)', () => {
    // Act
    const plan = parsePlan({ ...structuredClone(MINIMAL_PLAN), components: ALL } as PlanInput, 'test');

    // Assess
    expect(plan.components?.map((c) => [c.name, c.kind, c.stage])).toEqual([
      ['artifacts', 's3-replication', 1],
      ['features', 'dynamodb-global-table', 1],
      ['serving', 'capacity', 2],
      ['cache', 'custom-action', 2],
    ]);
    expect(plan.components?.[2]).toMatchObject({ maxChecks: 30, checkIntervalSeconds: 10 });
    expect(plan.components?.[0]).toMatchObject({ maxPendingOperations: 0 });
  });

  it('ships plans/ml-platform.yml: the registry database as the main one and five components in two stages', () => {
    const plan = parsePlan(loadPlanFile('plans/ml-platform.yml'), 'plans/ml-platform.yml');
    expect(plan.database.kind).toBe('rds-instance');
    expect(plan.components?.map((c) => `${c.stage}:${c.name}:${c.kind}`)).toEqual([
      '1:model-artifacts:s3-replication',
      '1:online-features:dynamodb-global-table',
      '2:feature-metadata:database',
      '2:serving:capacity',
      '2:warm-feature-cache:custom-action',
    ]);
  });

  it('refuses an empty list, an unknown kind and an unknown field', () => {
    expect(refusal([])).toEqual(['components: must list at least one component']);
    expect(refusal([{ ...TABLE, kind: 'redis' }])[0]).toMatch(/^components\.0\.kind: /);
    expect(refusal([{ ...TABLE, region: STANDBY }])).toEqual(['components.0.region: unknown field']);
  });

  it('refuses two components of one name, naming the second', () => {
    expect(refusal([...ALL, { ...TABLE, tableName: 'other' }])).toEqual([
      'components.4.name: another component is already named features',
    ]);
  });

  it('refuses an empty stage: stages are numbered without gaps', () => {
    expect(refusal([TABLE, { ...SERVING, stage: 3 }])).toEqual([
      'components: stage 2 is empty: number the stages 1 to 3 without gaps',
    ]);
  });

  it('refuses more components in one stage than the stage Map runs at once', () => {
    const many = Array.from({ length: 11 }, (_, i) => ({ ...TABLE, name: `t${i}`, tableName: `table-${i}` }));
    expect(refusal(many)).toEqual(['components: stage 1 has 11 components, at most 10']);
  });

  it('refuses a custom action in another account or region', () => {
    expect(
      refusal(withChange(3, { functionArn: `arn:aws:lambda:${STANDBY}:999988887777:function:warm-cache` })),
    ).toEqual([`components.3.functionArn: must belong to account ${ACCOUNT}, not 999988887777`]);
    expect(refusal(withChange(3, { functionArn: `arn:aws:lambda:${PRIMARY}:${ACCOUNT}:function:warm-cache` }))).toEqual(
      [`components.3.functionArn: must be in region ${STANDBY} (the standby), not ${PRIMARY}`],
    );
  });

  it('refuses an ECS cluster ARN outside the standby region', () => {
    const ecs = {
      kind: 'ecs-service',
      cluster: `arn:aws:ecs:${PRIMARY}:${ACCOUNT}:cluster/serving`,
      service: 'api',
      count: 2,
    };
    expect(refusal(withChange(2, { target: ecs }))).toEqual([
      `components.2.target.cluster: must be in region ${STANDBY} (the standby), not ${PRIMARY}`,
    ]);
  });

  it('refuses access point routes that contradict the plan or the replication', () => {
    // Prepare
    const ap = structuredClone(BUCKETS.accessPoint);
    ap.mrapArn = 'arn:aws:s3::999988887777:accesspoint/mfzwi23gnjvgw.mrap';
    ap.standby = { bucket: 'somewhere-else', region: PRIMARY };

    // Assess
    expect(refusal(withChange(0, { accessPoint: ap }))).toEqual([
      `components.0.accessPoint.mrapArn: must belong to account ${ACCOUNT}, not 999988887777`,
      `components.0.accessPoint.standby.region: must be regions.standby, ${STANDBY}`,
      "components.0.accessPoint.standby.bucket: must be the replication's ml-artifacts-standby",
    ]);
  });

  it('refuses a replication onto itself and a DynamoDB metrics region outside the plan', () => {
    expect(refusal(withChange(0, { destinationBucket: 'ml-artifacts-primary', accessPoint: undefined }))).toEqual([
      'components.0.destinationBucket: must differ from sourceBucket',
    ]);
    expect(refusal(withChange(1, { metricsRegion: 'ap-south-1' }))).toEqual([
      'components.1.metricsRegion: must be regions.primary or regions.standby, not ap-south-1',
    ]);
  });

  it("refuses capacity polled for longer than a run may last, naming the component's maxChecks", () => {
    const issues = refusal(withChange(2, { maxChecks: 120, checkIntervalSeconds: 300 }));
    expect(issues).toEqual(
      expect.arrayContaining([expect.stringMatching(/^components\.2\.maxChecks: allows \d+ s of a run/)]),
    );
  });
});
