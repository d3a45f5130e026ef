import { fileURLToPath } from 'node:url';
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import {
  type DBInstance,
  DescribeDBInstancesCommand,
  DescribeDBParametersCommand,
  PromoteReadReplicaCommand,
  RDSClient,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { RdsInstanceFailover } from '#adapters/database/rds-instance.js';
import { AmbiguousTopologyError, ThrottledError } from '#core/errors.js';
import type { PlanWithDatabase } from '#core/plan.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const rds = mockClient(RDSClient);
const cloudwatch = mockClient(CloudWatchClient);

const NOW = new Date('2026-12-07T12:00:00.000Z');
const REPLICA_ID = 'feature-store-replica';
const GROUP = 'feature-store-replica-pg';
const SOURCE_ARN = 'arn:aws:rds:us-west-2:111122223333:db:feature-store';

/** plans/feature-store.yml: it names the replica's group (`replicaFenceParameterGroupName: feature-store-replica-pg`). */
const loadPlan = (withGroup = true): PlanWithDatabase<'rds-instance'> => {
  const plan = loadPlanFile(fileURLToPath(new URL('../../../plans/feature-store.yml', import.meta.url)));
  if (plan.database.kind !== 'rds-instance') throw new Error('plans/feature-store.yml must be an rds-instance plan');
  const { replicaFenceParameterGroupName: _inFile, ...database } = plan.database;
  return { ...plan, database: withGroup ? plan.database : database };
};
const adapter = (withGroup = true) => new RdsInstanceFailover(loadPlan(withGroup), { now: () => NOW });

/** The replica as DescribeDBInstances shows it: standalone and available with its own group, unless told. */
const replicaIs = (over: Partial<DBInstance> = {}) =>
  rds.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: REPLICA_ID,
        DBInstanceStatus: 'available',
        Endpoint: { Address: 'feature-store-replica.abc123.us-east-2.rds.amazonaws.com', Port: 5432 },
        DBParameterGroups: [{ DBParameterGroupName: GROUP, ParameterApplyStatus: 'in-sync' }],
        ...over,
      },
    ],
  });

/** The group's user-set parameters: default_transaction_read_only = `value` (none when undefined). */
const groupSays = (value: string | undefined) =>
  rds.on(DescribeDBParametersCommand).resolves({
    Parameters: [
      { ParameterName: 'log_connections', ParameterValue: '1', Source: 'user' },
      ...(value === undefined
        ? []
        : [{ ParameterName: 'default_transaction_read_only', ParameterValue: value, Source: 'user' }]),
    ],
  });

const noLagMetric = () =>
  cloudwatch.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: MetricDataQuery[] }) => ({
    MetricDataResults: input.MetricDataQueries.map((q) => ({ Id: q.Id, Timestamps: [], Values: [] })),
  }));

const FENCED =
  /feature-store-replica in us-east-2 is standalone \(available\) but its parameter group feature-store-replica-pg \(in-sync\) sets default_transaction_read_only = 1: it is fenced read-only/;

afterEach(() => {
  rds.reset();
  cloudwatch.reset();
});

describe('a standalone RDS replica fenced read-only by its own parameter group (after a way back)', () => {
  it.each([
    ['the lag reading (CheckLag)', (a: RdsInstanceFailover) => a.replicationLag()],
    ['the promotion (Promote, unplanned)', (a: RdsInstanceFailover) => a.promote('unplanned')],
    ['the promotion status (PromotionStatus)', (a: RdsInstanceFailover) => a.promotionStatus()],
  ])(
    'refuses %s with AmbiguousTopologyError, naming what it saw, the likely writer and the way out',
    async (_what, act) => {
      // Prepare
      replicaIs();
      groupSays('1');
      noLagMetric();

      // Act
      const refused = act(adapter());

      // Assess
      await expect(refused).rejects.toThrow(AmbiguousTopologyError);
      await expect(refused).rejects.toThrow(FENCED);
      await expect(refused).rejects.toThrow(/run refused, this step changed nothing/);
      await expect(refused).rejects.toThrow(/writer is probably feature-store-failback in us-west-2/);
      await expect(refused).rejects.toThrow(
        /create a new cross-region read replica of the current writer in us-east-2/,
      );
      expect(rds).toHaveReceivedCommandExactlyOnceWith(DescribeDBParametersCommand, {
        DBParameterGroupName: GROUP,
        Source: 'user',
      });
      expect(await rds.commandCalls(DescribeDBParametersCommand)[0]?.thisValue.config.region()).toBe('us-east-2');
      expect(rds).not.toHaveReceivedCommand(PromoteReadReplicaCommand);
    },
  );

  it.each([
    ['0', '0'],
    ['never set in the group (the engine default, off)', undefined],
  ])('reads a standalone replica whose group says %s as the writer, as before', async (_what, value) => {
    // Prepare
    replicaIs();
    groupSays(value);
    noLagMetric();

    // Act
    const a = adapter();
    const [lag, promotion, status] = [
      await a.replicationLag(),
      await a.promote('unplanned'),
      await a.promotionStatus(),
    ];

    // Assess
    expect(lag).toMatchObject({ status: 'known', seconds: 0, alreadyPromoted: true });
    expect(promotion.outcome).toBe('already-promoted');
    expect(status.state).toBe('writable');
    expect(rds).toHaveReceivedCommandTimes(DescribeDBParametersCommand, 3);
  });

  it('follows the Marker when the parameter is on a later page', async () => {
    // Prepare
    replicaIs();
    rds
      .on(DescribeDBParametersCommand)
      .resolvesOnce({ Parameters: [{ ParameterName: 'log_connections', ParameterValue: '1' }], Marker: 'page-2' })
      .resolvesOnce({ Parameters: [{ ParameterName: 'default_transaction_read_only', ParameterValue: 'on' }] });

    // Act
    const refused = adapter().promotionStatus();

    // Assess
    await expect(refused).rejects.toThrow(AmbiguousTopologyError);
    expect(rds).toHaveReceivedCommandTimes(DescribeDBParametersCommand, 2);
    expect(rds).toHaveReceivedNthCommandWith(DescribeDBParametersCommand, 2, {
      DBParameterGroupName: GROUP,
      Source: 'user',
      Marker: 'page-2',
    });
  });

  it.each([
    ['the replica still follows its source', { ReadReplicaSourceDBInstanceIdentifier: SOURCE_ARN }, true],
    ["the group is not the instance's", { DBParameterGroups: [{ DBParameterGroupName: 'default.postgres16' }] }, true],
    ['the plan names no replica group', {}, false],
  ])('reads no parameter group when %s', async (_what, over: Partial<DBInstance>, withGroup) => {
    // Prepare
    replicaIs(over);
    groupSays('1');

    // Act
    await adapter(withGroup).promotionStatus();

    // Assess
    expect(rds).not.toHaveReceivedCommand(DescribeDBParametersCommand);
  });

  it('lets the state machine retry a throttled read of the group (ThrottledError), deciding nothing', async () => {
    // Prepare
    replicaIs();
    rds
      .on(DescribeDBParametersCommand)
      .rejects(
        new RDSServiceException({ name: 'Throttling', $fault: 'client', $metadata: {}, message: 'Rate exceeded' }),
      );

    // Act
    const read = adapter().promotionStatus();

    // Assess
    await expect(read).rejects.toThrow(ThrottledError);
  });
});
