/**
 * The component function's statements for component databases (infra/grant-components.ts): exactly each kind's calls,
 * on the component's own instances, clusters, secrets and record, never the main database's. The calls themselves are
 * simulated against the packaged roles in test/deploy/iam-simulation.test.ts (plans/ml-platform.yml's RDS component).
 */
import { describe, expect, it } from 'vitest';
import type { PlanInput } from '#core/plan.js';
import { statementsFor } from '#infra/grants.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { planVariant } from '../statemachine/support.js';

const ML = loadPlanFile('plans/ml-platform.yml');
const bySid = (statements: ReturnType<typeof statementsFor>) => new Map(statements.map((s) => [s.Sid, s]));

describe('the component function, for a component database', () => {
  it("RDS with a record: its replica, its source's group in the primary region, its record UPSERT only", () => {
    // Act
    const statements = bySid(statementsFor('component', [ML], 'dev'));

    // Assess
    expect(statements.get('PromoteComponentReplicas')).toMatchObject({
      Action: ['rds:PromoteReadReplica', 'rds:DescribeDBInstances'],
      Resource: ['arn:aws:rds:us-east-2:111122223333:db:ml-features-replica'],
    });
    expect(statements.get('ConfirmComponentRdsFences')?.Resource).toEqual([
      'arn:aws:rds:us-west-2:111122223333:db:ml-features',
    ]);
    expect(statements.get('FenceComponentRdsSourcesReadOnly')).toMatchObject({
      Action: ['rds:ModifyDBParameterGroup'],
      Resource: ['arn:aws:rds:us-west-2:111122223333:pg:ml-features-pg'],
    });
    expect(statements.get('ChangeRecordMlPlatformFeatureMetadata')).toEqual({
      Sid: 'ChangeRecordMlPlatformFeatureMetadata',
      Effect: 'Allow',
      Action: ['route53:ChangeResourceRecordSets'],
      Resource: ['arn:aws:route53:::hostedzone/Z0MLPLATFORM00001'],
      Condition: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['features-db.ml.example.internal'],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
          'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
        },
      },
    });
    expect(statements.get('ReadComponentRecordChanges')?.Resource).toEqual(['arn:aws:route53:::change/*']);
    // Nothing of the plan's main database (the registry's instances and fence group; the model-artifact check reads
    // the registry through its own secret) nor of Aurora or PostgreSQL, which it has none of.
    const resources = JSON.stringify([...statements.values()].map((s) => s.Resource));
    expect(resources).not.toMatch(/:db:ml-registry|:pg:ml-registry/);
    for (const sid of [
      'SwitchOrFailOverComponentGlobalClusters',
      'DescribeComponentTargetClusters',
      'ReadComponentDatabaseCredentials',
    ]) {
      expect(statements.has(sid)).toBe(false);
    }
  });

  it("RDS naming its replica's group: that group only, read in the standby region (a standalone replica's fence), by readiness too", () => {
    // Prepare: ml-platform's RDS component with the replica's own group named, as the main database's is.
    const plan = planVariant('plans/ml-platform.yml', (p: PlanInput) => ({
      ...p,
      components: p.components?.map((c) =>
        c.kind === 'database' && c.database.kind === 'rds-instance'
          ? { ...c, database: { ...c.database, replicaFenceParameterGroupName: 'ml-features-replica-pg' } }
          : c,
      ),
    }));

    // Act: the component function, and readiness, which reads the component database through the same adapters.
    const withGroup = ['component', 'readiness'].map((fn) => bySid(statementsFor(fn as 'component', [plan], 'dev')));
    const without = ['component', 'readiness'].map((fn) => bySid(statementsFor(fn as 'component', [ML], 'dev')));

    // Assess
    for (const statements of withGroup) {
      expect(statements.get('ReadComponentReplicaFenceGroups')).toMatchObject({
        Action: ['rds:DescribeDBParameters'],
        Resource: ['arn:aws:rds:us-east-2:111122223333:pg:ml-features-replica-pg'],
      });
    }
    for (const statements of without) expect(statements.has('ReadComponentReplicaFenceGroups')).toBe(false);
  });

  it('Aurora and PostgreSQL: the global cluster and both members; the credentials, decrypted through Secrets Manager only', () => {
    // Prepare: the orders plan with an Aurora component and a PostgreSQL one whose secret has its own key.
    const key = 'arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const plan = planVariant('plans/orders.yml', (p) => ({
      ...p,
      components: [
        {
          name: 'catalog',
          kind: 'database',
          database: {
            kind: 'aurora-global',
            globalClusterIdentifier: 'catalog-global',
            targetClusterArn: 'arn:aws:rds:eu-west-1:111122223333:cluster:catalog-eu',
            primaryClusterArn: 'arn:aws:rds:us-east-1:111122223333:cluster:catalog-us',
          },
        },
        {
          name: 'registry',
          kind: 'database',
          database: {
            kind: 'postgres',
            primary: { host: 'pg-a.internal', credentials: { secretsManager: 'dr/registry-primary', kmsKeyArn: key } },
            standby: { host: 'pg-b.internal', credentials: { secretsManager: 'dr/registry-standby' } },
          },
        },
      ] as PlanInput['components'],
    }));

    // Act
    const statements = bySid(statementsFor('component', [plan], 'dev'));

    // Assess
    expect(statements.get('SwitchOrFailOverComponentGlobalClusters')?.Resource).toEqual([
      'arn:aws:rds::111122223333:global-cluster:catalog-global',
      'arn:aws:rds:eu-west-1:111122223333:cluster:catalog-eu',
      'arn:aws:rds:us-east-1:111122223333:cluster:catalog-us',
    ]);
    expect(statements.get('DescribeComponentTargetClusters')?.Resource).toEqual([
      'arn:aws:rds:eu-west-1:111122223333:cluster:catalog-eu',
    ]);
    expect(statements.get('ReadComponentDatabaseCredentials')?.Resource).toEqual([
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:dr/registry-primary-??????',
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:dr/registry-standby-??????',
    ]);
    expect(statements.get('DecryptComponentDatabaseCredentials')).toMatchObject({
      Action: ['kms:Decrypt'],
      Resource: [key],
      Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': `secretsmanager.\${AWS::Region}.amazonaws.com` } } },
    });
    // Neither has a record, nor RDS instances: nothing for them.
    for (const sid of ['ReadComponentRecordChanges', 'PromoteComponentReplicas', 'FenceComponentRdsSourcesReadOnly']) {
      expect(statements.has(sid)).toBe(false);
    }
  });
});

