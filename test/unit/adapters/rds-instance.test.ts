import { fileURLToPath } from 'node:url';
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import {
  DBInstanceNotFoundFault,
  DBParameterGroupNotFoundFault,
  DescribeDBInstancesCommand,
  InvalidDBInstanceStateFault,
  InvalidDBParameterGroupStateFault,
  ModifyDBParameterGroupCommand,
  PromoteReadReplicaCommand,
  RDSClient,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PRIMARY_REGION_DEADLINE_MS } from '#adapters/database/rds-fence.js';
import { RdsInstanceFailover, rdsResourceId } from '#adapters/database/rds-instance.js';
import {
  AwsRequestFailedError,
  ConfigurationError,
  FenceFailedError,
  ResourceBusyError,
  ServiceUnavailableError,
  ThrottledError,
} from '#core/errors.js';
import { decideLag } from '#core/lag-policy.js';
import type { PlanWithDatabase } from '#core/plan.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const rds = mockClient(RDSClient);
const cloudwatch = mockClient(CloudWatchClient);

const NOW = new Date('2026-11-25T12:00:00.000Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);
const REPLICA_ID = 'feature-store-replica';
const SOURCE_ARN = 'arn:aws:rds:us-west-2:111122223333:db:feature-store';
const PRIMARY = 'us-west-2';
const STANDBY = 'us-east-2';

/** plans/feature-store.yml, optionally with a fence parameter group. */
const loadPlan = (fenceParameterGroupName?: string): PlanWithDatabase<'rds-instance'> => {
  const plan = loadPlanFile(fileURLToPath(new URL('../../../plans/feature-store.yml', import.meta.url)));
  if (plan.database.kind !== 'rds-instance') throw new Error('plans/feature-store.yml must be an rds-instance plan');
  // The plan file names the source's parameter group; each test says whether it has one.
  const { fenceParameterGroupName: _inFile, ...database } = plan.database;
  return { ...plan, database: { ...database, ...(fenceParameterGroupName ? { fenceParameterGroupName } : {}) } };
};

const adapter = (fenceParameterGroupName?: string) =>
  new RdsInstanceFailover(loadPlan(fenceParameterGroupName), { now: () => NOW });

/** Answers GetMetricData with the given series for every query (ids echoed back). */
const replicaLagSeries = (Timestamps: Date[], Values: number[]) =>
  cloudwatch.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: MetricDataQuery[] }) => ({
    MetricDataResults: input.MetricDataQueries.map((q) => ({ Id: q.Id, Timestamps, Values, StatusCode: 'Complete' })),
  }));

/** The region of the client that sent the first call of a command (mockClient stubs the prototype's send). */
const regionOfCall = async (mock: typeof rds | typeof cloudwatch, command: Parameters<typeof rds.commandCalls>[0]) => {
  const call = mock.commandCalls(command)[0];
  if (!call) throw new Error('command was not sent');
  return (call.thisValue as RDSClient | CloudWatchClient).config.region();
};

const replica = { DBInstanceIdentifier: REPLICA_ID, ReadReplicaSourceDBInstanceIdentifier: SOURCE_ARN };

/** The source with its parameter group's apply status, the replica still replicating, and its ReplicaLag series. */
const sourceWorld = (status: string, timestamps: Date[], values: number[], group = 'feature-store-pg') => {
  rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ...replica, DBInstanceStatus: 'available' }] });
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'feature-store' }).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: 'feature-store',
        DBInstanceStatus: 'available',
        DBParameterGroups: [{ DBParameterGroupName: group, ParameterApplyStatus: status }],
      },
    ],
  });
  replicaLagSeries(timestamps, values);
};
const throttling = () =>
  new RDSServiceException({ name: 'Throttling', $fault: 'client', $metadata: {}, message: 'Rate exceeded' });

afterEach(() => {
  rds.reset();
  cloudwatch.reset();
  vi.useRealTimers();
});

