import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  type DBCluster,
  DBClusterNotFoundFault,
  type DBInstance,
  DBInstanceNotFoundFault,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBParametersCommand,
  DescribeDBSnapshotsCommand,
  DescribeGlobalClustersCommand,
  type GlobalCluster,
  GlobalClusterNotFoundFault,
  RDSClient,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { readinessProbesFor } from '#adapters/readiness/index.js';
import { AuroraGlobalReadiness, RdsInstanceReadiness } from '#adapters/readiness/rds.js';
import { AmbiguousTopologyError, AwsRequestFailedError, ThrottledError } from '#core/errors.js';
import type { PlanWithDatabase } from '#core/plan.js';
import { evaluateStandby } from '#core/readiness/checks.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const rds = mockClient(RDSClient);
const cloudwatch = mockClient(CloudWatchClient);

const featureStore = loadPlanFile('plans/feature-store.yml') as PlanWithDatabase<'rds-instance'>;
const orders = loadPlanFile('plans/orders.yml') as PlanWithDatabase<'aurora-global'>;
const SOURCE_ARN = 'arn:aws:rds:us-west-2:111122223333:db:feature-store';
const TARGET_ARN = 'arn:aws:rds:eu-west-1:111122223333:cluster:orders-eu';
const PRIMARY_ARN = 'arn:aws:rds:us-east-1:111122223333:cluster:orders-us';
const REPLICA_ENDPOINT = 'feature-store-replica.abc.us-east-2.rds.amazonaws.com';
const SOURCE_ENDPOINT = 'feature-store.def.us-west-2.rds.amazonaws.com';

/** The region each command was sent to, in order (mockClient stubs the prototype's send). */
const regionsOf = async (command: Parameters<typeof rds.commandCalls>[0]) =>
  Promise.all(rds.commandCalls(command).map((c) => (c.thisValue as RDSClient).config.region()));

const replica = (over: Partial<DBInstance> = {}): DBInstance => ({
  DBInstanceIdentifier: 'feature-store-replica',
  DBInstanceStatus: 'available',
  ReadReplicaSourceDBInstanceIdentifier: SOURCE_ARN,
  StatusInfos: [{ StatusType: 'read replication', Normal: true, Status: 'replicating' }],
  Endpoint: { Address: REPLICA_ENDPOINT, Port: 5432 },
  ...over,
});

afterEach(() => {
  rds.reset();
  cloudwatch.reset();
});

describe('RdsInstanceReadiness.standby', () => {
  it('describes the replica by identifier in the standby region and reads a replicating replica as healthy', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [replica()] });

    // Act
    const facts = await new RdsInstanceReadiness(featureStore).standby();

    // Assess
    expect(rds).toHaveReceivedCommandExactlyOnceWith(DescribeDBInstancesCommand, {
      DBInstanceIdentifier: 'feature-store-replica',
    });
    expect(await regionsOf(DescribeDBInstancesCommand)).toEqual(['us-east-2']);
    expect(facts).toMatchObject({ exists: true, role: 'replica', state: 'available', replication: 'replicating' });
    expect(facts.blocker).toBeUndefined();
  });

  it.each([
    [
      'replication in error',
      { StatusInfos: [{ StatusType: 'read replication', Normal: false, Status: 'error' }] },
      'CRITICAL',
    ],
    ['a failed instance', { DBInstanceStatus: 'storage-full' }, 'CRITICAL'],
    ['an instance being modified', { DBInstanceStatus: 'modifying' }, 'WARN'],
  ])('reports %s as a blocker', async (_, over, status) => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [replica(over)] });

    // Act
    const facts = await new RdsInstanceReadiness(featureStore).standby();

    // Assess
    expect(facts.blocker?.status).toBe(status);
  });

  it('reads a missing replica as a finding, and a throttled describe as a retryable failure', async () => {
    // Prepare
    rds
      .on(DescribeDBInstancesCommand)
      .rejectsOnce(
        new DBInstanceNotFoundFault({ $metadata: {}, message: 'DBInstance feature-store-replica not found' }),
      )
      .rejectsOnce(new RDSServiceException({ name: 'Throttling', $fault: 'client', $metadata: {}, message: 'Rate' }));

    // Act
    const missing = await new RdsInstanceReadiness(featureStore).standby();
    const throttled = new RdsInstanceReadiness(featureStore).standby();

    // Assess
    expect(missing).toMatchObject({ exists: false });
    await expect(throttled).rejects.toBeInstanceOf(ThrottledError);
  });
});