describe('the readiness function, for the components it checks', () => {
  /** Actions that change something: readiness calls none of them on a component. */
  const MUTATING = /:(Update|Submit|Set|Promote|Modify|Invoke|Change|Switchover|Failover|Put|Delete|Create)/;

  it("reads each component's own resources, and nothing it could change them with", () => {
    // Act
    const statements = bySid(statementsFor('readiness', [ML], 'dev'));

    // Assess
    expect(statements.get('ReadinessReadReplicationRules')).toMatchObject({
      Action: ['s3:GetReplicationConfiguration'],
      Resource: ['arn:aws:s3:::ml-artifacts-us-west-2'],
    });
    expect(statements.get('ReadinessReadAccessPointRoutes')).toMatchObject({
      Action: ['s3:GetMultiRegionAccessPointRoutes'],
      Resource: ['arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap'],
    });
    expect(statements.get('ReadinessDescribeSageMakerEndpoints')).toMatchObject({
      Action: ['sagemaker:DescribeEndpoint'],
      Resource: ['arn:aws:sagemaker:us-east-2:111122223333:endpoint/ranking-serving'],
    });
    expect(statements.get('ReadinessDescribeCustomActions')).toMatchObject({
      Action: ['lambda:GetFunctionConfiguration'],
      Resource: ['arn:aws:lambda:us-east-2:111122223333:function:warm-feature-cache'],
    });
    expect(statements.get('ReadinessDescribeComponentReplicas')).toMatchObject({
      Action: ['rds:DescribeDBInstances'],
      Resource: ['arn:aws:rds:us-east-2:111122223333:db:ml-features-replica'],
    });
    expect(statements.get('ReadinessDescribeGlobalTables')).toMatchObject({
      Action: ['dynamodb:DescribeTable'],
      Resource: ['arn:aws:dynamodb:us-east-2:111122223333:table/online-features'],
    });
    expect(statements.get('ReadComponentReplicationMetrics')?.Resource).toEqual(['*']);
    const actions = [...statements.values()].flatMap((s) => s.Action).filter((a) => a !== 'events:PutEvents');
    expect(actions.filter((a) => MUTATING.test(a))).toEqual([]);
  });

  it('an ECS service and an Auto Scaling group: DescribeServices on the service, DescribeAutoScalingGroups on *', () => {
    // Prepare
    const plan = planVariant('plans/orders.yml', (p) => ({
      ...p,
      components: [
        {
          name: 'api',
          kind: 'capacity',
          target: { kind: 'ecs-service', cluster: 'serving-eu', service: 'ranker', count: 4 },
        },
        { name: 'workers', kind: 'capacity', target: { kind: 'auto-scaling-group', groupName: 'workers', count: 8 } },
      ] as PlanInput['components'],
    }));

    // Act
    const statements = bySid(statementsFor('readiness', [plan], 'dev'));

    // Assess
    expect(statements.get('ReadinessDescribeEcsServices')).toMatchObject({
      Action: ['ecs:DescribeServices'],
      Resource: ['arn:aws:ecs:eu-west-1:111122223333:service/serving-eu/ranker'],
    });
    expect(statements.get('DescribeAutoScalingGroups')).toMatchObject({
      Action: ['autoscaling:DescribeAutoScalingGroups'],
      Resource: ['*'],
    });
    for (const sid of ['ReadinessReadReplicationRules', 'ReadinessDescribeSageMakerEndpoints']) {
      expect(statements.has(sid)).toBe(false);
    }
  });
});
