/**
 * The readiness reads of a plan's components: the exact AWS commands each kind sends, in which Region, and how
 * AWS's refusals come back (a missing rule is a fact; access denied names the IAM action; a bug escapes).
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException as TableNotFound,
} from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetFunctionConfigurationCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetBucketReplicationCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { GetMultiRegionAccessPointRoutesCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { DescribeEndpointCommand, SageMakerClient, SageMakerServiceException } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { readAccessPointRoutes } from '#adapters/access-point/index.js';
import { platformComponents } from '#adapters/components/index.js';
import { type ComponentReadinessDeps, componentFacts } from '#adapters/readiness/components.js';
import { readinessProbesFor } from '#adapters/readiness/index.js';
import type { Plan } from '#core/plan.js';
import type { ComponentConfig } from '#core/plan-components.js';
import { runReadinessChecks } from '#core/readiness/runner.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const s3 = mockClient(S3Client);
const s3control = mockClient(S3ControlClient);
const cw = mockClient(CloudWatchClient);
const sm = mockClient(SageMakerClient);
const ecs = mockClient(ECSClient);
const asg = mockClient(AutoScalingClient);
const lambda = mockClient(LambdaClient);
const dynamodb = mockClient(DynamoDBClient);
const rds = mockClient(RDSClient);

afterEach(() => {
  for (const m of [s3, s3control, cw, sm, ecs, asg, lambda, dynamodb, rds]) m.reset();
});

const ml: Plan = loadPlanFile('plans/ml-platform.yml');
const named = <K extends ComponentConfig['kind']>(name: string) =>
  (ml.components ?? []).find((c) => c.name === name) as Extract<ComponentConfig, { kind: K }>;
const artifacts = named<'s3-replication'>('model-artifacts');
const serving = named<'capacity'>('serving');
const warm = named<'custom-action'>('warm-feature-cache');
const features = named<'dynamodb-global-table'>('online-features');

/** The deps, recording the Region each client is made for. */
const deps = (over: Partial<ComponentReadinessDeps> = {}) => {
  const regions: string[] = [];
  const made: ComponentReadinessDeps = {
    components: platformComponents,
    database: async () => {
      throw new Error('no database component read here');
    },
    s3: (region) => {
      regions.push(`s3 ${region}`);
      return new S3Client({ region });
    },
    lambda: (region) => {
      regions.push(`lambda ${region}`);
      return new LambdaClient({ region });
    },
    dynamodb: (region) => {
      regions.push(`dynamodb ${region}`);
      return new DynamoDBClient({ region });
    },
    ...over,
  };
  return { regions, deps: made };
};

const RULE = {
  ID: 'artifacts-to-us-east-2',
  Status: 'Enabled' as const,
  Priority: 1,
  Destination: {
    Bucket: 'arn:aws:s3:::ml-artifacts-us-east-2',
    ReplicationTime: { Status: 'Enabled' as const, Time: { Minutes: 15 } },
    Metrics: { Status: 'Enabled' as const, EventThreshold: { Minutes: 15 } },
  },
};
const awsError = (name: string, message: string) =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 403 }, message });

