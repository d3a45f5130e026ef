import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  PromoteReadReplicaCommand,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ALL_MOCKS,
  auroraWorld,
  cloudwatch,
  eventBridge,
  execute,
  FEATURES,
  lagMetrics,
  notifyWorld,
  ORDERS,
  preparing,
  publishedTypes,
  rds,
  rdsReplicaWorld,
  route53,
  route53World,
  runInput,
  upsertVariant,
} from './support.js';

/**
 * A re-run after an earlier run promoted the standby and then stopped (PromotionTimedOutError, DNS failed): the
 * promoted standby publishes no lag metric any more, and the re-run must still finish the failover.
 */

/** Prepare bound to the orders and feature-store plans, both with `onExceeded: abort`. */
const abortingPlans = () =>
  preparing(
    ...['plans/orders.yml', 'plans/feature-store.yml'].map((file) =>
      upsertVariant(file, (p) => ({ ...p, rpo: { ...p.rpo, onExceeded: 'abort' } })),
    ),
  );

interface Timeline {
  step: string;
  outcome: string;
}
/** The Failover Succeeded event's detail. */
const succeededDetail = () =>
  JSON.parse(eventBridge.commandCalls(PutEventsCommand).at(-1)?.args[0].input.Entries?.[0]?.Detail ?? '{}').detail as {
    timeline: Timeline[];
    lag: { decision: string; reason: string; reading: { alreadyPromoted?: boolean } };
  };
/** The record the run's one DNS change points, and where. */
const upserted = () => {
  const set = route53.commandCalls(ChangeResourceRecordSetsCommand)[0]?.args[0].input.ChangeBatch?.Changes?.[0]
    ?.ResourceRecordSet;
  return { name: set?.Name, value: set?.ResourceRecords?.[0]?.Value };
};
const outcomeOf = (timeline: Timeline[], step: string) => timeline.find((t) => t.step === step)?.outcome ?? '';

describe('re-running a failover whose standby is already promoted', () => {
  beforeEach(() => {
    notifyWorld();
    // The promoted standby stopped publishing its lag metrics: no datapoints at all.
    lagMetrics(() => undefined);
  });
  afterEach(() => {
    for (const m of ALL_MOCKS) m.reset();
  });

  it('finishes an Aurora failover: passes the RPO guard, sends no promotion, switches DNS', async () => {
    // Prepare
    auroraWorld({ alreadyPromoted: true });
    route53World();

    // Act
    const run = await execute(runInput({ reason: 're-run after PromotionTimedOutError' }), {
      handlers: abortingPlans(),
    });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited.filter((s) => s === 'CheckLag')).toHaveLength(1);
    expect(cloudwatch).toHaveReceivedCommand(GetMetricDataCommand);
    expect(rds).toHaveReceivedCommandWith(DescribeGlobalClustersCommand, { GlobalClusterIdentifier: ORDERS.globalId });
    expect(rds).not.toHaveReceivedCommand(FailoverGlobalClusterCommand);
    expect(rds).not.toHaveReceivedCommand(SwitchoverGlobalClusterCommand);
    expect(route53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    expect(upserted()).toEqual({ name: ORDERS.record, value: ORDERS.endpoint });
    expect(publishedTypes()).toEqual(['Failover Started', 'Failover Succeeded']);
    const detail = succeededDetail();
    expect(detail.lag).toMatchObject({ decision: 'within-rpo', reading: { alreadyPromoted: true } });
    expect(outcomeOf(detail.timeline, 'CheckLag')).toMatch(/within-rpo: the standby is already the writer/);
    expect(outcomeOf(detail.timeline, 'Promote')).toMatch(/^already-promoted: .*already the writer/);
  });

  it('finishes an RDS read replica failover: passes the RPO guard, sends no promotion, switches DNS', async () => {
    // Prepare
    rdsReplicaWorld({ alreadyPromoted: true });
    route53World({ initial: 'feature-store.abc123.us-west-2.rds.amazonaws.com' });

    // Act
    const run = await execute(runInput({ plan: 'feature-store', reason: 're-run after DnsChangeFailedError' }), {
      handlers: abortingPlans(),
    });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited.filter((s) => s === 'CheckLag')).toHaveLength(1);
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: FEATURES.replica });
    expect(rds).not.toHaveReceivedCommand(PromoteReadReplicaCommand);
    expect(route53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    expect(route53).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, { HostedZoneId: 'Z0FEATURESTORE0001' });
    expect(upserted()).toEqual({ name: FEATURES.record, value: FEATURES.endpoint });
    expect(publishedTypes()).toEqual(['Failover Started', 'Failover Succeeded']);
    const detail = succeededDetail();
    expect(detail.lag).toMatchObject({ decision: 'within-rpo', reading: { alreadyPromoted: true } });
    expect(outcomeOf(detail.timeline, 'CheckLag')).toMatch(/within-rpo: the standby is already the writer/);
    expect(outcomeOf(detail.timeline, 'Promote')).toMatch(/^already-promoted: .*already a standalone instance/);
  });

  it('still aborts, having changed nothing, when the standby is not promoted and the lag stays unknown', async () => {
    // Prepare
    auroraWorld();
    route53World();

    // Act
    const run = await execute(runInput(), { handlers: abortingPlans() });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ReplicationLagExceededError');
    expect(rds).not.toHaveReceivedCommand(FailoverGlobalClusterCommand);
    expect(route53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
    expect(publishedTypes()).toEqual(['Failover Started', 'Failover Aborted']);
  });
});
