import { fileURLToPath } from 'node:url';
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import {
  DBClusterNotFoundFault,
  DescribeDBClustersCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  type GlobalCluster,
  GlobalClusterNotFoundFault,
  InvalidDBClusterStateFault,
  InvalidGlobalClusterStateFault,
  RDSClient,
  RDSServiceException,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuroraGlobalFailover } from '#adapters/database/aurora-global.js';
import { AwsRequestFailedError, PromotionFailedError, ResourceBusyError, ThrottledError } from '#core/errors.js';
import { decideLag } from '#core/lag-policy.js';
import type { PlanWithDatabase } from '#core/plan.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const rds = mockClient(RDSClient);
const cloudwatch = mockClient(CloudWatchClient);

const NOW = new Date('2026-11-25T12:00:00.000Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);
const GLOBAL_ID = 'orders-global';
const TARGET_ARN = 'arn:aws:rds:eu-west-1:111122223333:cluster:orders-eu';
const PRIMARY_ARN = 'arn:aws:rds:us-east-1:111122223333:cluster:orders-us';
const PRIMARY = 'us-east-1';
const STANDBY = 'eu-west-1';

const loadPlan = (): PlanWithDatabase<'aurora-global'> => {
  const plan = loadPlanFile(fileURLToPath(new URL('../../../plans/orders.yml', import.meta.url)));
  if (plan.database.kind !== 'aurora-global') throw new Error('plans/orders.yml must be an aurora-global plan');
  return { ...plan, database: plan.database };
};

const adapter = () => new AuroraGlobalFailover(loadPlan(), { now: () => NOW });

type Series = { Timestamps: Date[]; Values: number[] } | undefined;
/** Answers GetMetricData per query (metric name and dimension set), echoing the query ids back. */
const metrics = (series: (metricName: string, dimensions: Record<string, string>) => Series) =>
  cloudwatch.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: MetricDataQuery[] }) => ({
    MetricDataResults: input.MetricDataQueries.map((q) => {
      const dims = Object.fromEntries((q.MetricStat?.Metric?.Dimensions ?? []).map((d) => [d.Name, d.Value]));
      const s = series(q.MetricStat?.Metric?.MetricName ?? '', dims) ?? { Timestamps: [], Values: [] };
      return { Id: q.Id, ...s, StatusCode: 'Complete' };
    }),
  }));
/** Publishes under the documented (DBClusterIdentifier, SourceRegion) dimension set only. */
const bySourceRegion = (values: Record<string, [Date, number]>) =>
  metrics((name, dims) => {
    const point = values[name];
    return point && dims.SourceRegion === PRIMARY ? { Timestamps: [point[0]], Values: [point[1]] } : undefined;
  });

const member = (arn: string, isWriter: boolean) => ({ DBClusterArn: arn, IsWriter: isWriter });
const globalCluster = (targetIsWriter: boolean, FailoverState?: GlobalCluster['FailoverState']): GlobalCluster => ({
  GlobalClusterIdentifier: GLOBAL_ID,
  Status: 'available',
  GlobalClusterMembers: [member(PRIMARY_ARN, !targetIsWriter), member(TARGET_ARN, targetIsWriter)],
  ...(FailoverState ? { FailoverState } : {}),
});
const describesGlobal = (cluster: GlobalCluster) =>
  rds.on(DescribeGlobalClustersCommand).resolves({ GlobalClusters: [cluster] });

const regionOfCall = async (command: Parameters<typeof rds.commandCalls>[0]) => {
  const call = rds.commandCalls(command)[0];
  if (!call) throw new Error('command was not sent');
  return (call.thisValue as RDSClient).config.region();
};

afterEach(() => {
  rds.reset();
  cloudwatch.reset();
});

