/**
 * Readiness of a self-managed PostgreSQL plan in each of its two stacks: the pair observed first, as Prepare would
 * observe it in that stack (core/readiness/stack-side.ts), then the plan that stack would run, or a report that the
 * other stack protects the pair now.
 */
import { describe, expect, it } from 'vitest';
import type { NodeView, PlanSide } from '#core/direction.js';
import type { Plan } from '#core/plan.js';
import type { Notifier, PairObserver, ReadinessProbes } from '#core/ports.js';
import type { ReadinessReport } from '#core/readiness/model.js';
import { runReadiness } from '#core/readiness/run.js';
import { planForStack } from '#core/readiness/stack-side.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { P, pairPlan, S } from '../fixtures/pair-plan.js';

const NOW = new Date('2026-12-08T01:00:00Z');
const now = () => NOW;

const plan: Plan = pairPlan('ledger');

const writer = (host: string): NodeView => ({ host, reachable: true, inRecovery: false });
const follower = (host: string, upstreamHost: string): NodeView => ({
  host,
  reachable: true,
  inRecovery: true,
  upstreamHost,
});
const asWritten: Record<PlanSide, NodeView> = { primary: writer(P), standby: follower(S, P) };
const rebuilt: Record<PlanSide, NodeView> = { primary: follower(P, S), standby: writer(S) };
const pairShowing = (views: Record<PlanSide, NodeView>) => async (): Promise<PairObserver> => ({
  observe: async () => views,
});

describe('planForStack', () => {
  it.each([
    ['the standby region, the pair as written', 'eu-west-1', asWritten, 'eu-west-1'],
    ['the primary region, the pair rebuilt the other way round', 'us-east-1', rebuilt, 'us-east-1'],
  ] as const)('checks the plan the stack of %s would run', async (_what, region, views, standbyRegion) => {
    // Act
    const side = await planForStack(plan, { region, pair: pairShowing(views) }, now);

    // Assess
    if (!('plan' in side)) throw new Error(JSON.stringify(side.report));
    expect(side.plan.regions.standby).toBe(standbyRegion);
  });

  it.each([
    ['the standby region, the pair rebuilt the other way round', 'eu-west-1', rebuilt, 'us-east-1'],
    ['the primary region, the pair as written', 'us-east-1', asWritten, 'eu-west-1'],
  ] as const)('says (OK) the other stack protects the pair, from %s', async (_what, region, views, there) => {
    // Act
    const side = await planForStack(plan, { region, pair: pairShowing(views) }, now);

    // Assess
    if (!('report' in side)) throw new Error('expected a report');
    expect(side.report).toMatchObject({ plan: 'ledger', status: 'OK', counts: { OK: 1, WARN: 0, CRITICAL: 0 } });
    expect(side.report.checks).toHaveLength(1);
    expect(side.report.checks[0]).toMatchObject({ check: 'standby', status: 'OK', details: { standbyRegion: there } });
    expect(side.report.checks[0]?.summary).toContain(
      `is for the stack in ${there} to fail over, not this one (${region})`,
    );
  });

  it('WARNs from the primary region when neither node answered: it cannot tell whose the pair is', async () => {
    // Act
    const dark = { primary: { host: P, reachable: false }, standby: { host: S, reachable: false } };
    const side = await planForStack(plan, { region: 'us-east-1', pair: pairShowing(dark) }, now);

    // Assess
    if (!('report' in side)) throw new Error('expected a report');
    expect(side.report.status).toBe('WARN');
    expect(side.report.checks[0]?.summary).toMatch(/^neither node of the pair answered .*cannot tell/);
  });

  it('is CRITICAL with what it saw when the pair has two writers', async () => {
    // Act
    const side = await planForStack(
      plan,
      { region: 'eu-west-1', pair: pairShowing({ primary: writer(P), standby: writer(S) }) },
      now,
    );

    // Assess
    if (!('report' in side)) throw new Error('expected a report');
    expect(side.report.status).toBe('CRITICAL');
    expect(side.report.checks[0]?.summary).toMatch(/two writers \(split brain\)/);
  });

  it('checks the plan as written with no stack region (the CLI) or no pair to observe (RDS, Aurora)', async () => {
    // Prepare
    const orders = loadPlanFile('plans/orders.yml');
    let observed = 0;
    const counting = async (): Promise<PairObserver> => {
      observed += 1;
      return { observe: async () => rebuilt };
    };

    // Act
    const cli = await planForStack(plan, { pair: counting }, now);
    const aurora = await planForStack(orders, { region: 'eu-west-1', pair: async () => undefined }, now);

    // Assess
    expect(cli).toEqual({ plan });
    expect(aurora).toEqual({ plan: orders });
    expect(observed).toBe(0);
  });
});

describe('runReadiness with the stack side', () => {
  it('publishes and records the report that the other stack protects the pair, reading no probe', async () => {
    // Prepare
    const published: unknown[] = [];
    const recorded: ReadinessReport[] = [];
    const notifier: Notifier = { publish: async (e) => void published.push(e) };

    // Act
    const report = await runReadiness(
      { kind: 'readiness', plan: 'ledger' },
      {
        plans: () => new Map([[plan.name, plan]]),
        now,
        stack: () => ({ stage: 'dev', stateMachineArn: 'arn', triggerFunctionArn: 'arn', functionNames: [] }),
        probes: async (): Promise<ReadinessProbes> => {
          throw new Error('no probe: the other stack protects the pair');
        },
        notifier: async () => notifier,
        metrics: { record: (r) => void recorded.push(r) },
        side: { region: 'us-east-1', pair: pairShowing(asWritten) },
      },
    );

    // Assess
    expect(report.status).toBe('OK');
    expect(recorded).toEqual([report]);
    expect(published).toMatchObject([{ type: 'Readiness Report', plan: 'ledger', detail: { status: 'OK' } }]);
  });
});