describe('an s3-replication component’s reads', () => {
  it('asks the source bucket’s replication rule in the primary region and the routes of its access point', async () => {
    // Prepare
    s3.on(GetBucketReplicationCommand).resolves({
      ReplicationConfiguration: { Role: 'arn:aws:iam::111122223333:role/replication', Rules: [RULE] },
    });
    s3control.on(GetMultiRegionAccessPointRoutesCommand).resolves({
      Routes: [
        { Bucket: 'ml-artifacts-us-west-2', Region: 'us-west-2', TrafficDialPercentage: 100 },
        { Bucket: 'ml-artifacts-us-east-2', Region: 'us-east-2', TrafficDialPercentage: 0 },
      ],
    });
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const { regions, deps: d } = deps();

    // Act
    const facts = await componentFacts(ml, d)(artifacts);

    // Assess
    expect(s3).toHaveReceivedCommandExactlyOnceWith(GetBucketReplicationCommand, { Bucket: 'ml-artifacts-us-west-2' });
    expect(s3control).toHaveReceivedCommandWith(GetMultiRegionAccessPointRoutesCommand, {
      AccountId: '111122223333',
      Mrap: 'arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap',
    });
    expect(regions).toEqual(['s3 us-west-2']);
    expect(facts).toMatchObject({
      kind: 's3-replication',
      // No datapoints: the gate is unknown, never within.
      gate: { ok: true, value: { status: 'unknown', within: false } },
      rule: {
        ok: true,
        value: {
          exists: true,
          status: 'Enabled',
          destinationBucket: 'ml-artifacts-us-east-2',
          replicationTime: 'Enabled',
          metrics: 'Enabled',
        },
      },
      routes: { ok: true, value: { answeredBy: 'us-east-1' } },
    });
  });

  it('reads a bucket without a replication configuration as no rule, and names the permission it was refused', async () => {
    // Prepare
    s3.on(GetBucketReplicationCommand)
      .rejectsOnce(awsError('ReplicationConfigurationNotFoundError', 'The replication configuration was not found'))
      .rejectsOnce(awsError('AccessDenied', 'Access Denied'));
    const routes = async () => ({ routes: [], answeredBy: 'us-east-1' });
    const { deps: d } = deps({
      routes,
      components: async () => ({
        ...(await platformComponents()),
        readGate: async () => ({ status: 'unknown', within: false, reason: 'r' }),
      }),
    });

    // Act
    const none = await componentFacts(ml, d)(artifacts);
    const denied = await componentFacts(ml, d)(artifacts);

    // Assess
    expect(none).toMatchObject({ rule: { ok: true, value: { exists: false } } });
    expect(denied).toMatchObject({
      rule: { ok: false, retryable: false, deniedAction: 's3:GetReplicationConfiguration' },
    });
    expect((denied as { rule: { error: string } }).rule.error).toContain('GetBucketReplication ml-artifacts-us-west-2');
  });

  it('reads the routes through the first failover control Region that answers', async () => {
    // Prepare
    const unavailable = Object.assign(new Error('Service Unavailable'), {
      name: 'ServiceUnavailable',
      $fault: 'server',
      $metadata: {},
    });
    s3control.on(GetMultiRegionAccessPointRoutesCommand).rejectsOnce(unavailable).resolves({ Routes: [] });
    const asked: string[] = [];

    // Act
    const read = await readAccessPointRoutes(artifacts.accessPoint as NonNullable<typeof artifacts.accessPoint>, {
      client: (region) => {
        asked.push(region);
        return new S3ControlClient({ region });
      },
    });

    // Assess
    expect(asked).toEqual(['us-east-1', 'ap-southeast-2']);
    expect(read).toEqual({ routes: [], answeredBy: 'ap-southeast-2' });
  });
});

describe('a dynamodb-global-table component’s reads', () => {
  it('describes the table in the standby region (its status, the replicas it lists); none there is a fact', async () => {
    // Prepare
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    dynamodb
      .on(DescribeTableCommand)
      .resolvesOnce({
        Table: {
          TableName: 'online-features',
          TableStatus: 'ACTIVE',
          Replicas: [
            { RegionName: 'us-west-2', ReplicaStatus: 'ACTIVE' },
            { RegionName: 'us-east-2', ReplicaStatus: 'ACTIVE' },
          ],
        },
      })
      .rejectsOnce(new TableNotFound({ $metadata: {}, message: 'Requested resource not found' }));
    const { regions, deps: d } = deps();

    // Act
    const found = await componentFacts(ml, d)(features);
    const none = await componentFacts(ml, d)(features);

    // Assess
    expect(dynamodb).toHaveReceivedCommandWith(DescribeTableCommand, { TableName: 'online-features' });
    expect(regions).toEqual(['dynamodb us-east-2', 'dynamodb us-east-2']);
    expect(found).toMatchObject({
      kind: 'dynamodb-global-table',
      // The metric lives in the primary region by default; no datapoints: unknown, never within.
      gate: { ok: true, value: { status: 'unknown', within: false } },
      replica: {
        ok: true,
        value: {
          exists: true,
          tableStatus: 'ACTIVE',
          replicas: [
            { region: 'us-west-2', status: 'ACTIVE' },
            { region: 'us-east-2', status: 'ACTIVE' },
          ],
        },
      },
    });
    expect(none).toMatchObject({ replica: { ok: true, value: { exists: false, replicas: [] } } });
  });
});