describe('RdsInstanceReadiness.backup', () => {
  it('takes the newest available snapshot or replicated backup of the replica or its source, following pages', async () => {
    // Prepare
    rds
      .on(DescribeDBSnapshotsCommand)
      .resolvesOnce({
        DBSnapshots: [
          {
            DBSnapshotIdentifier: 'old',
            DBInstanceIdentifier: 'feature-store',
            Status: 'available',
            SnapshotCreateTime: new Date('2026-11-24T03:00:00Z'),
          },
        ],
        Marker: 'page-2',
      })
      .resolvesOnce({
        DBSnapshots: [
          {
            DBSnapshotIdentifier: 'copying',
            DBInstanceIdentifier: 'feature-store',
            Status: 'creating',
            SnapshotCreateTime: new Date('2026-11-26T11:00:00Z'),
          },
        ],
      });
    rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
      DBInstanceAutomatedBackups: [
        {
          DBInstanceIdentifier: 'feature-store',
          Region: 'us-west-2',
          Status: 'replicating',
          RestoreWindow: { LatestTime: new Date('2026-11-26T10:55:00Z') },
        },
      ],
    });

    // Act
    const facts = await new RdsInstanceReadiness(featureStore).backup();

    // Assess
    const filters = [{ Name: 'db-instance-id', Values: ['feature-store-replica', 'feature-store'] }];
    expect(rds).toHaveReceivedNthCommandWith(DescribeDBSnapshotsCommand, 1, { Filters: filters, Marker: undefined });
    expect(rds).toHaveReceivedNthCommandWith(DescribeDBSnapshotsCommand, 2, { Filters: filters, Marker: 'page-2' });
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstanceAutomatedBackupsCommand, { Filters: filters });
    expect(await regionsOf(DescribeDBSnapshotsCommand)).toEqual(['us-east-2', 'us-east-2']);
    expect(facts).toMatchObject({
      kind: 'found',
      newestAt: new Date('2026-11-26T10:55:00Z'),
      source: 'automated backup replicated from us-west-2 of feature-store',
    });
  });

  it('finds none when nothing is available', async () => {
    // Prepare
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] });
    rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({ DBInstanceAutomatedBackups: [] });

    // Act
    const facts = await new RdsInstanceReadiness(featureStore).backup();

    // Assess
    expect(facts.kind).toBe('none');
  });

  it('fails with a named terminal error when access is denied', async () => {
    // Prepare
    rds
      .on(DescribeDBSnapshotsCommand)
      .rejects(new RDSServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: {}, message: 'no' }));
    rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({});

    // Act / Assess
    await expect(new RdsInstanceReadiness(featureStore).backup()).rejects.toBeInstanceOf(AwsRequestFailedError);
  });
});

