import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  InvalidDBClusterStateFault,
  PromoteReadReplicaCommand,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand, InvalidChangeBatch, PriorRequestNotComplete } from '@aws-sdk/client-route-53';
import { PublishCommand } from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlanInput } from '#core/plan.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import * as prepare from '../../functions/prepare.js';
import {
  ALL_MOCKS,
  auroraWorld,
  cloudwatch,
  eventBridge,
  execute,
  lagMetrics,
  mutatingCommandsSent,
  notifyWorld,
  preparing,
  publishedTypes,
  rds,
  rdsReplicaWorld,
  route53,
  route53World,
  runInput,
  sns,
  upsertVariant,
} from './support.js';

const orders = loadPlanFile('plans/orders.yml');

/** Prepare bound to a catalogue holding one variant of the orders plan (the real handler, other plans). */
const withPlan = (changes: (p: PlanInput) => PlanInput) => preparing(upsertVariant('plans/orders.yml', changes));

describe('failover state machine outcomes', () => {
  beforeEach(() => {
    notifyWorld();
  });
  afterEach(() => {
    for (const m of ALL_MOCKS) m.reset();
  });

  it('aborts without promoting when lag stays over the RPO and the plan says abort', async () => {
    // Prepare
    lagMetrics(() => 120_000); // 120 s > 30 s
    auroraWorld();
    route53World();

    // Act
    const run = await execute(runInput());

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ReplicationLagExceededError');
    expect(run.visited.filter((s) => s === 'CheckLag')).toHaveLength(orders.rpo.maxLagChecks);
    expect(run.visited.slice(-3)).toEqual(['LagExceeded', 'NotifyAborted', 'Aborted']);
    expect(mutatingCommandsSent()).toEqual([]);
    expect(publishedTypes()).toEqual(['Failover Started', 'Failover Aborted']);
  });

  it('treats missing datapoints as unknown lag, never zero: the run aborts', async () => {
    // Prepare
    lagMetrics(() => undefined);
    auroraWorld();

    // Act
    const run = await execute(runInput());

    // Assess
    expect(run.error).toBe('ReplicationLagExceededError');
    expect(run.cause).toMatch(/unknown/);
    expect(mutatingCommandsSent()).toEqual([]);
  });

  it('recovers when lag comes back within the RPO before the checks run out', async () => {
    // Prepare
    let reads = 0;
    cloudwatch.on(GetMetricDataCommand).callsFake((input) => {
      reads += 1;
      const value = reads < 3 ? 90_000 : 1_000;
      return {
        MetricDataResults: input.MetricDataQueries.map((q: { Id: string }) => ({
          Id: q.Id,
          Timestamps: [new Date()],
          Values: [value],
          StatusCode: 'Complete',
        })),
      };
    });
    auroraWorld();
    route53World();

    // Act
    const run = await execute(runInput());

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited.filter((s) => s === 'WaitForLag')).toHaveLength(2);
  });

  it('proceeds past an exceeded RPO when the plan says proceed, and records the lag it accepted', async () => {
    // Prepare
    lagMetrics(() => 120_000);
    auroraWorld();
    route53World();
    const handlers = withPlan((p) => ({ ...p, rpo: { ...p.rpo, onExceeded: 'proceed', maxLagChecks: 2 } }));

    // Act
    const run = await execute(runInput(), { handlers });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited).toContain('OnLagExceeded');
    expect(rds).toHaveReceivedCommandTimes(FailoverGlobalClusterCommand, 1);
    const output = run.output as { lag: { decision: string; reading: { seconds: number } } };
    expect(output.lag.decision).toBe('exceeded');
    expect(output.lag.reading.seconds).toBe(120);
  });

  it.each([
    ['reads the lag once and goes on when nothing more can reach the replica (replication broken)', true, 1],
    ['waits out its checks while the replica may still catch up (lag over the RPO, replicating)', false, 3],
  ])('under onExceeded proceed, %s', async (_what, replicationBroken, checks) => {
    // Prepare: feature-store's RPO is 60 s, four checks; here it proceeds past it.
    lagMetrics(() => 120);
    rdsReplicaWorld({ replicationBroken });
    route53World({ initial: 'feature-store.abc123.us-west-2.rds.amazonaws.com' });
    const plan = upsertVariant('plans/feature-store.yml', (p) => ({ ...p, rpo: { ...p.rpo, onExceeded: 'proceed' } }));
    const handlers = preparing(plan);

    // Act
    const run = await execute(runInput({ plan: 'feature-store' }), { handlers });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited.filter((s) => s === 'CheckLag')).toHaveLength(replicationBroken ? 1 : plan.rpo.maxLagChecks);
    expect(run.visited.filter((s) => s === 'WaitForLag')).toHaveLength(replicationBroken ? 0 : checks);
    expect(rds).toHaveReceivedCommandTimes(PromoteReadReplicaCommand, 1);
    const lag = (run.output as { lag: { decision: string; reason: string } }).lag;
    expect(lag.decision).toBe('exceeded');
    expect(lag.reason.includes('does not wait to read again')).toBe(replicationBroken);
  });

  it('pauses for approval when lag is exceeded and the plan says wait-for-approval, then fails over once approved', async () => {
    // Prepare
    lagMetrics(() => 120_000);
    auroraWorld();
    route53World();
    const handlers = withPlan((p) => ({ ...p, rpo: { ...p.rpo, onExceeded: 'wait-for-approval', maxLagChecks: 1 } }));
    const requests: string[] = [];

    // Act
    const run = await execute(runInput(), {
      handlers,
      approver: async ({ state, taskToken }) => {
        requests.push(`${state}:${taskToken.length > 0}`);
        return { approved: true, by: 'oncall:ana' };
      },
    });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(requests).toEqual(['ApproveLagExceeded:true']);
    expect(publishedTypes()).toEqual(['Failover Started', 'Approval Required', 'Failover Succeeded']);
    const approval = eventBridge.commandCalls(PutEventsCommand)[1]?.args[0].input.Entries?.[0]?.Detail ?? '';
    expect(JSON.parse(approval).detail.approve).toMatch(/dr-failover approve/);
    expect((run.output as { approval: { by: string } }).approval.by).toBe('oncall:ana');
  });

  it('aborts, notified, without promoting when the approver denies', async () => {
    // Prepare
    lagMetrics(() => 120_000);
    auroraWorld();
    const handlers = withPlan((p) => ({ ...p, rpo: { ...p.rpo, onExceeded: 'wait-for-approval', maxLagChecks: 1 } }));

    // Act
    const run = await execute(runInput(), {
      handlers,
      approver: async () => {
        const denied = new Error('primary is recovering, stay put');
        denied.name = 'ApprovalDeniedError';
        throw denied;
      },
    });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ApprovalDeniedError');
    expect(run.visited.slice(-2)).toEqual(['NotifyAborted', 'Aborted']);
    expect(mutatingCommandsSent()).toEqual([]);
  });

  it('asks a person first when an alarm starts a run of a plan that is not automatic', async () => {
    // Prepare
    lagMetrics(() => 1_000);
    auroraWorld();
    route53World();
    const handlers = withPlan((p) => ({ ...p, trigger: { ...p.trigger, automatic: false } }));

    // Act
    const run = await execute(
      runInput({
        trigger: {
          kind: 'alarm',
          source: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-db-primary-unhealthy',
        },
      }),
      { handlers, approver: async () => ({ approved: true, by: 'oncall:bo' }) },
    );

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited.slice(0, 6)).toEqual([
      'Prepare',
      'ApprovalRequired?',
      'ApproveFailover',
      'Approved?',
      'NotifyStarted',
      'RebuildNeeded?',
    ]);
    expect(publishedTypes()[0]).toBe('Approval Required');
  });

  it('retries a throttled and a busy promotion, then succeeds with exactly one accepted failover call', async () => {
    // Prepare
    lagMetrics(() => 1_000);
    auroraWorld();
    route53World();
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });
    const busy = new InvalidDBClusterStateFault({ $metadata: {}, message: 'cluster is being modified' });
    // After the accepted call, the target is the writer.
    let accepted = false;
    rds.on(FailoverGlobalClusterCommand).callsFake(() => {
      const calls = rds.commandCalls(FailoverGlobalClusterCommand).length;
      if (calls === 1) throw throttled;
      if (calls === 2) throw busy;
      accepted = true;
      return {};
    });
    rds.on(DescribeGlobalClustersCommand).callsFake(() => ({
      GlobalClusters: [
        {
          GlobalClusterIdentifier: 'orders-global',
          Status: 'available',
          GlobalClusterMembers: [
            { DBClusterArn: 'arn:aws:rds:us-east-1:111122223333:cluster:orders-us', IsWriter: !accepted },
            { DBClusterArn: 'arn:aws:rds:eu-west-1:111122223333:cluster:orders-eu', IsWriter: accepted },
          ],
        },
      ],
    }));

    // Act
    const run = await execute(runInput());

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(rds).toHaveReceivedCommandTimes(FailoverGlobalClusterCommand, 3);
    const retried = run.events
      .filter((e) => e.type === 'StateRetried')
      .map((e) => (e as { state: { name: string } }).state.name);
    expect(retried).toEqual(['Promote', 'Promote']);
  });

  it('ends PromotionTimedOutError, notified, when the standby never becomes writable', async () => {
    // Prepare
    lagMetrics(() => 1_000);
    auroraWorld({ checksUntilWritable: Number.POSITIVE_INFINITY });
    route53World();

    // Act
    const run = await execute(runInput());

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('PromotionTimedOutError');
    expect(run.visited.filter((s) => s === 'PromotionStatus')).toHaveLength(orders.promotion.maxStatusChecks);
    expect(route53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
    expect(publishedTypes()).toEqual(['Failover Started', 'Failover Failed']);
    const failed = JSON.parse(
      eventBridge.commandCalls(PutEventsCommand)[1]?.args[0].input.Entries?.[0]?.Detail ?? '{}',
    );
    expect(failed.detail.nextSteps).toMatch(/DNS still points at the old primary/);
  });

  it('ends DnsChangeFailedError with no retry when Route 53 refuses the change, and says the standby is promoted', async () => {
    // Prepare
    lagMetrics(() => 1_000);
    auroraWorld();
    route53World();
    route53
      .on(ChangeResourceRecordSetsCommand)
      .rejects(new InvalidChangeBatch({ $metadata: {}, message: 'bad record' }));

    // Act
    const run = await execute(runInput());

    // Assess
    expect(run.error).toBe('DnsChangeFailedError');
    expect(route53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    expect(run.visited.slice(-3)).toEqual(['UpdateDns', 'NotifyFailed', 'Failed']);
    const failed = JSON.parse(
      eventBridge.commandCalls(PutEventsCommand).at(-1)?.args[0].input.Entries?.[0]?.Detail ?? '{}',
    );
    expect(failed.detail.promoted).toBe(true);
    expect(failed.detail.nextSteps).toMatch(/IS promoted/);
  });

  it('retries Route 53 PriorRequestNotComplete, then switches the record once and verifies it', async () => {
    // Prepare
    lagMetrics(() => 1_000);
    auroraWorld();
    const prior = new PriorRequestNotComplete({ $metadata: {}, message: 'previous change pending' });
    route53World({ pendingChecks: 2, failFirstChanges: [prior, prior] });

    // Act
    const run = await execute(runInput());

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(route53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 3);
    const retried = run.events
      .filter((e) => e.type === 'StateRetried')
      .map((e) => (e as { state: { name: string } }).state.name);
    expect(retried).toEqual(['UpdateDns', 'UpdateDns']);
    expect(run.visited.filter((s) => s === 'DnsStatus')).toHaveLength(3);
  });

  it('never fails a failover because notifications fail: the run succeeds and records the notify error', async () => {
    // Prepare
    lagMetrics(() => 1_000);
    auroraWorld();
    route53World();
    eventBridge.on(PutEventsCommand).rejects(
      Object.assign(new Error('bus down'), {
        name: 'InternalFailure',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      }),
    );
    sns.on(PublishCommand).rejects(
      Object.assign(new Error('topic down'), {
        name: 'InternalError',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      }),
    );

    // Act
    const run = await execute(runInput());

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(rds).toHaveReceivedCommandTimes(FailoverGlobalClusterCommand, 1);
    // Retried (1 + 3 attempts) for each of NotifyStarted and NotifySucceeded, then let go.
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 8);
    expect((run.output as { notifyError?: { Error: string } }).notifyError?.Error).toBe('ServiceUnavailableError');
  });

  it('dry run reads everything for real and sends no mutating command', async () => {
    // Prepare
    lagMetrics(() => 1_000);
    auroraWorld();
    route53World();

    // Act
    const run = await execute(runInput({ dryRun: true }));

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(mutatingCommandsSent()).toEqual([]);
    expect(rds).not.toHaveReceivedCommand(SwitchoverGlobalClusterCommand);
    expect(cloudwatch).toHaveReceivedCommand(GetMetricDataCommand);
    expect(rds).toHaveReceivedCommand(DescribeGlobalClustersCommand);
    const output = run.output as { timeline: { step: string; outcome: string }[] };
    expect(output.timeline.find((t) => t.step === 'Promote')?.outcome).toMatch(/^dry run: would promote/);
    expect(output.timeline.find((t) => t.step === 'UpdateDns')?.outcome).toMatch(
      /would UPSERT db.orders.example.internal/,
    );
  });

  it('refuses invalid input in Prepare: InvalidInputError, the failure notified, nothing else run', async () => {
    // Prepare
    lagMetrics(() => 1_000);
    rdsReplicaWorld();

    // Act
    const run = await execute(runInput({ mode: 'sideways' }));

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InvalidInputError');
    expect(run.cause).toMatch(/mode/);
    expect(run.visited).toEqual(['Prepare', 'NotifyFailed', 'Failed']);
    expect(cloudwatch).not.toHaveReceivedCommand(GetMetricDataCommand);
    expect(rds).not.toHaveReceivedCommand(PromoteReadReplicaCommand);
    expect(publishedTypes()).toEqual(['Failover Failed']);
  });

  it("refuses, in Prepare, a plan whose standby region is not the stack's region", async () => {
    // Prepare
    const plan = loadPlanFile('plans/feature-store.yml'); // standby us-east-2
    const handlers = {
      prepare: prepare.createHandler({
        now: () => new Date(),
        plans: () => new Map([[plan.name, plan]]),
        region: 'eu-west-1',
      }),
    };

    // Act
    const run = await execute(runInput({ plan: 'feature-store' }), { handlers });

    // Assess
    expect(run.error).toBe('InvalidInputError');
    expect(run.cause).toMatch(/fails over to us-east-2/);
    expect(run.visited).toEqual(['Prepare', 'NotifyFailed', 'Failed']);
  });
});