describe('a capacity component’s reads, through the run’s capacity adapters in the standby region', () => {
  it('describes a SageMaker endpoint, naming the action AWS refused', async () => {
    // Prepare
    sm.on(DescribeEndpointCommand)
      .resolvesOnce({
        EndpointName: 'ranking-serving',
        EndpointStatus: 'InService',
        ProductionVariants: [{ VariantName: 'primary', CurrentInstanceCount: 1, DesiredInstanceCount: 1 }],
      })
      .rejectsOnce(
        new SageMakerServiceException({
          name: 'AccessDeniedException',
          $fault: 'client',
          $metadata: {},
          message:
            'User: arn:aws:sts::111122223333:assumed-role/readiness/fn is not authorized to perform: sagemaker:DescribeEndpoint on resource: arn:aws:sagemaker:us-east-2:111122223333:endpoint/ranking-serving',
        }),
      );
    const { deps: d } = deps();

    // Act
    const seen = await componentFacts(ml, d)(serving);
    const refused = await componentFacts(ml, d)(serving);

    // Assess
    expect(sm).toHaveReceivedNthCommandWith(DescribeEndpointCommand, 1, { EndpointName: 'ranking-serving' });
    expect(seen).toEqual({
      kind: 'capacity',
      target: { ok: true, value: { desired: 1, ready: 1, busy: false, detail: 'InService, 1 instance(s) in primary' } },
    });
    expect(refused).toMatchObject({ target: { ok: false, deniedAction: 'sagemaker:DescribeEndpoint' } });
  });

  it('describes an ECS service and an Auto Scaling group (its MaxSize)', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({
      services: [{ serviceName: 'ranker', status: 'ACTIVE', desiredCount: 2, runningCount: 2, deployments: [{}] }],
    });
    asg.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: 'workers',
          MinSize: 0,
          MaxSize: 6,
          DesiredCapacity: 1,
          DefaultCooldown: 300,
          AvailabilityZones: ['us-east-2a'],
          HealthCheckType: 'EC2',
          CreatedTime: new Date(),
          Instances: [],
        },
      ],
    });
    const ecsService = {
      ...serving,
      target: { kind: 'ecs-service' as const, cluster: 'serving', service: 'ranker', count: 4 },
    };
    const group = { ...serving, target: { kind: 'auto-scaling-group' as const, groupName: 'workers', count: 8 } };
    const { deps: d } = deps();

    // Act
    const service = await componentFacts(ml, d)(ecsService);
    const workers = await componentFacts(ml, d)(group);

    // Assess
    expect(ecs).toHaveReceivedCommandExactlyOnceWith(DescribeServicesCommand, {
      cluster: 'serving',
      services: ['ranker'],
    });
    expect(asg).toHaveReceivedCommandExactlyOnceWith(DescribeAutoScalingGroupsCommand, {
      AutoScalingGroupNames: ['workers'],
    });
    expect(service).toMatchObject({ target: { ok: true, value: { desired: 2, ready: 2 } } });
    expect(workers).toMatchObject({ target: { ok: true, value: { desired: 1, max: 6 } } });
  });
});