describe('RdsInstanceReadiness.writer', () => {
  it('reads the source in the primary region, once, and forbids the replica while it replicates', async () => {
    // Prepare
    rds
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'feature-store-replica' })
      .resolves({ DBInstances: [replica()] })
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'feature-store' })
      .resolves({ DBInstances: [{ DBInstanceIdentifier: 'feature-store', Endpoint: { Address: SOURCE_ENDPOINT } }] });
    const reader = new RdsInstanceReadiness(featureStore);

    // Act
    await reader.standby();
    const writer = await reader.writer();

    // Assess: the replica was described once for both reads.
    expect(await regionsOf(DescribeDBInstancesCommand)).toEqual(['us-east-2', 'us-west-2']);
    expect(writer).toMatchObject({ role: 'primary', endpoints: [SOURCE_ENDPOINT], forbidden: [REPLICA_ENDPOINT] });
  });

  it('keeps the forbidden replica address when the primary region refuses', async () => {
    // Prepare
    rds
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'feature-store-replica' })
      .resolves({ DBInstances: [replica()] })
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'feature-store' })
      .rejects(new RDSServiceException({ name: 'InternalFailure', $fault: 'server', $metadata: {}, message: 'down' }));

    // Act
    const writer = await new RdsInstanceReadiness(featureStore).writer();

    // Assess
    expect(writer).toMatchObject({ role: 'primary', endpoints: [], forbidden: [REPLICA_ENDPOINT] });
    expect(writer.detail).toContain('InternalFailure');
  });

  it('names the promoted replica as the writer without calling the primary region', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [replica({ ReadReplicaSourceDBInstanceIdentifier: undefined, StatusInfos: [] })],
    });

    // Act
    const writer = await new RdsInstanceReadiness(featureStore).writer();

    // Assess
    expect(writer).toMatchObject({ role: 'standby', endpoints: [REPLICA_ENDPOINT] });
    expect(await regionsOf(DescribeDBInstancesCommand)).toEqual(['us-east-2']);
  });
});

const globalCluster = (over: Partial<GlobalCluster> = {}): GlobalCluster => ({
  GlobalClusterIdentifier: 'orders-global',
  Status: 'available',
  Endpoint: 'orders-global.global-xyz.global.rds.amazonaws.com',
  GlobalClusterMembers: [
    { DBClusterArn: PRIMARY_ARN, IsWriter: true },
    { DBClusterArn: TARGET_ARN, IsWriter: false, SynchronizationStatus: 'connected' },
  ],
  ...over,
});
const targetCluster = (over: Partial<DBCluster> = {}): DBCluster => ({
  DBClusterArn: TARGET_ARN,
  Status: 'available',
  Endpoint: 'orders-eu.cluster-def.eu-west-1.rds.amazonaws.com',
  ReaderEndpoint: 'orders-eu.cluster-ro-def.eu-west-1.rds.amazonaws.com',
  DBClusterMembers: [{ DBInstanceIdentifier: 'orders-eu-1', IsClusterWriter: false }],
  ...over,
});

