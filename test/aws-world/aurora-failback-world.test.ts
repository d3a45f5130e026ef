import {
  CopyDBClusterSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeGlobalClustersCommand,
  RDSClient,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ALL_MOCKS } from '../statemachine/support.js';
import { AuroraFailbackWorld, type AuroraFailbackWorldOptions, auroraFailbackDefaults } from './aurora-failback.js';
import { virtualClock } from './clock.js';
import { CloudWatchWorld } from './cloudwatch.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const client = new RDSClient({ region: 'us-east-1' });
const US = 'arn:aws:rds:us-east-1:111122223333:cluster:orders-us';

const setUp = (over: Partial<AuroraFailbackWorldOptions> = {}) => {
  const clock = virtualClock();
  const world = new AuroraFailbackWorld(clock, new CloudWatchWorld(clock), auroraFailbackDefaults(over));
  return { clock, world };
};
const oldMember = async () =>
  (
    await client.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: 'orders-global' }))
  ).GlobalClusters?.[0]?.GlobalClusterMembers?.find((m) => m.DBClusterArn === US);
const snapshots = async () =>
  (await client.send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: 'orders-us' }))).DBClusterSnapshots ??
  [];
const switchBack = () =>
  client.send(
    new SwitchoverGlobalClusterCommand({ GlobalClusterIdentifier: 'orders-global', TargetDbClusterIdentifier: US }),
  );

afterEach(() => {
  for (const m of ALL_MOCKS) m.reset();
  vi.useRealTimers();
});

describe('the simulated Aurora after a managed failover', () => {
  it('lists the old primary pending-resync while dark, snapshots its old volume as it recovers, then connects it', async () => {
    // Prepare
    const { clock } = setUp();

    // Act / Assess: dark, no snapshot; recovered: the snapshot is creating, the member resyncs; 20 min later connected.
    expect(await oldMember()).toMatchObject({ IsWriter: false, SynchronizationStatus: 'pending-resync' });
    expect(await snapshots()).toStrictEqual([]);
    clock.advance(5 * MINUTE);
    expect((await snapshots()).map((s) => [s.DBClusterSnapshotIdentifier, s.Status])).toStrictEqual([
      ['rds:unplanned-global-failover-orders-us-2026-12-07-10-05', 'creating'],
    ]);
    clock.advance(20 * MINUTE);
    expect(await oldMember()).toMatchObject({ SynchronizationStatus: 'connected' });
    expect((await snapshots())[0]?.Status).toBe('available');
  });

  it('refuses a switchover back while the old primary is not synchronized, and accepts it once connected', async () => {
    // Prepare
    const { clock, world } = setUp();
    clock.advance(6 * MINUTE);

    // Act / Assess
    await expect(switchBack()).rejects.toMatchObject({ name: 'InvalidGlobalClusterStateFault' });
    clock.advance(20 * MINUTE);
    expect(await switchBack()).toBeDefined();
    await expect(switchBack()).rejects.toMatchObject({ name: 'InvalidGlobalClusterStateFault' });
    clock.advance(3 * MINUTE);
    expect(world.writerArn()).toBe(US);
    expect(world.lostCommits()).toBe(0);
  });

  it('refuses to copy a snapshot not yet available or gone, and a target name in use; the copy outlives the retention', async () => {
    // Prepare
    const { clock, world } = setUp();
    const copy = (source: string, target = 'orders-us-preserved-x') =>
      client.send(
        new CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: source,
          TargetDBClusterSnapshotIdentifier: target,
        }),
      );
    const source = 'rds:unplanned-global-failover-orders-us-2026-12-07-10-05';

    // Act / Assess
    await expect(copy(source)).rejects.toMatchObject({ name: 'DBClusterSnapshotNotFoundFault' });
    clock.advance(6 * MINUTE);
    await expect(copy(source)).rejects.toMatchObject({ name: 'InvalidDBClusterSnapshotStateFault' });
    clock.advance(3 * MINUTE);
    expect(await copy(source)).toMatchObject({ DBClusterSnapshot: { Status: 'copying' } });
    await expect(copy(source)).rejects.toMatchObject({ name: 'DBClusterSnapshotAlreadyExistsFault' });
    clock.advance(7 * DAY);
    expect(world.unplannedSnapshotId()).toBeUndefined();
    expect((await snapshots()).map((s) => [s.DBClusterSnapshotIdentifier, s.Status, s.SnapshotType])).toStrictEqual([
      ['orders-us-preserved-x', 'available', 'manual'],
    ]);
  });
});
