import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DBClusterNotFoundFault,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  GlobalClusterNotFoundFault,
  InvalidGlobalClusterStateFault,
  RDSClient,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ALL_MOCKS } from '../statemachine/support.js';
import { AuroraWorld, type AuroraWorldOptions, auroraWorldDefaults } from './aurora.js';
import { type Clock, virtualClock } from './clock.js';
import { CloudWatchWorld } from './cloudwatch.js';

const MINUTE = 60_000;
const client = new RDSClient({ region: 'eu-west-1' });
const metrics = new CloudWatchClient({ region: 'eu-west-1' });

const setUp = (over: Partial<AuroraWorldOptions> = {}) => {
  const clock = virtualClock();
  const settings = auroraWorldDefaults(over);
  const world = new AuroraWorld(clock, new CloudWatchWorld(clock), settings);
  return { clock, settings, world };
};

const failover = (target: string, id = 'orders-global') =>
  client.send(
    new FailoverGlobalClusterCommand({
      GlobalClusterIdentifier: id,
      TargetDbClusterIdentifier: target,
      AllowDataLoss: true,
    }),
  );
const switchover = (target: string) =>
  client.send(
    new SwitchoverGlobalClusterCommand({ GlobalClusterIdentifier: 'orders-global', TargetDbClusterIdentifier: target }),
  );
const describeGlobal = async () =>
  (await client.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: 'orders-global' })))
    .GlobalClusters?.[0];

/** The secondary's lag metric over the last five minutes, newest first, as the lag adapters ask for it. */
const lagPoints = async (clock: Clock, metricName = 'AuroraGlobalDBRPOLag') => {
  const out = await metrics.send(
    new GetMetricDataCommand({
      StartTime: new Date(clock.now() - 5 * MINUTE),
      EndTime: new Date(clock.now()),
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        {
          Id: 'lag',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/RDS',
              MetricName: metricName,
              Dimensions: [
                { Name: 'DBClusterIdentifier', Value: 'orders-eu' },
                { Name: 'SourceRegion', Value: 'us-east-1' },
              ],
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

describe('the simulated Aurora Global Database', () => {
  it('walks a failover through pending and failing-over to a new writer, FailoverState empty again', async () => {
    // Prepare
    const { clock, settings } = setUp({ failover: { pendingMs: 15_000, operationMs: MINUTE } });

    // Act
    const answer = await failover(settings.secondary.arn);
    const seen: (string | undefined)[] = [answer.GlobalCluster?.FailoverState?.Status];
    for (const ms of [20_000, 60_000]) {
      clock.advance(ms);
      seen.push((await describeGlobal())?.FailoverState?.Status);
    }

    // Assess
    expect(seen).toEqual(['pending', 'failing-over', undefined]);
    expect(answer.GlobalCluster?.FailoverState).toMatchObject({
      FromDbClusterArn: settings.primary.arn,
      ToDbClusterArn: settings.secondary.arn,
      IsDataLossAllowed: true,
    });
    const members = (await describeGlobal())?.GlobalClusterMembers ?? [];
    expect(members.find((m) => m.IsWriter)?.DBClusterArn).toBe(settings.secondary.arn);
  });

  it('shows a switchover as switching-over, not a data-loss operation, and waits for the secondary to catch up', async () => {
    // Prepare: 3 minutes behind, longer than the switchover's own 2 minutes.
    const { clock, settings, world } = setUp({ replicaBehindMs: 3 * MINUTE });

    // Act
    await switchover(settings.secondary.arn);
    clock.advance(MINUTE);
    const during = (await describeGlobal())?.FailoverState;
    clock.advance(2 * MINUTE);
    const stillMoving = world.writerArn();
    clock.advance(MINUTE);

    // Assess
    expect(during).toMatchObject({ Status: 'switching-over', IsDataLossAllowed: false });
    expect(stillMoving).toBe(settings.primary.arn);
    expect(world.writerArn()).toBe(settings.secondary.arn);
    expect(world.lostCommits()).toBe(0);
  });

  it('refuses a second operation while one is in progress (InvalidGlobalClusterStateFault), changing nothing', async () => {
    // Prepare
    const { settings, world } = setUp();
    await failover(settings.secondary.arn);

    // Act / Assess
    await expect(switchover(settings.secondary.arn)).rejects.toBeInstanceOf(InvalidGlobalClusterStateFault);
    await expect(failover(settings.secondary.arn)).rejects.toBeInstanceOf(InvalidGlobalClusterStateFault);
    expect(world.operationsStarted()).toBe(1);
  });

  it('refuses a target that is not a member, an unknown global cluster, and the writer as its own target', async () => {
    // Prepare
    const { settings, world } = setUp({ secondaryIsMember: false });

    // Act / Assess
    await expect(failover(settings.secondary.arn)).rejects.toBeInstanceOf(DBClusterNotFoundFault);
    await expect(failover(settings.secondary.arn, 'nope')).rejects.toBeInstanceOf(GlobalClusterNotFoundFault);
    await expect(failover(settings.primary.arn)).rejects.toBeInstanceOf(InvalidGlobalClusterStateFault);
    expect(world.operationsStarted()).toBe(0);
  });

  it('refuses a switchover while the primary region is dark, and accepts a failover', async () => {
    // Prepare
    const { settings, world } = setUp();
    world.primaryRegionDown();

    // Act / Assess
    await expect(switchover(settings.secondary.arn)).rejects.toBeInstanceOf(InvalidGlobalClusterStateFault);
    const accepted = await failover(settings.secondary.arn);
    expect(accepted.GlobalCluster?.FailoverState?.Status).toBe('pending');
    expect(world.operationsStarted()).toBe(1);
  });

  it('shows a cancelled operation as cancelling, then nothing, the writer unchanged', async () => {
    // Prepare
    const { clock, settings, world } = setUp();
    world.cancelNextOperation(10_000, 20_000);

    // Act
    await failover(settings.secondary.arn);
    clock.advance(15_000);
    const cancelling = (await describeGlobal())?.FailoverState?.Status;
    clock.advance(20_000);

    // Assess
    expect(cancelling).toBe('cancelling');
    expect((await describeGlobal())?.FailoverState).toBeUndefined();
    expect(world.writerArn()).toBe(settings.primary.arn);
  });

  it('publishes the secondary lag a minute late, nothing once replication stops, in milliseconds', async () => {
    // Prepare
    const { clock, world } = setUp({ replicaBehindMs: 2_500 });

    // Act
    const replicating = await lagPoints(clock);
    const older = await lagPoints(clock, 'AuroraGlobalDBReplicationLag');
    world.primaryRegionDown();
    clock.advance(7 * MINUTE);
    const dark = await lagPoints(clock);

    // Assess
    expect(replicating).toEqual([2500, 2500, 2500, 2500, 2500]);
    expect(older).toEqual(replicating);
    expect(dark).toEqual([]);
  });

  it('lists the old primary pending a resync while its region is dark, and as a connected secondary once back', async () => {
    // Prepare
    const { clock, settings, world } = setUp();
    world.primaryRegionDown();
    await failover(settings.secondary.arn);
    clock.advance(5 * MINUTE);

    // Act
    const dark = world.members().find((m) => m.DBClusterArn === settings.primary.arn);
    world.primaryRegionRecovers();
    const back = world.members().find((m) => m.DBClusterArn === settings.primary.arn);

    // Assess
    expect(dark).toMatchObject({ IsWriter: false, SynchronizationStatus: 'pending-resync' });
    expect(back).toMatchObject({ IsWriter: false, SynchronizationStatus: 'connected' });
  });
});