describe('AuroraGlobalReadiness', () => {
  it('reads the global cluster and the target cluster in the standby region', async () => {
    // Prepare
    rds.on(DescribeGlobalClustersCommand).resolves({ GlobalClusters: [globalCluster()] });
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [targetCluster()] });

    // Act
    const facts = await new AuroraGlobalReadiness(orders).standby();

    // Assess
    expect(rds).toHaveReceivedCommandExactlyOnceWith(DescribeGlobalClustersCommand, {
      GlobalClusterIdentifier: 'orders-global',
    });
    expect(rds).toHaveReceivedCommandExactlyOnceWith(DescribeDBClustersCommand, { DBClusterIdentifier: TARGET_ARN });
    expect(await regionsOf(DescribeDBClustersCommand)).toEqual(['eu-west-1']);
    expect(facts).toMatchObject({ exists: true, role: 'replica', replication: 'connected' });
    expect(facts.blocker).toBeUndefined();
  });

  it.each([
    ['a headless secondary', {}, { DBClusterMembers: [] }, 'CRITICAL'],
    [
      'a switchover in progress',
      { FailoverState: { Status: 'switching-over', FromDbClusterArn: PRIMARY_ARN, ToDbClusterArn: TARGET_ARN } },
      {},
      'WARN',
    ],
    [
      'a secondary pending resync',
      {
        GlobalClusterMembers: [
          { DBClusterArn: PRIMARY_ARN, IsWriter: true },
          { DBClusterArn: TARGET_ARN, IsWriter: false, SynchronizationStatus: 'pending-resync' },
        ],
      },
      {},
      'WARN',
    ],
  ] as [string, Partial<GlobalCluster>, Partial<DBCluster>, string][])(
    'reports %s as a blocker',
    async (_, globalOver, clusterOver, status) => {
      // Prepare
      rds.on(DescribeGlobalClustersCommand).resolves({ GlobalClusters: [globalCluster(globalOver)] });
      rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [targetCluster(clusterOver)] });

      // Act
      const facts = await new AuroraGlobalReadiness(orders).standby();

      // Assess
      expect(facts.blocker?.status).toBe(status);
    },
  );

  it('reads a missing global cluster or target cluster as no standby', async () => {
    // Prepare
    rds
      .on(DescribeGlobalClustersCommand)
      .rejectsOnce(new GlobalClusterNotFoundFault({ $metadata: {}, message: 'orders-global not found' }))
      .resolves({ GlobalClusters: [globalCluster()] });
    rds.on(DescribeDBClustersCommand).rejects(new DBClusterNotFoundFault({ $metadata: {}, message: 'not found' }));

    // Act
    const noGlobal = await new AuroraGlobalReadiness(orders).standby();
    const noTarget = await new AuroraGlobalReadiness(orders).standby();

    // Assess
    expect(noGlobal).toMatchObject({ exists: false, detail: 'global cluster orders-global not found' });
    expect(noTarget).toMatchObject({ exists: false, detail: `DB cluster ${TARGET_ARN} not found` });
  });

  it('accepts the global writer endpoint and the primary cluster endpoint, and forbids the secondary endpoints', async () => {
    // Prepare
    rds.on(DescribeGlobalClustersCommand).resolves({ GlobalClusters: [globalCluster()] });
    rds
      .on(DescribeDBClustersCommand, { DBClusterIdentifier: TARGET_ARN })
      .resolves({ DBClusters: [targetCluster()] })
      .on(DescribeDBClustersCommand, { DBClusterIdentifier: PRIMARY_ARN })
      .resolves({
        DBClusters: [{ DBClusterArn: PRIMARY_ARN, Endpoint: 'orders-us.cluster-abc.us-east-1.rds.amazonaws.com' }],
      });

    // Act
    const writer = await new AuroraGlobalReadiness(orders).writer();

    // Assess
    expect(await regionsOf(DescribeDBClustersCommand)).toEqual(['eu-west-1', 'us-east-1']);
    expect(writer).toEqual({
      role: 'primary',
      endpoints: [
        'orders-global.global-xyz.global.rds.amazonaws.com',
        'orders-us.cluster-abc.us-east-1.rds.amazonaws.com',
      ],
      forbidden: [
        'orders-eu.cluster-def.eu-west-1.rds.amazonaws.com',
        'orders-eu.cluster-ro-def.eu-west-1.rds.amazonaws.com',
      ],
      detail: `${PRIMARY_ARN} is the writer of orders-global`,
    });
  });

  it('takes the newest available cluster snapshot of either cluster, in the standby region', async () => {
    // Prepare
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        {
          DBClusterSnapshotIdentifier: 'rds:orders-eu-2026-11-26',
          DBClusterIdentifier: 'orders-eu',
          SnapshotType: 'automated',
          Status: 'available',
          SnapshotCreateTime: new Date('2026-11-26T04:00:00Z'),
        },
        {
          DBClusterSnapshotIdentifier: 'orders-us-copy',
          DBClusterIdentifier: 'orders-us',
          SnapshotType: 'manual',
          Status: 'available',
          SnapshotCreateTime: new Date('2026-11-25T04:00:00Z'),
        },
      ],
    });

    // Act
    const facts = await new AuroraGlobalReadiness(orders).backup();

    // Assess
    expect(rds).toHaveReceivedCommandExactlyOnceWith(DescribeDBClusterSnapshotsCommand, {
      Filters: [{ Name: 'db-cluster-id', Values: ['orders-eu', 'orders-us'] }],
    });
    expect(await regionsOf(DescribeDBClusterSnapshotsCommand)).toEqual(['eu-west-1']);
    expect(facts).toMatchObject({
      kind: 'found',
      newestAt: new Date('2026-11-26T04:00:00Z'),
      source: 'automated snapshot rds:orders-eu-2026-11-26 of orders-eu',
    });
  });
});

