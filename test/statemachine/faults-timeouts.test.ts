/**
 * The two ways a run can stall after it changed something: a promotion that never completes and a DNS change
 * that never reaches INSYNC. Each ends with its own error, notified with the state the world was left in and
 * what on-call must do next, on the bus and in the message people read.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { FailoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { PublishCommand } from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ALL_MOCKS,
  auroraWorld,
  eventBridge,
  execute,
  lagMetrics,
  notifyWorld,
  ORDERS,
  preparing,
  rds,
  route53,
  route53World,
  runInput,
  sns,
  upsertVariant,
} from './support.js';

const OLD_PRIMARY = 'orders-us.cluster-abc123.us-east-1.rds.amazonaws.com';
const CHANGE_ID = '/change/C0123456789';

/** The orders plan with few status checks, so the run gives up quickly. */
const ordersWithFewChecks = () =>
  preparing(
    upsertVariant('plans/orders.yml', (p) => ({
      ...p,
      promotion: { ...p.promotion, maxStatusChecks: 3 },
      dnsSync: { ...p.dnsSync, maxStatusChecks: 3 },
    })),
  );

interface FailedDetail {
  error: string;
  promoted: boolean;
  dnsSwitched: boolean;
  stateOfTheWorld: string[];
  nextSteps: string;
}

/** The Failover Failed notification: the EventBridge detail and the SNS message. */
const failedNotification = () => {
  const entry = eventBridge
    .commandCalls(PutEventsCommand)
    .map((c) => c.args[0].input.Entries?.[0])
    .find((e) => e?.DetailType === 'Failover Failed');
  const message = sns
    .commandCalls(PublishCommand)
    .map((c) => c.args[0].input)
    .find((m) => m.MessageAttributes?.type?.StringValue === 'Failover Failed')?.Message;
  return { detail: (JSON.parse(entry?.Detail ?? '{}') as { detail: FailedDetail }).detail, message: message ?? '' };
};

describe('runs that stall after changing something', () => {
  beforeEach(() => {
    notifyWorld();
    lagMetrics(() => 1_000);
  });
  afterEach(() => {
    for (const m of ALL_MOCKS) m.reset();
  });

  it('ends PromotionTimedOutError and tells on-call the promotion is requested, not done, and DNS is unchanged', async () => {
    // Prepare
    auroraWorld({ checksUntilWritable: Number.POSITIVE_INFINITY });
    route53World({ initial: OLD_PRIMARY });

    // Act
    const run = await execute(runInput(), { handlers: ordersWithFewChecks(), validate: false });

    // Assess
    expect(run.error).toBe('PromotionTimedOutError');
    expect(run.visited.filter((s) => s === 'PromotionStatus')).toHaveLength(3);
    expect(rds).toHaveReceivedCommandTimes(FailoverGlobalClusterCommand, 1);
    expect(route53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
    const { detail, message } = failedNotification();
    expect(detail).toMatchObject({ error: 'PromotionTimedOutError', promoted: false, dnsSwitched: false });
    const world = detail.stateOfTheWorld.join('\n');
    expect(world).toMatch(/promotion of the standby in eu-west-1 was requested/i);
    expect(world).toMatch(/not writable/);
    expect(world).toContain(ORDERS.target);
    expect(world).toMatch(/db\.orders\.example\.internal still points at the old primary/);
    expect(detail.nextSteps).toMatch(/DNS still points at the old primary/);
    expect(detail.nextSteps).toMatch(/re-run/);
    expect(detail.nextSteps).toContain('aws rds describe-global-clusters --global-cluster-identifier orders-global');
    expect(message).toContain('State of the world:');
    expect(message).toMatch(/promotion of the standby in eu-west-1 was requested/);
    expect(message).toContain('Next steps:');
    expect(message).toContain('aws rds describe-global-clusters --global-cluster-identifier orders-global');
  });

  it('ends ServiceUnavailableError when Route 53 stays down past the retries, and says to point the record by hand', async () => {
    // Prepare: Route 53's control plane lives in us-east-1, the orders plan's failing region.
    auroraWorld();
    route53World({ initial: OLD_PRIMARY });
    route53.on(ChangeResourceRecordSetsCommand).rejects(
      Object.assign(new Error('Service Unavailable'), {
        name: 'ServiceUnavailable',
        $fault: 'server',
        $metadata: { httpStatusCode: 503 },
      }),
    );

    // Act
    const run = await execute(runInput(), { handlers: ordersWithFewChecks(), validate: false });

    // Assess
    expect(run.error).toBe('ServiceUnavailableError');
    expect(run.visited.slice(-3)).toEqual(['UpdateDns', 'NotifyFailed', 'Failed']);
    // The first attempt and the five retries of the transient Retry.
    expect(route53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 6);
    const { detail, message } = failedNotification();
    expect(detail).toMatchObject({ error: 'ServiceUnavailableError', promoted: true, dnsSwitched: false });
    expect(detail.stateOfTheWorld.join('\n')).toMatch(/IS promoted and writable[\s\S]*DNS: not changed by this run/);
    expect(detail.nextSteps).toMatch(/Point the record at the new writer by hand/);
    expect(message).toContain('State of the world:');
  });

  it('ends DnsSyncTimedOutError and tells on-call the standby is promoted, which change is pending and how to check it', async () => {
    // Prepare
    auroraWorld();
    route53World({ initial: OLD_PRIMARY, pendingChecks: Number.POSITIVE_INFINITY });

    // Act
    const run = await execute(runInput(), { handlers: ordersWithFewChecks(), validate: false });

    // Assess
    expect(run.error).toBe('DnsSyncTimedOutError');
    expect(run.visited.filter((s) => s === 'DnsStatus')).toHaveLength(3);
    expect(route53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    const { detail, message } = failedNotification();
    expect(detail).toMatchObject({ error: 'DnsSyncTimedOutError', promoted: true, dnsSwitched: false });
    const world = detail.stateOfTheWorld.join('\n');
    expect(world).toMatch(/standby in eu-west-1 IS promoted and writable/);
    expect(world).toContain(`db.orders.example.internal → ${ORDERS.endpoint}`);
    expect(world).toContain(CHANGE_ID);
    expect(world).toMatch(/not in sync/);
    expect(world).toContain(`answered ${OLD_PRIMARY} before the change`);
    expect(detail.nextSteps).toMatch(/IS promoted/);
    expect(detail.nextSteps).toContain(`aws route53 get-change --id ${CHANGE_ID}`);
    expect(detail.nextSteps).toContain(
      'aws route53 test-dns-answer --hosted-zone-id Z0123456789ABCDEFGHIJ --record-name db.orders.example.internal --record-type CNAME',
    );
    expect(detail.nextSteps).toMatch(/TTL \(30 s\)/);
    expect(message).toContain('State of the world:');
    expect(message).toContain(CHANGE_ID);
    expect(message).toContain(`aws route53 get-change --id ${CHANGE_ID}`);
  });
});
