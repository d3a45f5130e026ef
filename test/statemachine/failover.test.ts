import {
  FailoverGlobalClusterCommand,
  PromoteReadReplicaCommand,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand, GetChangeCommand } from '@aws-sdk/client-route-53';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ALL_MOCKS,
  auroraWorld,
  execute,
  FEATURES,
  lagMetrics,
  notifyWorld,
  ORDERS,
  publishedTypes,
  rds,
  rdsReplicaWorld,
  realHandlers,
  route53,
  route53World,
  runInput,
} from './support.js';

const HAPPY_PATH = [
  'Prepare',
  'ApprovalRequired?',
  'NotifyStarted',
  'RebuildNeeded?',
  'CheckLag',
  'LagWithinRpo?',
  'Fence',
  'Fenced?',
  'Promote',
  'PromotionKnown?',
  'WaitForPromotion',
  'PromotionStatus',
  'Writable?',
  'UpdateDns',
  'DnsChanged?',
  'WaitForDns',
  'DnsStatus',
  'InSync?',
  'Verify',
  'Verified?',
  'NotifySucceeded',
  'Succeeded',
];

describe('failover state machine, executed with the real handlers', () => {
  beforeEach(() => {
    notifyWorld();
  });
  afterEach(() => {
    for (const m of ALL_MOCKS) m.reset();
  });

  it('fails over an Aurora Global Database plan end to end: lag ok, FailoverGlobalCluster, DNS UPSERT, verified', async () => {
    // Prepare
    lagMetrics(() => 2_000); // 2 s in milliseconds, within the plan's 30 s
    auroraWorld();
    route53World();

    // Act
    const run = await execute(runInput());

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited).toEqual(HAPPY_PATH);
    expect(rds).toHaveReceivedCommandWith(FailoverGlobalClusterCommand, {
      GlobalClusterIdentifier: ORDERS.globalId,
      TargetDbClusterIdentifier: ORDERS.target,
      AllowDataLoss: true,
    });
    expect(rds).not.toHaveReceivedCommand(SwitchoverGlobalClusterCommand);
    expect(route53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    expect(route53).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      ChangeBatch: expect.objectContaining({
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: ORDERS.record,
              Type: 'CNAME',
              TTL: 30,
              ResourceRecords: [{ Value: ORDERS.endpoint }],
            },
          },
        ],
      }),
    });
    expect(publishedTypes()).toEqual(['Failover Started', 'Failover Succeeded']);
    const output = run.output as { timeline: { step: string }[]; verify: { matches: boolean } };
    expect(output.verify.matches).toBe(true);
    expect(output.timeline.map((t) => t.step)).toEqual([
      'Prepare',
      'NotifyStarted',
      'CheckLag',
      'Fence',
      'Promote',
      'PromotionStatus',
      'UpdateDns',
      'DnsStatus',
      'Verify',
      'NotifySucceeded',
    ]);
  });

  it('uses SwitchoverGlobalCluster, never FailoverGlobalCluster, for a planned Aurora run', async () => {
    // Prepare
    lagMetrics(() => 100);
    auroraWorld();
    route53World();

    // Act
    const run = await execute(runInput({ mode: 'planned' }));

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(rds).toHaveReceivedCommandWith(SwitchoverGlobalClusterCommand, {
      GlobalClusterIdentifier: ORDERS.globalId,
      TargetDbClusterIdentifier: ORDERS.target,
    });
    expect(rds).not.toHaveReceivedCommand(FailoverGlobalClusterCommand);
  });

  it('checks the promotion at once, without the Wait, when Promote already saw the standby writable', async () => {
    // Prepare: an adapter that answers writable with its promotion (as pg_promote(wait => true) does).
    lagMetrics(() => 2_000);
    auroraWorld();
    route53World();
    const { promote } = realHandlers();
    if (!promote) throw new Error('no promote handler deployed');
    const writableAtOnce = async (event: unknown, context: unknown) => {
      const state = (await promote(event as never, context as never)) as { promote: Record<string, unknown> };
      return { ...state, promote: { ...state.promote, writable: true } };
    };

    // Act
    const run = await execute(runInput(), { handlers: { promote: writableAtOnce as never } });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited).toEqual(HAPPY_PATH.filter((s) => s !== 'WaitForPromotion'));
  });

  it('switches traffic at once, with no status check, when Promote confirmed the standby writable', async () => {
    // Prepare: an adapter that confirms writability as it promotes (PostgreSQL: a write transaction committed).
    lagMetrics(() => 2_000);
    auroraWorld();
    route53World();
    const { promote } = realHandlers();
    if (!promote) throw new Error('no promote handler deployed');
    const confirmed = async (event: unknown, context: unknown) => {
      const state = (await promote(event as never, context as never)) as Record<string, unknown>;
      return { ...state, promotion: { state: 'writable', detail: 'a write transaction committed', checks: 0 } };
    };

    // Act
    const run = await execute(runInput(), { handlers: { promote: confirmed as never } });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited).toEqual(HAPPY_PATH.filter((s) => !['WaitForPromotion', 'PromotionStatus'].includes(s)));
  });

  it('goes straight to Verify, without WaitForDns or GetChange, when the change is answered INSYNC', async () => {
    // Prepare
    lagMetrics(() => 2_000);
    auroraWorld();
    route53World({ insyncAtOnce: true });

    // Act
    const run = await execute(runInput());

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited).toEqual(HAPPY_PATH.filter((s) => !['WaitForDns', 'DnsStatus', 'InSync?'].includes(s)));
    expect(route53).not.toHaveReceivedCommand(GetChangeCommand);
    const dns = (run.output as { dns: { status: string; checks: number; insyncAt?: string } }).dns;
    expect(dns).toMatchObject({ status: 'insync', checks: 0 });
    expect(dns.insyncAt).toEqual(expect.any(String));
  });

  it('promotes an RDS cross-region read replica and points the record at it', async () => {
    // Prepare
    lagMetrics(() => 4); // ReplicaLag is in seconds
    rdsReplicaWorld();
    route53World({ initial: 'feature-store.abc123.us-west-2.rds.amazonaws.com' });

    // Act
    const run = await execute(runInput({ plan: 'feature-store' }));

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited).toEqual(HAPPY_PATH);
    expect(rds).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 1);
    expect(rds).toHaveReceivedCommandWith(PromoteReadReplicaCommand, { DBInstanceIdentifier: FEATURES.replica });
    expect(route53).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      HostedZoneId: 'Z0FEATURESTORE0001',
    });
  });
});