describe('AuroraGlobalFailover', () => {
  describe('replicationLag', () => {
    beforeEach(() => {
      // The target is a secondary unless a test says otherwise.
      describesGlobal(globalCluster(false));
    });

    it('reports a target that is already the writer with no datapoint as already promoted, which the RPO guard passes', async () => {
      // Prepare
      describesGlobal(globalCluster(true));
      metrics(() => undefined);

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading).toEqual({
        status: 'known',
        seconds: 0,
        observedAt: NOW.toISOString(),
        source: 'rds:DescribeGlobalClusters already-promoted',
        detail: expect.stringMatching(/orders-eu is already the writer of orders-global.*nothing further can be lost/),
        alreadyPromoted: true,
      });
      expect(rds).toHaveReceivedCommandExactlyOnceWith(DescribeGlobalClustersCommand, {
        GlobalClusterIdentifier: GLOBAL_ID,
      });
      expect(await regionOfCall(DescribeGlobalClustersCommand)).toBe(STANDBY);
      const plan = loadPlan();
      expect(decideLag({ ...plan, rpo: { ...plan.rpo, onExceeded: 'abort' } }, reading, 1, 'unplanned').decision).toBe(
        'within-rpo',
      );
    });

    it.each([
      ['stale datapoints', minutesAgo(4), 100],
      ['a fresh RPO lag over the RPO from before the promotion', minutesAgo(1), 900_000],
    ])('judges a target that is already the writer on its promotion, not on %s', async (_what, at, value) => {
      // Prepare
      describesGlobal(globalCluster(true));
      bySourceRegion({ AuroraGlobalDBRPOLag: [at, value], AuroraGlobalDBReplicationLag: [at, value] });

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading).toMatchObject({ status: 'known', seconds: 0, alreadyPromoted: true });
    });

    it('keeps the lag unknown for a target that is still a secondary with no datapoint', async () => {
      // Prepare
      metrics(() => undefined);

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading.status).toBe('unknown');
      expect(reading.alreadyPromoted).toBeUndefined();
      expect(rds).toHaveReceivedCommandExactlyOnceWith(DescribeGlobalClustersCommand, {
        GlobalClusterIdentifier: GLOBAL_ID,
      });
    });

    it('keeps the lag unknown while a switchover to the target is in progress, even if it is reported writer', async () => {
      // Prepare
      describesGlobal(
        globalCluster(true, {
          Status: 'failing-over',
          FromDbClusterArn: PRIMARY_ARN,
          ToDbClusterArn: TARGET_ARN,
          IsDataLossAllowed: false,
        }),
      );
      metrics(() => undefined);

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading.status).toBe('unknown');
      expect(reading.alreadyPromoted).toBeUndefined();
      expect(reading.detail).toContain(
        `a switchover (failing-over) from ${PRIMARY_ARN} to ${TARGET_ARN} is in progress`,
      );
    });

    it('throws ThrottledError when DescribeGlobalClusters is throttled, whatever the metrics say', async () => {
      // Prepare
      rds
        .on(DescribeGlobalClustersCommand)
        .rejects(
          new RDSServiceException({ name: 'Throttling', $fault: 'client', $metadata: {}, message: 'Rate exceeded' }),
        );
      metrics(() => undefined);

      // Act / Assess
      await expect(adapter().replicationLag()).rejects.toBeInstanceOf(ThrottledError);
    });

    it('throws AwsRequestFailedError when the global cluster does not exist (GlobalClusterNotFoundFault)', async () => {
      // Prepare
      rds
        .on(DescribeGlobalClustersCommand)
        .rejects(new GlobalClusterNotFoundFault({ $metadata: {}, message: 'GlobalCluster not found' }));
      metrics(() => undefined);

      // Act / Assess
      await expect(adapter().replicationLag()).rejects.toBeInstanceOf(AwsRequestFailedError);
    });

    it('reads both global lag metrics of the target cluster in the standby region and prefers the RPO lag', async () => {
      // Prepare
      bySourceRegion({
        AuroraGlobalDBRPOLag: [minutesAgo(1), 1500],
        AuroraGlobalDBReplicationLag: [minutesAgo(1), 900],
      });

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading).toEqual({
        status: 'known',
        seconds: 1.5,
        observedAt: minutesAgo(1).toISOString(),
        source: 'cloudwatch:AWS/RDS AuroraGlobalDBRPOLag',
        detail: expect.stringMatching(/AuroraGlobalDBRPOLag: 1500 ms.*AuroraGlobalDBReplicationLag: 900 ms/),
      });
      const queries = cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input.MetricDataQueries ?? [];
      const metricsAsked = queries.map((q) => ({
        name: q.MetricStat?.Metric?.MetricName,
        namespace: q.MetricStat?.Metric?.Namespace,
        dimensions: q.MetricStat?.Metric?.Dimensions,
        period: q.MetricStat?.Period,
      }));
      for (const name of ['AuroraGlobalDBRPOLag', 'AuroraGlobalDBReplicationLag']) {
        expect(metricsAsked).toContainEqual({
          name,
          namespace: 'AWS/RDS',
          dimensions: [
            { Name: 'DBClusterIdentifier', Value: 'orders-eu' },
            { Name: 'SourceRegion', Value: PRIMARY },
          ],
          period: 60,
        });
        expect(metricsAsked).toContainEqual({
          name,
          namespace: 'AWS/RDS',
          dimensions: [{ Name: 'DBClusterIdentifier', Value: 'orders-eu' }],
          period: 60,
        });
      }
      expect(cloudwatch).toHaveReceivedCommandWith(GetMetricDataCommand, { StartTime: minutesAgo(5), EndTime: NOW });
      const client = cloudwatch.commandCalls(GetMetricDataCommand)[0]?.thisValue as CloudWatchClient;
      expect(await client.config.region()).toBe(STANDBY);
    });

    it('falls back to the replication lag when the RPO lag has no datapoint', async () => {
      // Prepare
      bySourceRegion({ AuroraGlobalDBReplicationLag: [minutesAgo(2), 2500] });

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading).toMatchObject({
        status: 'known',
        seconds: 2.5,
        source: 'cloudwatch:AWS/RDS AuroraGlobalDBReplicationLag',
      });
      expect(reading.detail).toContain('RPO lag unavailable');
    });

    it('uses the series published with DBClusterIdentifier alone when that is the newest', async () => {
      // Prepare
      metrics((name, dims) =>
        name === 'AuroraGlobalDBRPOLag' && dims.SourceRegion === undefined
          ? { Timestamps: [minutesAgo(1)], Values: [300] }
          : name === 'AuroraGlobalDBRPOLag'
            ? { Timestamps: [minutesAgo(2)], Values: [9000] }
            : undefined,
      );

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading).toMatchObject({ status: 'known', seconds: 0.3, observedAt: minutesAgo(1).toISOString() });
    });

    it('returns unknown, never zero, when neither metric has a datapoint', async () => {
      // Prepare
      metrics(() => undefined);

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading.status).toBe('unknown');
      expect(reading.seconds).toBeUndefined();
      expect(reading.observedAt).toBe(NOW.toISOString());
      expect(reading.detail).toMatch(/AuroraGlobalDBRPOLag: no datapoint.*AuroraGlobalDBReplicationLag: no datapoint/);
      expect(reading.detail).toContain('not zero');
    });

    it('returns unknown when the latest datapoints are stale', async () => {
      // Prepare
      bySourceRegion({
        AuroraGlobalDBRPOLag: [minutesAgo(4), 100],
        AuroraGlobalDBReplicationLag: [minutesAgo(4), 100],
      });

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading.status).toBe('unknown');
      expect(reading.seconds).toBeUndefined();
      expect(reading.detail).toContain('stale');
    });

    it('returns unknown when the only datapoint is negative', async () => {
      // Prepare
      bySourceRegion({ AuroraGlobalDBRPOLag: [minutesAgo(1), -1] });

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading.status).toBe('unknown');
      expect(reading.seconds).toBeUndefined();
    });

    it('throws ThrottledError when CloudWatch throttles', async () => {
      // Prepare
      cloudwatch
        .on(GetMetricDataCommand)
        .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }));

      // Act / Assess
      await expect(adapter().replicationLag()).rejects.toBeInstanceOf(ThrottledError);
    });
  });

  describe('fenceOldPrimary', () => {
    it('reports the switchover as the fence of a planned run without calling AWS', async () => {
      // Act
      const result = await adapter().fenceOldPrimary('planned');

      // Assess
      expect(result).toEqual({
        fenced: true,
        method: 'switchover',
        byPromotion: true,
        detail: expect.stringContaining(PRIMARY_ARN),
      });
      expect(rds).not.toHaveReceivedAnyCommand();
    });

    it('does not claim the old primary is fenced in an unplanned run, and calls nothing', async () => {
      // Act
      const result = await adapter().fenceOldPrimary('unplanned');

      // Assess
      expect(result).toEqual({
        fenced: false,
        method: 'aurora-managed-failover',
        detail: expect.stringContaining('stop writers in us-east-1'),
      });
      expect(rds).not.toHaveReceivedAnyCommand();
    });
  });

  describe('promote', () => {
    it('returns already-promoted without switching over when the target is already the writer', async () => {
      // Prepare
      describesGlobal(globalCluster(true));

      // Act
      const result = await adapter().promote('planned');

      // Assess
      expect(result.outcome).toBe('already-promoted');
      expect(rds).toHaveReceivedCommandWith(DescribeGlobalClustersCommand, { GlobalClusterIdentifier: GLOBAL_ID });
      expect(rds).not.toHaveReceivedCommand(SwitchoverGlobalClusterCommand);
      expect(rds).not.toHaveReceivedCommand(FailoverGlobalClusterCommand);
    });

    it('returns started without sending anything when a failover toward the target is in progress', async () => {
      // Prepare
      describesGlobal(
        globalCluster(false, {
          Status: 'failing-over',
          FromDbClusterArn: PRIMARY_ARN,
          ToDbClusterArn: TARGET_ARN,
          IsDataLossAllowed: true,
        }),
      );

      // Act
      const result = await adapter().promote('unplanned');

      // Assess
      expect(result).toEqual({ outcome: 'started', detail: expect.stringContaining('failover (failing-over)') });
      expect(rds).not.toHaveReceivedCommand(FailoverGlobalClusterCommand);
      expect(rds).not.toHaveReceivedCommand(SwitchoverGlobalClusterCommand);
    });

    it('throws ResourceBusyError without sending anything when an operation toward another cluster is running', async () => {
      // Prepare
      describesGlobal(
        globalCluster(false, {
          Status: 'pending',
          FromDbClusterArn: PRIMARY_ARN,
          ToDbClusterArn: 'arn:aws:rds:ap-south-1:111122223333:cluster:orders-ap',
        }),
      );

      // Act / Assess
      await expect(adapter().promote('planned')).rejects.toBeInstanceOf(ResourceBusyError);
      expect(rds).not.toHaveReceivedCommand(SwitchoverGlobalClusterCommand);
    });

    it('switches over to the target ARN in the standby region in a planned run', async () => {
      // Prepare
      describesGlobal(globalCluster(false));
      rds.on(SwitchoverGlobalClusterCommand).resolves({ GlobalCluster: { GlobalClusterIdentifier: GLOBAL_ID } });

      // Act
      const result = await adapter().promote('planned');

      // Assess
      expect(result.outcome).toBe('started');
      expect(rds).toHaveReceivedCommandTimes(SwitchoverGlobalClusterCommand, 1);
      expect(rds.commandCalls(SwitchoverGlobalClusterCommand)[0]?.args[0].input).toEqual({
        GlobalClusterIdentifier: GLOBAL_ID,
        TargetDbClusterIdentifier: TARGET_ARN,
      });
      expect(rds).not.toHaveReceivedCommand(FailoverGlobalClusterCommand);
      expect(await regionOfCall(SwitchoverGlobalClusterCommand)).toBe(STANDBY);
      expect(await regionOfCall(DescribeGlobalClustersCommand)).toBe(STANDBY);
    });

    it('fails over with AllowDataLoss to the target ARN in the standby region in an unplanned run', async () => {
      // Prepare
      describesGlobal(globalCluster(false));
      rds.on(FailoverGlobalClusterCommand).resolves({ GlobalCluster: { GlobalClusterIdentifier: GLOBAL_ID } });

      // Act
      const result = await adapter().promote('unplanned');

      // Assess
      expect(result.outcome).toBe('started');
      expect(rds.commandCalls(FailoverGlobalClusterCommand)[0]?.args[0].input).toEqual({
        GlobalClusterIdentifier: GLOBAL_ID,
        TargetDbClusterIdentifier: TARGET_ARN,
        AllowDataLoss: true,
      });
      expect(rds).not.toHaveReceivedCommand(SwitchoverGlobalClusterCommand);
      expect(await regionOfCall(FailoverGlobalClusterCommand)).toBe(STANDBY);
    });

    it.each([
      ['InvalidGlobalClusterStateFault', () => new InvalidGlobalClusterStateFault({ $metadata: {}, message: 'busy' })],
      ['InvalidDBClusterStateFault', () => new InvalidDBClusterStateFault({ $metadata: {}, message: 'busy' })],
    ])('throws ResourceBusyError on %s', async (_name, fault) => {
      // Prepare
      describesGlobal(globalCluster(false));
      const error = fault();
      rds.on(FailoverGlobalClusterCommand).rejects(error);

      // Act
      const thrown = await adapter()
        .promote('unplanned')
        .catch((e: unknown) => e);

      // Assess
      expect(thrown).toBeInstanceOf(ResourceBusyError);
      expect((thrown as ResourceBusyError).cause).toBe(error);
    });

    it('throws AwsRequestFailedError when the global cluster does not exist', async () => {
      // Prepare
      rds
        .on(DescribeGlobalClustersCommand)
        .rejects(new GlobalClusterNotFoundFault({ $metadata: {}, message: 'orders-global not found' }));

      // Act / Assess
      await expect(adapter().promote('unplanned')).rejects.toBeInstanceOf(AwsRequestFailedError);
      expect(rds).not.toHaveReceivedCommand(FailoverGlobalClusterCommand);
    });

    it('throws AwsRequestFailedError when the target cluster is not found by the failover', async () => {
      // Prepare
      describesGlobal(globalCluster(false));
      rds.on(SwitchoverGlobalClusterCommand).rejects(new DBClusterNotFoundFault({ $metadata: {}, message: 'no' }));

      // Act / Assess
      await expect(adapter().promote('planned')).rejects.toBeInstanceOf(AwsRequestFailedError);
    });

    it('throws ThrottledError when the failover call is throttled', async () => {
      // Prepare
      describesGlobal(globalCluster(false));
      rds
        .on(FailoverGlobalClusterCommand)
        .rejects(
          new RDSServiceException({ name: 'Throttling', $fault: 'client', $metadata: {}, message: 'slow down' }),
        );

      // Act / Assess
      await expect(adapter().promote('unplanned')).rejects.toBeInstanceOf(ThrottledError);
    });

    it('throws PromotionFailedError when the target is not a member of the global cluster', async () => {
      // Prepare
      describesGlobal({ GlobalClusterIdentifier: GLOBAL_ID, GlobalClusterMembers: [member(PRIMARY_ARN, true)] });

      // Act / Assess
      await expect(adapter().promote('unplanned')).rejects.toBeInstanceOf(PromotionFailedError);
      expect(rds).not.toHaveReceivedCommand(FailoverGlobalClusterCommand);
    });
  });

  describe('promotionStatus', () => {
    it('reports writable with the cluster endpoint when the target is the available writer', async () => {
      // Prepare
      describesGlobal(globalCluster(true));
      rds.on(DescribeDBClustersCommand).resolves({
        DBClusters: [{ DBClusterIdentifier: 'orders-eu', Status: 'available', Endpoint: 'orders-eu.cluster-x.rds' }],
      });

      // Act
      const status = await adapter().promotionStatus();

      // Assess
      expect(status).toMatchObject({ state: 'writable', writerEndpoint: 'orders-eu.cluster-x.rds' });
      expect(rds).toHaveReceivedCommandWith(DescribeDBClustersCommand, { DBClusterIdentifier: 'orders-eu' });
      expect(await regionOfCall(DescribeDBClustersCommand)).toBe(STANDBY);
    });

    it('reports pending with the operation while a failover is in progress', async () => {
      // Prepare
      describesGlobal(
        globalCluster(false, { Status: 'failing-over', FromDbClusterArn: PRIMARY_ARN, ToDbClusterArn: TARGET_ARN }),
      );

      // Act
      const status = await adapter().promotionStatus();

      // Assess
      expect(status).toEqual({ state: 'pending', detail: `failing-over from ${PRIMARY_ARN} to ${TARGET_ARN}` });
      expect(rds).not.toHaveReceivedCommand(DescribeDBClustersCommand);
    });

    it('reports pending while the writer flag has moved but the operation is still reported', async () => {
      // Prepare
      describesGlobal(
        globalCluster(true, { Status: 'pending', FromDbClusterArn: PRIMARY_ARN, ToDbClusterArn: TARGET_ARN }),
      );

      // Act
      const status = await adapter().promotionStatus();

      // Assess
      expect(status.state).toBe('pending');
    });

    it('reports failed when the operation is being cancelled', async () => {
      // Prepare
      describesGlobal(
        globalCluster(false, { Status: 'cancelling', FromDbClusterArn: PRIMARY_ARN, ToDbClusterArn: TARGET_ARN }),
      );

      // Act
      const status = await adapter().promotionStatus();

      // Assess
      expect(status).toEqual({ state: 'failed', detail: expect.stringContaining('cancelled') });
    });

    it('reports pending when the target is the writer but its cluster is not available yet', async () => {
      // Prepare
      describesGlobal(globalCluster(true));
      rds
        .on(DescribeDBClustersCommand)
        .resolves({ DBClusters: [{ DBClusterIdentifier: 'orders-eu', Status: 'modifying' }] });

      // Act
      const status = await adapter().promotionStatus();

      // Assess
      expect(status).toEqual({ state: 'pending', detail: expect.stringContaining('modifying') });
    });

    it('reports failed when the target is not the writer and nothing is in progress (the operation ended without it)', async () => {
      // Prepare: a cancelled operation leaves no FailoverState and the old primary the writer.
      describesGlobal(globalCluster(false));

      // Act
      const status = await adapter().promotionStatus();

      // Assess
      expect(status.state).toBe('failed');
      expect(status.detail).toContain('ended without promoting it');
    });
  });

  describe('writerEndpoint', () => {
    it('returns the endpoint of the target cluster from the standby region', async () => {
      // Prepare
      rds.on(DescribeDBClustersCommand).resolves({
        DBClusters: [{ DBClusterIdentifier: 'orders-eu', Endpoint: 'orders-eu.cluster-x.eu-west-1.rds.amazonaws.com' }],
      });

      // Act
      const endpoint = await adapter().writerEndpoint();

      // Assess
      expect(endpoint).toBe('orders-eu.cluster-x.eu-west-1.rds.amazonaws.com');
      expect(await regionOfCall(DescribeDBClustersCommand)).toBe(STANDBY);
    });

    it('throws ResourceBusyError when the cluster has no endpoint yet', async () => {
      // Prepare
      rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterIdentifier: 'orders-eu' }] });

      // Act / Assess
      await expect(adapter().writerEndpoint()).rejects.toBeInstanceOf(ResourceBusyError);
    });

    it('throws AwsRequestFailedError when the target cluster does not exist', async () => {
      // Prepare
      rds.on(DescribeDBClustersCommand).rejects(new DBClusterNotFoundFault({ $metadata: {}, message: 'not found' }));

      // Act / Assess
      await expect(adapter().writerEndpoint()).rejects.toBeInstanceOf(AwsRequestFailedError);
    });
  });

  it('uses only the standby region on the unplanned happy path', async () => {
    // Prepare
    const regions: string[] = [];
    const failover = new AuroraGlobalFailover(loadPlan(), {
      now: () => NOW,
      rds: (region) => {
        regions.push(`rds:${region}`);
        return new RDSClient({ region });
      },
      cloudwatch: (region) => {
        regions.push(`cloudwatch:${region}`);
        return new CloudWatchClient({ region });
      },
    });
    bySourceRegion({ AuroraGlobalDBRPOLag: [minutesAgo(1), 100] });
    rds
      .on(DescribeGlobalClustersCommand)
      // replicationLag, then promote, see a secondary; the status checks the new writer.
      .resolvesOnce({ GlobalClusters: [globalCluster(false)] })
      .resolvesOnce({ GlobalClusters: [globalCluster(false)] })
      .resolves({ GlobalClusters: [globalCluster(true)] });
    rds.on(FailoverGlobalClusterCommand).resolves({});
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ Status: 'available', Endpoint: 'e' }] });

    // Act
    await failover.replicationLag();
    await failover.fenceOldPrimary('unplanned');
    await failover.promote('unplanned');
    const status = await failover.promotionStatus();
    await failover.writerEndpoint();

    // Assess
    expect(status.state).toBe('writable');
    expect(new Set(regions)).toEqual(new Set([`cloudwatch:${STANDBY}`, `rds:${STANDBY}`]));
  });
});
