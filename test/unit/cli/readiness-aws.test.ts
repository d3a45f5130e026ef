import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { DescribeRuleCommand, EventBridgeClient, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeGlobalClustersCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import {
  GetHealthCheckCommand,
  GetHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { GetRoutingControlStateCommand, Route53RecoveryClusterClient } from '@aws-sdk/client-route53-recovery-cluster';
import { DescribeStateMachineCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReadinessReport } from '#core/readiness/model.js';
import { ACCOUNT, cli, NOW, sfn } from './support.js';

const rds = mockClient(RDSClient);
const cloudwatch = mockClient(CloudWatchClient);
const route53 = mockClient(Route53Client);
const eventBridge = mockClient(EventBridgeClient);
const lambda = mockClient(LambdaClient);
const arc = mockClient(Route53RecoveryClusterClient);

const TARGET_ARN = `arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:orders-eu`;
const PRIMARY_ARN = `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:orders-us`;
const WRITER = 'orders-us.cluster-abc.us-east-1.rds.amazonaws.com';
const TRIGGER_ARN = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:dr-failover-dev-trigger`;
const pattern = (alarm: string) =>
  JSON.stringify({
    source: ['aws.cloudwatch'],
    resources: [`arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:${alarm}`],
    detail: { state: { value: ['ALARM'] } },
  });

/** A healthy deployment of plans/orders.yml. */
beforeEach(() => {
  rds.on(DescribeGlobalClustersCommand).resolves({
    GlobalClusters: [
      {
        GlobalClusterIdentifier: 'orders-global',
        Status: 'available',
        GlobalClusterMembers: [
          { DBClusterArn: PRIMARY_ARN, IsWriter: true },
          { DBClusterArn: TARGET_ARN, IsWriter: false, SynchronizationStatus: 'connected' },
        ],
      },
    ],
  });
  rds
    .on(DescribeDBClustersCommand, { DBClusterIdentifier: TARGET_ARN })
    .resolves({
      DBClusters: [
        {
          DBClusterArn: TARGET_ARN,
          Status: 'available',
          Endpoint: 'orders-eu.cluster-def.eu-west-1.rds.amazonaws.com',
          DBClusterMembers: [{ DBInstanceIdentifier: 'orders-eu-1' }],
        },
      ],
    })
    .on(DescribeDBClustersCommand, { DBClusterIdentifier: PRIMARY_ARN })
    .resolves({ DBClusters: [{ DBClusterArn: PRIMARY_ARN, Status: 'available', Endpoint: WRITER }] });
  rds.on(DescribeDBClusterSnapshotsCommand).resolves({
    DBClusterSnapshots: [
      {
        DBClusterSnapshotIdentifier: 'rds:orders-eu-2026-11-25',
        DBClusterIdentifier: 'orders-eu',
        SnapshotType: 'automated',
        Status: 'available',
        SnapshotCreateTime: new Date(NOW.getTime() - 2 * 3_600_000),
      },
    ],
  });
  // The lag adapter reads CloudWatch with its own clock: a datapoint from a minute ago, in real time.
  cloudwatch.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: MetricDataQuery[] }) => ({
    MetricDataResults: input.MetricDataQueries.map((q) => ({
      Id: q.Id,
      Timestamps: [new Date(Date.now() - 60_000)],
      Values: [1200],
      StatusCode: 'Complete',
    })),
  }));
  cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: ['orders-db-primary-unhealthy', 'orders-api-writes-failing'].map((AlarmName) => ({
      AlarmName,
      StateValue: 'OK',
      StateUpdatedTimestamp: new Date(NOW.getTime() - 86_400_000),
    })),
  });
  route53.on(GetHostedZoneCommand).resolves({
    HostedZone: {
      Id: '/hostedzone/Z0123456789ABCDEFGHIJ',
      Name: 'orders.example.internal.',
      CallerReference: 'x',
      Config: { PrivateZone: true },
    },
    // Associated with the VPCs Verify runs in (the plan's traffic.verify.vpc, and wayBackVpc for the way back).
    VPCs: [
      { VPCId: 'vpc-0a1b2c3d4e5f60711', VPCRegion: 'eu-west-1' },
      { VPCId: 'vpc-0f1e2d3c4b5a69781', VPCRegion: 'us-east-1' },
    ],
  });
  // The failover pair, each record's health check following its region's routing control.
  route53.on(ListResourceRecordSetsCommand).resolves({
    ResourceRecordSets: [
      ['PRIMARY', WRITER, HC.primary],
      ['SECONDARY', 'orders-eu.cluster-def.eu-west-1.rds.amazonaws.com', HC.standby],
    ].map(([Failover, Value, HealthCheckId]) => ({
      Name: 'db.orders.example.internal.',
      Type: 'CNAME',
      SetIdentifier: Failover,
      Failover: Failover as 'PRIMARY' | 'SECONDARY',
      HealthCheckId,
      TTL: 30,
      ResourceRecords: [{ Value }],
    })),
    IsTruncated: false,
    MaxItems: 10,
  });
  route53.on(GetHealthCheckCommand).callsFake((input: { HealthCheckId: string }) => ({
    HealthCheck: {
      Id: input.HealthCheckId,
      CallerReference: 'x',
      HealthCheckVersion: 1,
      HealthCheckConfig: {
        Type: 'RECOVERY_CONTROL',
        RoutingControlArn: `${CONTROL_PANEL}/routingcontrol/${input.HealthCheckId === HC.primary ? '1a2b3c4d5e6f7081' : '9f8e7d6c5b4a3021'}`,
      },
    },
  }));
  // Rule n of the plan (any stage) sends the plan's n-th alarm.
  eventBridge.on(DescribeRuleCommand).callsFake((input: { Name: string }) => ({
    State: 'ENABLED',
    EventPattern: pattern(input.Name.endsWith('-1') ? 'orders-db-primary-unhealthy' : 'orders-api-writes-failing'),
  }));
  eventBridge.on(ListTargetsByRuleCommand).resolves({ Targets: [{ Id: 't', Arn: TRIGGER_ARN }] });
  sfn.on(DescribeStateMachineCommand).resolves({ status: 'ACTIVE' });
  lambda.on(GetFunctionConfigurationCommand).resolves({ State: 'Active', LastUpdateStatus: 'Successful' });
  // The routing controls before any failover: traffic on the primary.
  arc.on(GetRoutingControlStateCommand).callsFake((input: { RoutingControlArn: string }) => ({
    RoutingControlArn: input.RoutingControlArn,
    RoutingControlState: input.RoutingControlArn.endsWith('1a2b3c4d5e6f7081') ? 'On' : 'Off',
  }));
});

afterEach(() => {
  for (const m of [rds, cloudwatch, route53, eventBridge, lambda, sfn, arc]) m.reset();
});

/**
 * The command end to end through the real readiness adapters, AWS answered by SDK mocks: the stack names the
 * command derives reach the right APIs (test/unit/cli/readiness.test.ts covers the output through fake probes).
 */
const HC = { primary: '11111111-2222-4333-8444-555555555555', standby: '66666666-7777-4888-9999-aaaaaaaaaaaa' };
const CONTROL_PANEL = `arn:aws:route53-recovery-control::${ACCOUNT}:controlpanel/0a1b2c3d4e5f60718293a4b5c6d7e8f9`;

describe('dr-failover readiness against AWS', () => {
  it('prints every check of the plan as a table and exits 0 when none is CRITICAL', async () => {
    // Act
    const out = await cli(['readiness', '--plan', 'orders']);

    // Assess
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^orders: DR readiness OK /);
    for (const check of [
      'standby',
      'replication-lag',
      'backup',
      'trigger-alarms',
      'traffic',
      'state-machine',
      'functions',
    ]) {
      expect(out.stdout).toMatch(new RegExp(`\\n${check}\\s+OK\\s+standby `));
    }
    expect(out.stdout).toMatch(/\ndns\s+OK\s+primary /);
    expect(out.stdout).toMatch(/\nfailover-records\s+OK\s+primary /);
    expect(route53).toHaveReceivedCommandTimes(GetHealthCheckCommand, 2);
    expect(out.stdout).not.toContain('\x1b[');
    // The stack's names follow from the plan and the stage.
    expect(sfn).toHaveReceivedCommandWith(DescribeStateMachineCommand, {
      stateMachineArn: `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:dr-failover-dev`,
    });
    expect(lambda).toHaveReceivedCommandWith(GetFunctionConfigurationCommand, {
      FunctionName: 'dr-failover-dev-promote',
    });
    expect(lambda).toHaveReceivedCommandTimes(GetFunctionConfigurationCommand, 13);
  });

  it('prints the report as JSON and exits 1 when a check is CRITICAL', async () => {
    // Prepare: the prod stage's trigger, and a newest snapshot three days old.
    eventBridge
      .on(ListTargetsByRuleCommand)
      .resolves({ Targets: [{ Id: 't', Arn: TRIGGER_ARN.replace('-dev-', '-prod-') }] });
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        {
          DBClusterSnapshotIdentifier: 'old',
          DBClusterIdentifier: 'orders-eu',
          Status: 'available',
          SnapshotCreateTime: new Date(NOW.getTime() - 72 * 3_600_000),
        },
      ],
    });

    // Act
    const out = await cli(['readiness', '--plan', 'orders', '--json', '--stage', 'prod']);

    // Assess
    expect(out.code).toBe(1);
    const report = JSON.parse(out.stdout) as ReadinessReport;
    expect(report).toMatchObject({ plan: 'orders', status: 'CRITICAL', counts: { OK: 8, WARN: 0, CRITICAL: 1 } });
    expect(report.checks.find((c) => c.check === 'backup')?.summary).toContain('72 h old');
    expect(eventBridge).toHaveReceivedCommandWith(DescribeRuleCommand, { Name: 'dr-failover-prod-orders-alarm-1' });
  });
});
