import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuroraGlobalFailover } from '#adapters/database/aurora-global.js';
import { RdsInstanceFailover } from '#adapters/database/rds-instance.js';
import type { PlanWithDatabase } from '#core/plan.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { ALL_MOCKS, rds } from '../statemachine/support.js';
import { AuroraWorld, auroraWorldDefaults } from './aurora.js';
import { virtualClock } from './clock.js';
import { CloudWatchWorld } from './cloudwatch.js';

const MINUTE = 60_000;

const orders = (): PlanWithDatabase<'aurora-global'> => {
  const plan = loadPlanFile('plans/orders.yml');
  if (plan.database.kind !== 'aurora-global') throw new Error('plans/orders.yml must be an aurora-global plan');
  return { ...plan, database: plan.database };
};
const featureStore = (): PlanWithDatabase<'rds-instance'> => {
  const plan = loadPlanFile('plans/feature-store.yml');
  if (plan.database.kind !== 'rds-instance') throw new Error('plans/feature-store.yml must be an rds-instance plan');
  return { ...plan, database: plan.database };
};

afterEach(() => {
  for (const m of ALL_MOCKS) m.reset();
  vi.useRealTimers();
});

describe('the lag adapters on the simulated CloudWatch', () => {
  describe('Aurora Global Database', () => {
    const setUp = (replicaBehindMs = 2_500) => {
      const clock = virtualClock();
      const world = new AuroraWorld(clock, new CloudWatchWorld(clock), auroraWorldDefaults({ replicaBehindMs }));
      return { clock, world, adapter: new AuroraGlobalFailover(orders()) };
    };

    it('reads the RPO lag of the newest published minute, in seconds, as of that minute', async () => {
      // Prepare
      const { clock, adapter } = setUp(2_500);

      // Act
      const reading = await adapter.replicationLag();

      // Assess: a minute is readable a minute after it is sampled.
      expect(reading).toMatchObject({
        status: 'known',
        seconds: 2.5,
        observedAt: new Date(clock.now() - MINUTE).toISOString(),
        source: 'cloudwatch:AWS/RDS AuroraGlobalDBRPOLag',
      });
    });

    it.each([
      [4, 'stale'],
      [10, 'no datapoint'],
    ])('reads unknown, never zero, %i minutes after replication stopped (%s)', async (minutes, why) => {
      // Prepare
      const { clock, world, adapter } = setUp();
      world.primaryRegionDown();
      clock.advance(minutes * MINUTE);

      // Act
      const reading = await adapter.replicationLag();

      // Assess
      expect(reading.status).toBe('unknown');
      expect(reading.seconds).toBeUndefined();
      expect(reading.detail).toContain(why);
    });
  });

  describe('RDS read replica', () => {
    /** The replica replicating normally; its ReplicaLag a series of the test's own. */
    const setUp = (sampleAt: (t: number) => number | undefined, publishDelayMs: number, sampleEveryMs = MINUTE) => {
      const clock = virtualClock();
      const metrics = new CloudWatchWorld(clock);
      metrics.add({
        namespace: 'AWS/RDS',
        metricName: 'ReplicaLag',
        dimensions: { DBInstanceIdentifier: 'feature-store-replica' },
        sampleAt,
        sampleEveryMs,
        publishDelayMs,
      });
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          {
            DBInstanceIdentifier: 'feature-store-replica',
            DBInstanceStatus: 'available',
            ReadReplicaSourceDBInstanceIdentifier: 'arn:aws:rds:us-west-2:111122223333:db:feature-store',
            StatusInfos: [{ StatusType: 'read replication', Status: 'replicating', Normal: true }],
          },
        ],
      });
      return { clock, adapter: new RdsInstanceFailover(featureStore()) };
    };

    it('reads unknown when the metric is published later than it can be trusted (4 minutes behind)', async () => {
      // Prepare
      const { adapter } = setUp(() => 3, 4 * MINUTE);

      // Act
      const reading = await adapter.replicationLag();

      // Assess
      expect(reading.status).toBe('unknown');
      expect(reading.detail).toContain('too old');
    });

    it('takes the newest period while it is still filling: the worst of its samples so far, as of its start', async () => {
      // Prepare: a sample every 10 s, readable 30 s late; the lag rises to 20 s in the newest minute.
      const { clock, adapter } = setUp((t) => (t >= clock.now() - 50_000 ? 20 : 2), 30_000, 10_000);

      // Act
      const reading = await adapter.replicationLag();

      // Assess
      const minuteStart = Math.floor((clock.now() - 30_000) / MINUTE) * MINUTE;
      expect(reading).toMatchObject({ status: 'known', observedAt: new Date(minuteStart).toISOString() });
      expect(reading.seconds).toBe(20);
    });
  });
});
