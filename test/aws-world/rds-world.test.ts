import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeDBInstancesCommand,
  InvalidDBInstanceStateFault,
  ModifyDBParameterGroupCommand,
  PromoteReadReplicaCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { serverError } from '../statemachine/fault-kit.js';
import { ALL_MOCKS } from '../statemachine/support.js';
import { type Clock, virtualClock } from './clock.js';
import { RdsWorld, rdsWorldDefaults } from './rds.js';

const MINUTE = 60_000;
const client = new RDSClient({ region: 'us-east-2' });
const metrics = new CloudWatchClient({ region: 'us-east-2' });

const replica = async () =>
  (await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'feature-store-replica' })))
    .DBInstances?.[0];
const lagPoints = async (clock: Clock) => {
  const out = await metrics.send(
    new GetMetricDataCommand({
      StartTime: new Date(clock.now() - 5 * MINUTE),
      EndTime: new Date(clock.now()),
      MetricDataQueries: [
        {
          Id: 'lag',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/RDS',
              MetricName: 'ReplicaLag',
              Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'feature-store-replica' }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
        },
      ],
    }),
  );
  return out.MetricDataResults?.[0]?.Values ?? [];
};

afterEach(() => {
  for (const m of ALL_MOCKS) m.reset();
  vi.useRealTimers();
});

describe('the simulated RDS', () => {
  it('walks a promoted replica through modifying, rebooting and backing-up to available on the clock', async () => {
    // Prepare
    const clock = virtualClock();
    const world = new RdsWorld(
      clock,
      rdsWorldDefaults({ promotion: { modifyingMs: 2 * MINUTE, rebootingMs: MINUTE, backingUpMs: 10 * MINUTE } }),
    );

    // Act
    await client.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'feature-store-replica' }));
    const seen: [string | undefined, boolean][] = [];
    for (const at of [1, 2.5, 4, 14]) {
      vi.setSystemTime(Date.parse('2026-12-07T10:00:00.000Z') + at * MINUTE);
      const r = await replica();
      seen.push([r?.DBInstanceStatus, r?.ReadReplicaSourceDBInstanceIdentifier !== undefined]);
    }

    // Assess: no BackupRetentionPeriod means AWS's default of 1 day, so the promoted instance backs up.
    expect(seen).toEqual([
      ['modifying', true],
      ['rebooting', false],
      ['backing-up', false],
      ['available', false],
    ]);
    expect((await replica())?.BackupRetentionPeriod).toBe(1);
    expect(world.promotionsStarted()).toBe(1);
  });

  it('refuses a second PromoteReadReplica while the first is under way, after answering the first with a 500', async () => {
    // Prepare
    const clock = virtualClock();
    const world = new RdsWorld(clock, rdsWorldDefaults());
    world.answerNextPromotionWith(serverError('InternalFailure'));

    // Act
    const first = await client
      .send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'feature-store-replica' }))
      .catch((e: Error) => e);
    clock.advance(10_000);
    const second = await client
      .send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'feature-store-replica', BackupRetentionPeriod: 7 }))
      .catch((e: Error) => e);

    // Assess
    expect((first as Error).name).toBe('InternalFailure');
    expect(second).toBeInstanceOf(InvalidDBInstanceStateFault);
    expect(world.promotionsStarted()).toBe(1);
    expect((await replica())?.BackupRetentionPeriod).toBe(1);
  });

  it('publishes ReplicaLag a minute at a time while replicating, and nothing once replication is broken', async () => {
    // Prepare
    const clock = virtualClock();
    const world = new RdsWorld(clock, rdsWorldDefaults({ replicaBehindMs: 20_000 }));

    // Act
    const before = await lagPoints(clock);
    world.breakReplication();
    clock.advance(6 * MINUTE);
    const after = await lagPoints(clock);

    // Assess
    expect(before).toEqual([20, 20, 20, 20]);
    expect(after).toEqual([]);
    // What the replica had not replayed when replication broke, and everything the source acknowledged since.
    expect(world.lostCommits()).toBe(20 * 5 + 6 * 60 * 5);
  });

  it('applies a read-only parameter after a delay; writes end once open transactions commit, and the replica catches up', async () => {
    // Prepare
    const clock = virtualClock();
    const world = new RdsWorld(clock, rdsWorldDefaults({ parameterApplyMs: 30_000, openTransactionMs: 15_000 }));
    const source = async () =>
      (await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'feature-store' }))).DBInstances?.[0];

    // Act
    await client.send(
      new ModifyDBParameterGroupCommand({
        DBParameterGroupName: 'feature-store-pg',
        Parameters: [{ ParameterName: 'default_transaction_read_only', ParameterValue: '1', ApplyMethod: 'immediate' }],
      }),
    );
    const applying = (await source())?.DBParameterGroups?.[0]?.ParameterApplyStatus;
    const acknowledgedAtFence = world.acknowledgedCommits();
    clock.advance(30_000);
    const inSync = (await source())?.DBParameterGroups?.[0]?.ParameterApplyStatus;
    clock.advance(10 * MINUTE);

    // Assess
    expect([applying, inSync]).toEqual(['applying', 'in-sync']);
    expect(world.acknowledgedCommits() - acknowledgedAtFence).toBe(45 * 5);
    expect(world.lostCommits()).toBe(0);
    expect((await lagPoints(clock))[0]).toBe(0);
  });
});
