import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Plan, parsePlan } from '#core/plan.js';
import { loadPlanCatalog, loadPlanFile } from '#functions/lib/plan-catalog.js';
import {
  AWS_ASSUMPTIONS,
  deployedEstimates,
  estimateDeployedRto,
  estimateLines,
  type MeasuredFigures,
  measuredFigures,
} from '#lab/drill/estimate.js';
import type { DrillReport } from '#lab/drill/types.js';

const MEASURED: MeasuredFigures = {
  coldStartMs: { trigger: 260, prepare: 250 },
  warmStepMs: 20,
  postgresPromoteMs: 130,
};

const orders = () => loadPlanFile('plans/orders.yml');
/** The orders plan as it was before routing controls: the record UPSERT through Route 53. */
const ordersUpsert = () => withChanges(orders(), { traffic: { kind: 'upsert' } });
const featureStore = () => loadPlanFile('plans/feature-store.yml');

/** A shipped plan with some fields replaced, validated again as a plan file would be. */
const withChanges = (plan: Plan, changes: Record<string, unknown>): Plan =>
  parsePlan({ ...JSON.parse(JSON.stringify(plan)), ...changes }, 'test plan');

describe('estimateDeployedRto', () => {
  it('adds the trigger cold start, the warm steps, the Aurora failover and Route 53 propagation as the plan polls them', () => {
    // Act
    const estimate = estimateDeployedRto(ordersUpsert(), MEASURED);

    // Assess: 60 s failover seen at a 10 s check (6 checks), 60 s INSYNC seen at a 5 s check (12 checks).
    expect(estimate.start).toBe('alarm');
    expect(estimate.parts.map((p) => [p.what, p.ms, p.source])).toEqual([
      ['trigger cold start', 260, 'measured'],
      ['25 warm steps', 500, 'measured'],
      ['promotion', 60_000, 'assumed'],
      ['DNS change in sync', 60_000, 'assumed'],
    ]);
    expect(estimate.switchedMs).toBe(260 + 500 + 120_000);
    expect(estimate.clientsMs).toBe(estimate.switchedMs + 30_000);
    expect(estimate.meetsTarget).toBe(true);
    expect(estimate.assumptions).toEqual([AWS_ASSUMPTIONS.auroraGlobalFailover, AWS_ASSUMPTIONS.route53Propagation]);
    expect(estimate.warnings).toEqual([]);
  });

  it('starts a manual plan at Prepare, names the on-call decision as excluded, and rounds waits up to whole checks', () => {
    // Prepare: a 7 s promotion check interval does not divide the 300 s RDS promotion.
    const plan = withChanges(featureStore(), { promotion: { maxStatusChecks: 90, statusCheckIntervalSeconds: 7 } });

    // Act
    const estimate = estimateDeployedRto(plan, MEASURED);

    // Assess: ceil(300 / 7) = 43 checks = 301 s.
    expect(estimate.start).toBe('manual');
    expect(estimate.parts[0]).toMatchObject({ what: 'Prepare cold start', ms: 250 });
    expect(estimate.parts[2]).toMatchObject({ what: 'promotion', ms: 301_000 });
    expect(estimate.excluded.join('\n')).toMatch(/on-call engineer’s decision/);
    expect(estimate.clientsMs).toBe(estimate.switchedMs + 60_000);
  });

  it('warns when the plan stops checking before the time AWS documents, and says the target is missed', () => {
    // Prepare: 10 × 10 s of promotion checks against RDS's 300 s; 5 × 5 s of DNS checks against 60 s.
    const plan = withChanges(featureStore(), {
      promotion: { maxStatusChecks: 10, statusCheckIntervalSeconds: 10 },
      dnsSync: { maxStatusChecks: 5, statusCheckIntervalSeconds: 5 },
      rto: { targetSeconds: 120 },
    });

    // Act
    const estimate = estimateDeployedRto(plan, MEASURED);

    // Assess
    expect(estimate.warnings).toEqual([
      expect.stringMatching(/^promotion: the plan stops checking after 100 s, before the 300 s/),
      expect.stringMatching(/^DNS: the plan stops checking after 25 s, before the 60 s/),
    ]);
    expect(estimate.meetsTarget).toBe(false);
  });

  it('uses the measured promotion and no DNS wait for a PostgreSQL plan on a DNS server that answers INSYNC', () => {
    // Prepare
    const plan = withChanges(ordersUpsert(), {
      database: {
        kind: 'postgres',
        primary: { host: '10.0.1.10', database: 'app', credentials: { env: 'PG_PRIMARY' } },
        standby: { host: '10.1.1.10', database: 'app', credentials: { env: 'PG_STANDBY' } },
      },
      dns: {
        kind: 'local',
        controlEndpoint: '127.0.0.1:5380',
        nameserver: '127.0.0.1:5353',
        recordName: 'db.drill.local.test',
        recordType: 'A',
        ttl: 1,
      },
    });

    // Act
    const estimate = estimateDeployedRto(plan, MEASURED);

    // Assess: no PromotionStatus (Promote confirmed writability), no DnsStatus: the 7 steps after the trigger.
    expect(estimate.parts.map((p) => [p.what, p.ms])).toEqual([
      ['trigger cold start', 260],
      ['7 warm steps', 140],
      ['promotion', 130],
      ['DNS change in sync', 0],
    ]);
    expect(estimate.assumptions).toEqual([]);
  });
});