describe('readinessProbesFor an RDS plan', () => {
  const stack = {
    stage: 'dev',
    stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:dr-failover-dev',
    triggerFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:dr-failover-dev-trigger',
    functionNames: [],
  };

  it('reads the lag of an RDS instance plan through its failover adapter, as the failover itself would', async () => {
    // Prepare: a promoted replica publishes no lag; only the failover adapter reads that as already promoted.
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [replica({ ReadReplicaSourceDBInstanceIdentifier: undefined, StatusInfos: [] })],
    });
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Act
    const probes = await readinessProbesFor(featureStore, stack);
    const [standby, lag] = await Promise.all([probes.standby(), probes.replicationLag()]);

    // Assess
    expect(standby).toMatchObject({ exists: true, role: 'promoted' });
    expect(lag).toMatchObject({ status: 'known', seconds: 0, alreadyPromoted: true });
    expect(cloudwatch).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
  });

  it('reads a promoted replica fenced read-only by its own group as CRITICAL, with the reason, and its lag as refused', async () => {
    // Prepare: after a way back; the plan unchanged.
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        replica({
          ReadReplicaSourceDBInstanceIdentifier: undefined,
          StatusInfos: [],
          DBParameterGroups: [{ DBParameterGroupName: 'feature-store-replica-pg', ParameterApplyStatus: 'in-sync' }],
        }),
      ],
    });
    rds.on(DescribeDBParametersCommand).resolves({
      Parameters: [{ ParameterName: 'default_transaction_read_only', ParameterValue: '1', Source: 'user' }],
    });
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Act
    const probes = await readinessProbesFor(featureStore, stack);
    const standby = evaluateStandby(await probes.standby());
    const lag = probes.replicationLag();

    // Assess
    expect(standby.status).toBe('CRITICAL');
    expect(standby.summary).toMatch(
      /^a failover run would be refused: feature-store-replica in us-east-2 is standalone \(available\) but its parameter group feature-store-replica-pg \(in-sync\) sets default_transaction_read_only = 1: it is fenced read-only/,
    );
    expect(standby.summary).toContain('The writer is probably feature-store-failback in us-west-2');
    await expect(lag).rejects.toBeInstanceOf(AmbiguousTopologyError);
    expect(rds).toHaveReceivedCommandWith(DescribeDBParametersCommand, {
      DBParameterGroupName: 'feature-store-replica-pg',
      Source: 'user',
    });
    expect(await regionsOf(DescribeDBParametersCommand)).toStrictEqual(['us-east-2', 'us-east-2']);
  });

  it('keeps a promoted replica whose group is not read-only a WARN (nothing to fail over to yet)', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        replica({
          ReadReplicaSourceDBInstanceIdentifier: undefined,
          StatusInfos: [],
          DBParameterGroups: [{ DBParameterGroupName: 'feature-store-replica-pg', ParameterApplyStatus: 'in-sync' }],
        }),
      ],
    });
    rds.on(DescribeDBParametersCommand).resolves({ Parameters: [] });

    // Act
    const standby = evaluateStandby(await new RdsInstanceReadiness(featureStore).standby());

    // Assess: the group was read, and found not read-only.
    expect(rds).toHaveReceivedCommandTimes(DescribeDBParametersCommand, 1);
    expect(standby.status).toBe('WARN');
    expect(standby.summary).toMatch(/already promoted/);
  });

  it('reads the lag of an Aurora global plan through its failover adapter, as the failover itself would', async () => {
    // Prepare
    rds.on(DescribeGlobalClustersCommand).resolves({
      GlobalClusters: [
        globalCluster({
          GlobalClusterMembers: [
            { DBClusterArn: PRIMARY_ARN, IsWriter: false },
            { DBClusterArn: TARGET_ARN, IsWriter: true },
          ],
        }),
      ],
    });
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [targetCluster()] });
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Act
    const probes = await readinessProbesFor(orders, stack);
    const [standby, lag] = await Promise.all([probes.standby(), probes.replicationLag()]);

    // Assess
    expect(standby).toMatchObject({ exists: true, role: 'promoted' });
    expect(lag).toMatchObject({ status: 'known', seconds: 0, alreadyPromoted: true });
    expect(cloudwatch).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
  });
});