describe('RdsInstanceFailover', () => {
  it('builds no client at construction', () => {
    // Prepare
    const plan = loadPlan();

    // Act
    new RdsInstanceFailover(plan, {
      rds: () => {
        throw new Error('built eagerly');
      },
    });

    // Assess
    expect(rds).not.toHaveReceivedAnyCommand();
  });

  it('parses the replica identifier from its ARN and refuses a cluster ARN', () => {
    // Act / Assess
    expect(rdsResourceId('arn:aws:rds:us-east-2:111122223333:db:feature-store-replica', 'db')).toBe(REPLICA_ID);
    expect(() => rdsResourceId('arn:aws:rds:us-east-2:111122223333:cluster:x', 'db')).toThrow(ConfigurationError);
  });

  describe('replicationLag', () => {
    beforeEach(() => {
      // Still a read replica unless a test says otherwise.
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ...replica, DBInstanceStatus: 'available' }] });
    });

    /** The replica after promotion: standalone (no replication source) and available. */
    const promoted = () =>
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [{ DBInstanceIdentifier: REPLICA_ID, DBInstanceStatus: 'available' }],
      });

    it('reports a promoted replica with no datapoint as already promoted, which the RPO guard passes', async () => {
      // Prepare
      promoted();
      replicaLagSeries([], []);

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading).toEqual({
        status: 'known',
        seconds: 0,
        observedAt: NOW.toISOString(),
        source: 'rds:DescribeDBInstances already-promoted',
        detail: expect.stringMatching(/feature-store-replica .*already promoted.*nothing further can be lost/),
        alreadyPromoted: true,
      });
      expect(rds).toHaveReceivedCommandExactlyOnceWith(DescribeDBInstancesCommand, {
        DBInstanceIdentifier: REPLICA_ID,
      });
      expect(await regionOfCall(rds, DescribeDBInstancesCommand)).toBe(STANDBY);
      const plan = loadPlan();
      expect(decideLag({ ...plan, rpo: { ...plan.rpo, onExceeded: 'abort' } }, reading, 1, 'unplanned').decision).toBe(
        'within-rpo',
      );
    });

    it.each([
      ['a stale datapoint', [minutesAgo(4)], [2]],
      ['a fresh datapoint over the RPO from before the promotion', [minutesAgo(1)], [900]],
      ['ReplicaLag -1', [minutesAgo(1)], [-1]],
    ])('judges a promoted replica on its promotion, not on %s', async (_what, timestamps, values) => {
      // Prepare
      promoted();
      replicaLagSeries(timestamps, values);

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading).toMatchObject({ status: 'known', seconds: 0, alreadyPromoted: true });
    });

    it('keeps the lag unknown for a replica still replicating with no datapoint', async () => {
      // Prepare
      replicaLagSeries([], []);

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading.status).toBe('unknown');
      expect(reading.alreadyPromoted).toBeUndefined();
      expect(rds).toHaveReceivedCommandExactlyOnceWith(DescribeDBInstancesCommand, {
        DBInstanceIdentifier: REPLICA_ID,
      });
    });

    it('keeps the lag unknown while a promotion is not finished (standalone, not yet available), and says so', async () => {
      // Prepare
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [{ DBInstanceIdentifier: REPLICA_ID, DBInstanceStatus: 'modifying' }],
      });
      replicaLagSeries([], []);

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading.status).toBe('unknown');
      expect(reading.alreadyPromoted).toBeUndefined();
      expect(reading.detail).toContain('no replication source but is modifying: a promotion is not finished yet');
    });

    it('throws ThrottledError when DescribeDBInstances is throttled, whatever the metric says', async () => {
      // Prepare
      rds.on(DescribeDBInstancesCommand).rejects(throttling());
      replicaLagSeries([], []);

      // Act / Assess
      await expect(adapter().replicationLag()).rejects.toBeInstanceOf(ThrottledError);
    });

    it('throws AwsRequestFailedError when the replica does not exist (DBInstanceNotFoundFault)', async () => {
      // Prepare
      rds
        .on(DescribeDBInstancesCommand)
        .rejects(new DBInstanceNotFoundFault({ $metadata: {}, message: 'DBInstance not found' }));
      replicaLagSeries([], []);

      // Act / Assess
      await expect(adapter().replicationLag()).rejects.toBeInstanceOf(AwsRequestFailedError);
    });

    it('reads ReplicaLag of the replica from CloudWatch in the standby region over the last 5 minutes', async () => {
      // Prepare
      replicaLagSeries([minutesAgo(1)], [4]);

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading).toEqual({
        status: 'known',
        seconds: 4,
        observedAt: minutesAgo(1).toISOString(),
        source: 'cloudwatch:AWS/RDS ReplicaLag',
        detail: expect.stringContaining(REPLICA_ID),
      });
      expect(cloudwatch).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
      expect(cloudwatch).toHaveReceivedCommandWith(GetMetricDataCommand, {
        StartTime: minutesAgo(5),
        EndTime: NOW,
        MetricDataQueries: [
          expect.objectContaining({
            MetricStat: {
              Metric: {
                Namespace: 'AWS/RDS',
                MetricName: 'ReplicaLag',
                Dimensions: [{ Name: 'DBInstanceIdentifier', Value: REPLICA_ID }],
              },
              Period: 60,
              Stat: 'Maximum',
            },
          }),
        ],
      });
      expect(await regionOfCall(cloudwatch, GetMetricDataCommand)).toBe(STANDBY);
    });

    it('takes the newest datapoint whatever order CloudWatch returns them in', async () => {
      // Prepare
      replicaLagSeries([minutesAgo(3), minutesAgo(1), minutesAgo(2)], [30, 2, 20]);

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading).toMatchObject({ status: 'known', seconds: 2, observedAt: minutesAgo(1).toISOString() });
    });

    it('returns unknown, never zero, when there is no datapoint', async () => {
      // Prepare
      replicaLagSeries([], []);

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading.status).toBe('unknown');
      expect(reading.seconds).toBeUndefined();
      expect(reading.observedAt).toBe(NOW.toISOString());
      expect(reading.detail).toMatch(/no ReplicaLag datapoint.*not zero/);
    });

    it('returns unknown when the latest datapoint is stale', async () => {
      // Prepare
      replicaLagSeries([minutesAgo(4)], [1]);

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading.status).toBe('unknown');
      expect(reading.seconds).toBeUndefined();
      expect(reading.detail).toContain('too old');
    });

    it.each([
      ['error', false],
      ['stopped', undefined],
      ['replicating', false],
    ])(
      'returns unknown, not the fresh datapoint from before, when RDS reports read replication %s (normal: %s)',
      async (status, normal) => {
        // Prepare: the minute before the break is still under 3 minutes old.
        rds.on(DescribeDBInstancesCommand).resolves({
          DBInstances: [
            {
              ...replica,
              DBInstanceStatus: 'available',
              StatusInfos: [
                { StatusType: 'read replication', Status: status, ...(normal === undefined ? {} : { Normal: normal }) },
              ],
            },
          ],
        });
        replicaLagSeries([minutesAgo(2)], [3]);

        // Act
        const reading = await adapter().replicationLag();

        // Assess
        expect(reading.status).toBe('unknown');
        expect(reading.seconds).toBeUndefined();
        expect(reading.detail).toContain(`read replication of ${REPLICA_ID} is ${status}`);
        expect(reading.detail).toContain('3 s at');
        // Nothing reaches a replica whose replication is broken: the RPO guard need not wait to read it again.
        expect(reading.sourceLost).toBe(true);
      },
    );

    it('judges the metric when RDS reports read replication replicating and normal', async () => {
      // Prepare
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          {
            ...replica,
            DBInstanceStatus: 'available',
            StatusInfos: [{ StatusType: 'read replication', Status: 'replicating', Normal: true }],
          },
        ],
      });
      replicaLagSeries([minutesAgo(2)], [3]);

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading).toMatchObject({ status: 'known', seconds: 3 });
      expect(reading.sourceLost).toBeUndefined();
    });

    it('returns unknown when ReplicaLag is -1 (replication not running)', async () => {
      // Prepare
      replicaLagSeries([minutesAgo(1)], [-1]);

      // Act
      const reading = await adapter().replicationLag();

      // Assess
      expect(reading.status).toBe('unknown');
      expect(reading.seconds).toBeUndefined();
      expect(reading.detail).toContain('replication is not running');
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
    it('sets default_transaction_read_only on the fence parameter group in the primary region with one attempt', async () => {
      // Prepare
      rds.on(ModifyDBParameterGroupCommand).resolves({ DBParameterGroupName: 'feature-store-pg' });
      sourceWorld('in-sync', [NOW], [0]);

      // Act
      const result = await adapter('feature-store-pg').fenceOldPrimary('planned');

      // Assess
      expect(result).toMatchObject({ fenced: true, method: 'read-only-parameter', requestedAt: NOW.toISOString() });
      expect(result.detail).toMatch(/in-sync on feature-store, and ReplicaLag of feature-store-replica is 0/);
      expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'feature-store' });
      const sourceCall = rds
        .commandCalls(DescribeDBInstancesCommand)
        .find((c) => c.args[0].input.DBInstanceIdentifier === 'feature-store');
      if (!sourceCall) throw new Error('the source was not described');
      expect(await (sourceCall.thisValue as RDSClient).config.region()).toBe(PRIMARY);
      expect(rds).toHaveReceivedCommandTimes(ModifyDBParameterGroupCommand, 1);
      expect(rds).toHaveReceivedCommandWith(ModifyDBParameterGroupCommand, {
        DBParameterGroupName: 'feature-store-pg',
        Parameters: [{ ParameterName: 'default_transaction_read_only', ParameterValue: '1', ApplyMethod: 'immediate' }],
      });
      const client = rds.commandCalls(ModifyDBParameterGroupCommand)[0]?.thisValue as RDSClient;
      expect(await client.config.region()).toBe(PRIMARY);
      expect(await client.config.maxAttempts()).toBe(1);
    });

    it.each([
      ['the parameter is still applying', 'applying', [NOW], [0], /parameter group is applying on feature-store/],
      ['the replica is still behind after the fence', 'in-sync', [NOW], [20], /ReplicaLag .* is 20 s/],
      [
        'no lag was measured after the fence',
        'in-sync',
        [minutesAgo(1)],
        [0],
        /no ReplicaLag datapoint .* after the fence/,
      ],
    ])('answers a planned fence pending while %s', async (_what, status, timestamps, values, why) => {
      // Prepare
      rds.on(ModifyDBParameterGroupCommand).resolves({ DBParameterGroupName: 'feature-store-pg' });
      sourceWorld(status, timestamps, values);

      // Act
      const result = await adapter('feature-store-pg').fenceOldPrimary('planned');

      // Assess
      expect(result).toMatchObject({ fenced: false, pending: true, requestedAt: NOW.toISOString() });
      expect(result.detail).toMatch(why);
    });

    it('checks a pending planned fence again without asking for it again, against the time it was asked for', async () => {
      // Prepare
      sourceWorld('in-sync', [minutesAgo(1)], [0]);
      const previous = {
        fenced: false,
        pending: true,
        method: 'read-only-parameter',
        detail: 'waiting',
        requestedAt: minutesAgo(2).toISOString(),
      };

      // Act
      const result = await adapter('feature-store-pg').fenceOldPrimary('planned', previous);

      // Assess
      expect(result).toMatchObject({ fenced: true, requestedAt: minutesAgo(2).toISOString() });
      expect(rds).not.toHaveReceivedCommand(ModifyDBParameterGroupCommand);
    });

    it('confirms a planned fence without a lag reading once the replica is already promoted', async () => {
      // Prepare
      rds.on(ModifyDBParameterGroupCommand).resolves({ DBParameterGroupName: 'feature-store-pg' });
      sourceWorld('in-sync', [], []);
      rds
        .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: REPLICA_ID })
        .resolves({ DBInstances: [{ DBInstanceIdentifier: REPLICA_ID, DBInstanceStatus: 'available' }] });

      // Act
      const result = await adapter('feature-store-pg').fenceOldPrimary('planned');

      // Assess
      expect(result).toMatchObject({ fenced: true, detail: expect.stringContaining('already promoted') });
      expect(cloudwatch).not.toHaveReceivedCommand(GetMetricDataCommand);
    });

    it("throws FenceFailedError when the fence parameter group is not the source instance's", async () => {
      // Prepare
      rds.on(ModifyDBParameterGroupCommand).resolves({ DBParameterGroupName: 'feature-store-pg' });
      sourceWorld('in-sync', [NOW], [0], 'default.postgres16');

      // Act / Assess
      await expect(adapter('feature-store-pg').fenceOldPrimary('planned')).rejects.toThrow(
        /feature-store-pg is not a parameter group of/,
      );
    });

    it('lets the state machine retry a planned fence check the primary region did not answer', async () => {
      // Prepare
      rds.on(ModifyDBParameterGroupCommand).resolves({ DBParameterGroupName: 'feature-store-pg' });
      sourceWorld('in-sync', [NOW], [0]);
      rds
        .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'feature-store' })
        .rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} }));

      // Act
      const error = await adapter('feature-store-pg')
        .fenceOldPrimary('planned')
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ServiceUnavailableError);
    });

    it('throws FenceFailedError without calling AWS when a planned run has no fence parameter group', async () => {
      // Act / Assess
      await expect(adapter().fenceOldPrimary('planned')).rejects.toThrow(FenceFailedError);
      await expect(adapter().fenceOldPrimary('planned')).rejects.toThrow(/database\.fenceParameterGroupName/);
      expect(rds).not.toHaveReceivedAnyCommand();
    });

    it('returns not-configured in an unplanned run without a fence parameter group', async () => {
      // Act
      const result = await adapter().fenceOldPrimary('unplanned');

      // Assess
      expect(result).toEqual({
        fenced: false,
        method: 'not-configured',
        detail: expect.stringContaining('database.fenceParameterGroupName'),
      });
      expect(rds).not.toHaveReceivedAnyCommand();
    });

    it('throws FenceFailedError keeping the cause when a planned fence call fails', async () => {
      // Prepare
      const fault = new DBParameterGroupNotFoundFault({ $metadata: {}, message: 'not found' });
      rds.on(ModifyDBParameterGroupCommand).rejects(fault);

      // Act
      const error = await adapter('feature-store-pg')
        .fenceOldPrimary('planned')
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(FenceFailedError);
      expect((error as FenceFailedError).cause).toBeInstanceOf(AwsRequestFailedError);
      expect(((error as FenceFailedError).cause as Error).cause).toBe(fault);
    });

    it.each([
      [
        'ThrottlingException',
        () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }),
        ThrottledError,
      ],
      [
        'InvalidDBParameterGroupStateFault',
        () =>
          new InvalidDBParameterGroupStateFault({ $metadata: {}, message: 'the parameter group is being modified' }),
        ResourceBusyError,
      ],
      [
        'InternalFailure (500)',
        () =>
          Object.assign(new Error('internal'), {
            name: 'InternalFailure',
            $fault: 'server',
            $metadata: { httpStatusCode: 500 },
          }),
        ServiceUnavailableError,
      ],
    ])(
      'lets the state machine retry a planned fence call that failed with %s, instead of failing the run',
      async (_code, fault, expected) => {
        // Prepare
        rds.on(ModifyDBParameterGroupCommand).rejects(fault());

        // Act
        const error = await adapter('feature-store-pg')
          .fenceOldPrimary('planned')
          .catch((e: unknown) => e);

        // Assess
        expect(error).toBeInstanceOf(expected);
        expect((error as { retryable?: boolean }).retryable).toBe(true);
        expect(error).not.toBeInstanceOf(FenceFailedError);
      },
    );

    it('returns fenced false quickly when the primary region is dark in an unplanned run', async () => {
      // Prepare
      rds
        .on(ModifyDBParameterGroupCommand)
        .rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError', $metadata: {} }));

      // Act: with the clock stopped, so "quickly" means without waiting on any timer (a retry, a poll, a backoff),
      // not within a wall-clock bound a loaded machine may miss
      vi.useFakeTimers();
      let result: Awaited<ReturnType<ReturnType<typeof adapter>['fenceOldPrimary']>>;
      try {
        result = await adapter('feature-store-pg').fenceOldPrimary('unplanned');
      } finally {
        vi.useRealTimers();
      }

      // Assess
      expect(rds).toHaveReceivedCommandTimes(ModifyDBParameterGroupCommand, 1);
      expect(result).toEqual({ fenced: false, method: 'unreachable', detail: expect.stringContaining('TimeoutError') });
    });

    it('gives up at its deadline when the primary region never answers in an unplanned run', async () => {
      // Prepare
      vi.useFakeTimers();
      rds.on(ModifyDBParameterGroupCommand).callsFake(() => new Promise(() => {}));

      // Act
      const pending = adapter('feature-store-pg').fenceOldPrimary('unplanned');
      await vi.advanceTimersByTimeAsync(PRIMARY_REGION_DEADLINE_MS);
      const result = await pending;

      // Assess
      expect(result).toMatchObject({ fenced: false, method: 'unreachable' });
      expect(result.detail).toContain(`no answer within ${PRIMARY_REGION_DEADLINE_MS} ms`);
    });

    it('returns fenced false with method failed when the primary refuses in an unplanned run', async () => {
      // Prepare
      rds
        .on(ModifyDBParameterGroupCommand)
        .rejects(new DBParameterGroupNotFoundFault({ $metadata: {}, message: 'no such group' }));

      // Act
      const result = await adapter('feature-store-pg').fenceOldPrimary('unplanned');

      // Assess
      expect(result).toMatchObject({ fenced: false, method: 'failed' });
      expect(result.detail).toContain('DBParameterGroupNotFoundFault');
    });
  });

  describe('promote', () => {
    it('returns already-promoted without sending PromoteReadReplica when the replica is standalone', async () => {
      // Prepare
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [{ DBInstanceIdentifier: REPLICA_ID, DBInstanceStatus: 'available' }],
      });

      // Act
      const result = await adapter().promote('unplanned');

      // Assess
      expect(result.outcome).toBe('already-promoted');
      expect(rds).not.toHaveReceivedCommand(PromoteReadReplicaCommand);
    });

    it('sends PromoteReadReplica for the replica in the standby region (a replica without backups: AWS default retention)', async () => {
      // Prepare
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ...replica, DBInstanceStatus: 'available' }] });
      rds.on(PromoteReadReplicaCommand).resolves({ DBInstance: { DBInstanceIdentifier: REPLICA_ID } });

      // Act
      const result = await adapter().promote('planned', {
        fence: { fenced: true, method: 'read-only-parameter', detail: 'x' },
      });

      // Assess
      expect(result.outcome).toBe('started');
      expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: REPLICA_ID });
      expect(rds).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 1);
      expect(rds.commandCalls(PromoteReadReplicaCommand)[0]?.args[0].input).toEqual({
        DBInstanceIdentifier: REPLICA_ID,
      });
      expect(await regionOfCall(rds, PromoteReadReplicaCommand)).toBe(STANDBY);
      expect(await regionOfCall(rds, DescribeDBInstancesCommand)).toBe(STANDBY);
    });

    it.each([
      ['modifying', [{ ...replica, DBInstanceStatus: 'modifying' }], /a promotion is already under way/],
      ['rebooting', [{ ...replica, DBInstanceStatus: 'rebooting' }], /a promotion is already under way/],
      ['standalone', [{ DBInstanceIdentifier: REPLICA_ID, DBInstanceStatus: 'rebooting' }], /already standalone/],
    ])(
      'reports a promotion under way as started when RDS refuses a second one (InvalidDBInstanceStateFault, %s)',
      async (_what, after, detail) => {
        // Prepare: the first describe sees the replica, the one after the refusal sees it being promoted.
        rds
          .on(DescribeDBInstancesCommand)
          .resolvesOnce({ DBInstances: [{ ...replica, DBInstanceStatus: 'modifying' }] })
          .resolves({ DBInstances: after });
        rds
          .on(PromoteReadReplicaCommand)
          .rejects(
            new InvalidDBInstanceStateFault({ $metadata: {}, message: 'DB instance is not in available state' }),
          );

        // Act
        const result = await adapter().promote('unplanned');

        // Assess
        expect(result).toEqual({ outcome: 'started', detail: expect.stringMatching(detail) });
        expect(rds).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 1);
        expect(rds).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 2);
      },
    );

    it('throws ResourceBusyError when the replica is busy with something other than a promotion (InvalidDBInstanceStateFault, backing-up)', async () => {
      // Prepare
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ...replica, DBInstanceStatus: 'backing-up' }] });
      const fault = new InvalidDBInstanceStateFault({ $metadata: {}, message: 'instance is being backed up' });
      rds.on(PromoteReadReplicaCommand).rejects(fault);

      // Act
      const error = await adapter()
        .promote('unplanned')
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ResourceBusyError);
      expect((error as ResourceBusyError).retryable).toBe(true);
      expect((error as ResourceBusyError).cause).toBe(fault);
    });

    it.each([
      ['no fence', {}],
      [
        'a fence not yet confirmed',
        { fence: { fenced: false, pending: true, method: 'read-only-parameter', detail: 'x' } },
      ],
    ])('refuses a planned promotion with %s (FenceFailedError), sending nothing', async (_what, context) => {
      // Act / Assess
      await expect(adapter().promote('planned', context)).rejects.toThrow(FenceFailedError);
      expect(rds).not.toHaveReceivedAnyCommand();
    });

    it("keeps the replica's backup retention, which PromoteReadReplica would otherwise set to its default of 1 day", async () => {
      // Prepare
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [{ ...replica, DBInstanceStatus: 'available', BackupRetentionPeriod: 7 }],
      });
      rds.on(PromoteReadReplicaCommand).resolves({ DBInstance: { DBInstanceIdentifier: REPLICA_ID } });

      // Act
      await adapter().promote('unplanned');

      // Assess
      expect(rds.commandCalls(PromoteReadReplicaCommand)[0]?.args[0].input).toEqual({
        DBInstanceIdentifier: REPLICA_ID,
        BackupRetentionPeriod: 7,
      });
    });

    it('throws AwsRequestFailedError when the replica does not exist (DBInstanceNotFoundFault)', async () => {
      // Prepare
      rds
        .on(DescribeDBInstancesCommand)
        .rejects(new DBInstanceNotFoundFault({ $metadata: {}, message: 'DBInstance not found' }));

      // Act / Assess
      await expect(adapter().promote('unplanned')).rejects.toBeInstanceOf(AwsRequestFailedError);
      expect(rds).not.toHaveReceivedCommand(PromoteReadReplicaCommand);
    });

    it('throws ThrottledError when PromoteReadReplica is throttled', async () => {
      // Prepare
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ...replica, DBInstanceStatus: 'available' }] });
      rds.on(PromoteReadReplicaCommand).rejects(throttling());

      // Act / Assess
      await expect(adapter().promote('unplanned')).rejects.toBeInstanceOf(ThrottledError);
    });
  });

  describe('promotionStatus', () => {
    it('reports writable with the endpoint once the replica is standalone and available', async () => {
      // Prepare
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          {
            DBInstanceIdentifier: REPLICA_ID,
            DBInstanceStatus: 'available',
            Endpoint: { Address: 'feature-store-replica.abc.us-east-2.rds.amazonaws.com', Port: 5432 },
          },
        ],
      });

      // Act
      const status = await adapter().promotionStatus();

      // Assess
      expect(status).toMatchObject({
        state: 'writable',
        writerEndpoint: 'feature-store-replica.abc.us-east-2.rds.amazonaws.com',
      });
    });

    it('reports pending while the instance is still a read replica', async () => {
      // Prepare
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ...replica, DBInstanceStatus: 'modifying' }] });

      // Act
      const status = await adapter().promotionStatus();

      // Assess
      expect(status.state).toBe('pending');
      expect(status.detail).toContain('modifying');
    });

    it.each(['modifying', 'rebooting'])(
      'reports pending while the standalone instance is %s (not yet taking writes)',
      async (s) => {
        // Prepare
        rds.on(DescribeDBInstancesCommand).resolves({
          DBInstances: [{ DBInstanceIdentifier: REPLICA_ID, DBInstanceStatus: s }],
        });

        // Act
        const status = await adapter().promotionStatus();

        // Assess
        expect(status).toEqual({ state: 'pending', detail: expect.stringContaining(s) });
      },
    );

    it('reports writable while the promoted instance takes its first backup (backing-up)', async () => {
      // Prepare
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          { DBInstanceIdentifier: REPLICA_ID, DBInstanceStatus: 'backing-up', Endpoint: { Address: 'fs.example' } },
        ],
      });

      // Act
      const status = await adapter().promotionStatus();

      // Assess
      expect(status).toEqual({
        state: 'writable',
        detail: expect.stringContaining('standalone and backing-up'),
        writerEndpoint: 'fs.example',
      });
    });

    it('reports pending while a replica still linked to its source is backing-up', async () => {
      // Prepare
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ...replica, DBInstanceStatus: 'backing-up' }] });

      // Act
      const status = await adapter().promotionStatus();

      // Assess
      expect(status.state).toBe('pending');
    });

    it.each(['failed', 'incompatible-parameters', 'storage-full'])(
      'reports failed when the instance is %s',
      async (s) => {
        // Prepare
        rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ...replica, DBInstanceStatus: s }] });

        // Act
        const status = await adapter().promotionStatus();

        // Assess
        expect(status).toEqual({ state: 'failed', detail: expect.stringContaining(s) });
      },
    );
  });

  describe('writerEndpoint', () => {
    it('returns the endpoint address of the promoted instance', async () => {
      // Prepare
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          { DBInstanceIdentifier: REPLICA_ID, Endpoint: { Address: 'fs.abc.us-east-2.rds.amazonaws.com' } },
        ],
      });

      // Act / Assess
      expect(await adapter().writerEndpoint()).toBe('fs.abc.us-east-2.rds.amazonaws.com');
    });

    it('throws ResourceBusyError when the instance has no endpoint yet', async () => {
      // Prepare
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [{ DBInstanceIdentifier: REPLICA_ID, DBInstanceStatus: 'modifying' }],
      });

      // Act / Assess
      await expect(adapter().writerEndpoint()).rejects.toBeInstanceOf(ResourceBusyError);
    });

    it('throws AwsRequestFailedError when DescribeDBInstances returns no instance', async () => {
      // Prepare
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });

      // Act / Assess
      await expect(adapter().writerEndpoint()).rejects.toBeInstanceOf(AwsRequestFailedError);
    });
  });

  it('never needs the primary region outside fencing', async () => {
    // Prepare
    const regions: string[] = [];
    const plan = loadPlan();
    const failover = new RdsInstanceFailover(plan, {
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
    replicaLagSeries([minutesAgo(1)], [1]);
    rds
      .on(DescribeDBInstancesCommand)
      // replicationLag, then promote, see a read replica; the status checks a standalone instance.
      .resolvesOnce({ DBInstances: [{ ...replica, DBInstanceStatus: 'available' }] })
      .resolvesOnce({ DBInstances: [{ ...replica, DBInstanceStatus: 'available' }] })
      .resolves({
        DBInstances: [{ DBInstanceIdentifier: REPLICA_ID, DBInstanceStatus: 'available', Endpoint: { Address: 'x' } }],
      });
    rds.on(PromoteReadReplicaCommand).resolves({});

    // Act
    await failover.replicationLag();
    await failover.promote('unplanned');
    await failover.promotionStatus();
    await failover.writerEndpoint();

    // Assess
    expect(regions.length).toBeGreaterThan(0);
    expect(new Set(regions)).toEqual(new Set([`cloudwatch:${STANDBY}`, `rds:${STANDBY}`]));
  });
});
