import { describe, expect, it } from 'vitest';
import { parseExecutionInput } from '#core/input.js';
import { describeWorld, nextStepsFor } from '#core/next-steps.js';
import type { FailoverState } from '#core/state.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const orders = loadPlanFile('plans/orders.yml');
const featureStore = loadPlanFile('plans/feature-store.yml');
const input = (dryRun = false) =>
  parseExecutionInput({
    plan: 'orders',
    mode: 'unplanned',
    dryRun,
    reason: 'primary unreachable',
    requestedBy: 'oncall:ana',
    incidentStartedAt: '2026-11-25T03:15:00Z',
  });

describe('describeWorld', () => {
  it('says nothing was promoted and DNS is unchanged when a run fails before Promote', () => {
    // Prepare
    const state: Partial<FailoverState> = { input: input(), plan: orders };

    // Act
    const lines = describeWorld(state, orders);

    // Assess
    expect(lines).toEqual([
      'Database: nothing was promoted; the primary in us-east-1 is the writer as far as this run knows.',
      'DNS: not changed by this run: db.orders.example.internal still points at the old primary.',
      'Old primary: not fenced by this run.',
    ]);
  });

  it('says a dry run changed nothing, whatever it read', () => {
    // Act
    const lines = describeWorld({ input: input(true), plan: orders }, orders);

    // Assess
    expect(lines).toEqual(['Dry run: nothing was changed.']);
  });

  it.each([
    [
      'not promoted',
      {},
      'Old primary: NOT fenced, still the writer: the switchover demotes it only as it promotes the standby, and the standby was not promoted.',
    ],
    [
      'promoted',
      { promotion: { state: 'writable' as const, detail: 'orders-eu is the writer and available', checks: 3 } },
      'Old primary: fenced (switchover).',
    ],
  ])('says whether a switchover fenced the old primary by whether the standby was %s', (_what, promotion, expected) => {
    // Prepare
    const state: Partial<FailoverState> = {
      input: input(),
      plan: orders,
      fence: { fenced: true, method: 'switchover', byPromotion: true, detail: 'the switchover demotes orders-us' },
      ...promotion,
    };

    // Act
    const lines = describeWorld(state, orders);

    // Assess
    expect(lines[2]).toBe(expected);
  });

  it('says the old primary is fenced and the record in sync once they are', () => {
    // Prepare
    const state: Partial<FailoverState> = {
      input: input(),
      plan: orders,
      fence: { fenced: true, method: 'read-only-parameter', detail: 'default_transaction_read_only = 1' },
      promote: { outcome: 'already-promoted', detail: 'orders-eu is already the writer', at: '2026-11-25T03:16:00Z' },
      dns: { recordName: 'db.orders.example.internal', target: 'writer.eu', ttl: 30, status: 'insync', checks: 2 },
    };

    // Act
    const lines = describeWorld(state, orders);

    // Assess
    expect(lines[0]).toMatch(/IS promoted and writable \(orders-eu is already the writer\)/);
    expect(lines[1]).toBe('DNS: db.orders.example.internal → writer.eu is in sync.');
    expect(lines[2]).toBe('Old primary: fenced (read-only-parameter).');
  });
});

describe('nextStepsFor a run that timed out after changing something', () => {
  it('names the read replica to watch when an RDS promotion times out', () => {
    // Act
    const steps = nextStepsFor('PromotionTimedOutError', { promoted: false, dnsSwitched: false, plan: featureStore });

    // Assess
    expect(steps).toContain(
      'aws rds describe-db-instances --db-instance-identifier feature-store-replica --region us-east-2',
    );
    expect(steps).toContain('point features-db.ml.example.internal at the new writer by hand');
    expect(steps).toContain('re-run the plan (a re-run finds the standby already the writer, passes the RPO guard');
  });

  it('falls back to the advice by name when the run carries no plan', () => {
    // Act
    const steps = nextStepsFor('DnsSyncTimedOutError', { promoted: true, dnsSwitched: false });

    // Assess
    expect(steps).toBe(nextStepsFor('DnsSyncTimedOutError'));
    expect(steps).toMatch(/IS promoted/);
  });
});

describe('nextStepsFor a data-plane plan whose traffic step failed after the promotion', () => {
  it('names the routing controls to flip by hand, never the failover records, when traffic was not moved', () => {
    // Act
    const steps = nextStepsFor('DnsChangeFailedError', { promoted: true, dnsSwitched: false, plan: orders });

    // Assess
    if (orders.traffic.kind !== 'routing-control') throw new Error('plans/orders.yml uses routing controls');
    expect(steps).toMatch(/^The standby IS promoted and writable, but traffic was not moved/);
    expect(steps).toContain(`set routing control ${orders.traffic.routingControls.standby} On`);
    expect(steps).toContain('do not edit the failover records');
    expect(steps).not.toMatch(/Update the record by hand/);
  });

  it('says the switch IS made and not to switch back when only Verify failed', () => {
    // Act
    const steps = nextStepsFor('DnsVerificationFailedError', { promoted: true, dnsSwitched: true, plan: orders });

    // Assess
    expect(steps).toMatch(/the traffic switch IS made/);
    expect(steps).toContain('do not switch traffic back');
    expect(steps).toContain('traffic.verify.resolvers');
  });

  it('keeps the record advice for a plan that moves traffic by UPSERT', () => {
    // Act
    const steps = nextStepsFor('DnsChangeFailedError', { promoted: true, dnsSwitched: false, plan: featureStore });

    // Assess
    expect(steps).toMatch(/DNS still points at the old primary/);
  });
});