/** A drill report with only what the estimate reads: its timeline and its pg_promote call. */
const drillWith = (steps: [string, number, number?][], promoteMs: number): DrillReport => {
  let at = Date.parse('2026-12-07T10:00:00.000Z');
  const timeline = steps.map(([step, ms, attempts]) => {
    const entry = {
      step,
      startedAt: new Date(at).toISOString(),
      endedAt: new Date(at + ms).toISOString(),
      outcome: '',
      ...(attempts ? { attempts } : {}),
    };
    at += ms;
    return entry;
  });
  return { execution: { timeline }, calls: { promoteMs } } as unknown as DrillReport;
};

const COLD = {
  functions: [
    { function: 'trigger', readyMs: 259 },
    { function: 'prepare', readyMs: 246 },
  ],
};

describe('estimateDeployedRto with traffic on the data plane', () => {
  it('confirms routing controls at once, with no DNS wait, and names the health check delay AWS does not give', () => {
    // Act
    const estimate = estimateDeployedRto(orders(), MEASURED);

    // Assess: the shipped orders plan moves traffic with routing controls.
    expect(estimate.parts.map((p) => [p.what, p.ms])).toEqual([
      ['trigger cold start', 260],
      ['14 warm steps', 280],
      ['promotion', 60_000],
      ['traffic switch confirmed', 0],
    ]);
    expect(estimate.assumptions).toEqual([AWS_ASSUMPTIONS.auroraGlobalFailover]);
    expect(estimate.excluded.join('\n')).toMatch(/health check of the routing control/);
  });
});

describe('measuredFigures', () => {
  it('takes the median one-attempt step, leaving out Promote and polling loops, and the median pg_promote call', () => {
    // Prepare
    const drills = [
      drillWith(
        [
          ['Prepare', 10],
          ['CheckLag', 30],
          ['Promote', 900],
          ['PromotionStatus', 5000, 3],
        ],
        120,
      ),
      drillWith(
        [
          ['Prepare', 20],
          ['Verify', 40],
        ],
        140,
      ),
    ];

    // Act
    const measured = measuredFigures(drills, COLD);

    // Assess: steps 10, 30, 20, 40 → 25; promote calls 120, 140 → 130.
    expect(measured).toEqual({ coldStartMs: { trigger: 259, prepare: 246 }, warmStepMs: 25, postgresPromoteMs: 130 });
  });

  it('names what is missing instead of estimating from figures nobody measured', () => {
    // Act / Assess
    expect(measuredFigures([drillWith([['Prepare', 10]], 120)], undefined)).toEqual({
      missing: 'bench/cold.json (npm run bench:cold)',
    });
    expect(measuredFigures([], COLD)).toEqual({ missing: 'a succeeded drill of the state machine' });
  });
});

describe('deployedEstimates', () => {
  it('estimates every shipped plan from a bench:cold result and the drills, and prints a line per plan', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'estimate-'));
    const coldFile = join(dir, 'cold.json');
    writeFileSync(coldFile, JSON.stringify(COLD));

    // Act
    const estimates = deployedEstimates([drillWith([['Prepare', 20]], 120)], coldFile, 'plans');
    const missing = deployedEstimates([], join(dir, 'absent.json'), 'plans');

    // Assess
    if ('missing' in estimates) throw new Error(`not estimated: ${estimates.missing}`);
    const shipped = [...loadPlanCatalog('plans').keys()];
    expect(estimates.plans.map((e) => e.plan)).toEqual(shipped);
    expect(shipped).toContain('orders');
    const lines = estimateLines(estimates);
    expect(lines.filter((l) => l.startsWith('  deployed RTO estimate, '))).toHaveLength(shipped.length);
    expect(estimateLines(missing)).toEqual([
      '  deployed RTO estimate: not made, missing bench/cold.json (npm run bench:cold)',
    ]);
  });
});