describe('a custom-action component’s reads', () => {
  it('reads its function’s configuration in the function’s own region; a missing function is a fact', async () => {
    // Prepare
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce({ State: 'Active', LastUpdateStatus: 'Successful' })
      .rejectsOnce(new ResourceNotFoundException({ $metadata: {}, message: 'Function not found' }));
    const { regions, deps: d } = deps();

    // Act
    const found = await componentFacts(ml, d)(warm);
    const gone = await componentFacts(ml, d)(warm);

    // Assess
    expect(lambda).toHaveReceivedCommandWith(GetFunctionConfigurationCommand, {
      FunctionName: 'arn:aws:lambda:us-east-2:111122223333:function:warm-feature-cache',
    });
    expect(regions).toEqual(['lambda us-east-2', 'lambda us-east-2']);
    expect(found).toMatchObject({ function: { ok: true, value: { exists: true, state: 'Active' } } });
    expect(gone).toMatchObject({ function: { ok: true, value: { exists: false } } });
  });

  it('lets a bug escape rather than report it as a refused read', async () => {
    // Prepare
    const { deps: d } = deps({
      lambda: () => {
        throw new TypeError('not a client');
      },
    });

    // Act / Assess
    await expect(componentFacts(ml, d)(warm)).rejects.toThrow(TypeError);
  });
});

describe("ml-platform's component checks, through the readiness function's own probes", () => {
  it('reads every component with the adapters the run uses and judges each (one CRITICAL: a metric never published)', async () => {
    // Prepare: every metric fresh at 0 except the global table's ReplicationLatency, which CloudWatch has none of.
    cw.on(GetMetricDataCommand).callsFake(
      async (input: { MetricDataQueries: { Id: string; MetricStat?: { Metric?: { Namespace?: string } } }[] }) => ({
        MetricDataResults: input.MetricDataQueries.map((q) =>
          q.MetricStat?.Metric?.Namespace === 'AWS/DynamoDB'
            ? { Id: q.Id, Timestamps: [], Values: [] }
            : { Id: q.Id, Timestamps: [new Date()], Values: [0] },
        ),
      }),
    );
    s3.on(GetBucketReplicationCommand).resolves({ ReplicationConfiguration: { Role: 'r', Rules: [RULE] } });
    s3control.on(GetMultiRegionAccessPointRoutesCommand).resolves({
      Routes: [
        { Bucket: 'ml-artifacts-us-west-2', Region: 'us-west-2', TrafficDialPercentage: 100 },
        { Bucket: 'ml-artifacts-us-east-2', Region: 'us-east-2', TrafficDialPercentage: 0 },
      ],
    });
    dynamodb.on(DescribeTableCommand).resolves({
      Table: { TableStatus: 'ACTIVE', Replicas: [{ RegionName: 'us-west-2', ReplicaStatus: 'ACTIVE' }] },
    });
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: 'ml-features-replica',
          DBInstanceStatus: 'available',
          ReadReplicaSourceDBInstanceIdentifier: 'arn:aws:rds:us-west-2:111122223333:db:ml-features',
          StatusInfos: [{ StatusType: 'read replication', Status: 'replicating', Normal: true }],
        },
      ],
    });
    sm.on(DescribeEndpointCommand).resolves({
      EndpointStatus: 'InService',
      ProductionVariants: [{ VariantName: 'primary', CurrentInstanceCount: 1, DesiredInstanceCount: 1 }],
    });
    lambda.on(GetFunctionConfigurationCommand).resolves({ State: 'Active', LastUpdateStatus: 'Successful' });
    const stack = {
      stage: 'dev',
      stateMachineArn: 'arn:aws:states:us-east-2:111122223333:stateMachine:dr-failover-dev',
      triggerFunctionArn: 'arn:aws:lambda:us-east-2:111122223333:function:dr-failover-dev-trigger',
      functionNames: [],
    };
    const only = (ml.components ?? []).map((c) => `component:${c.name}` as const);

    // Act
    const report = await runReadinessChecks(
      ml,
      { probes: await readinessProbesFor(ml, stack), now: () => new Date() },
      { only },
    );

    // Assess
    expect(Object.fromEntries(report.checks.map((c) => [c.check, c.status]))).toEqual({
      'component:model-artifacts': 'OK',
      'component:online-features': 'CRITICAL',
      'component:feature-metadata': 'OK',
      'component:serving': 'OK',
      'component:warm-feature-cache': 'OK',
    });
    expect(report.checks.find((c) => c.check === 'component:online-features')?.summary).toContain(
      'replication unknown: ReplicationLatency absent: the RPO gate would not pass',
    );
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'ml-features-replica' });
  });
});
