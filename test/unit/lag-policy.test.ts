import { describe, expect, it } from 'vitest';
import { decideLag } from '#core/lag-policy.js';
import { type Plan, type PlanInput, parsePlan } from '#core/plan.js';
import type { LagReading } from '#core/ports.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

/** orders: RPO 30 s, 6 checks, abort; no byte limit. */
const orders = loadPlanFile('plans/orders.yml');

const withRpo = (rpo: Partial<Plan['rpo']>): Plan => {
  const raw = JSON.parse(JSON.stringify(orders)) as PlanInput;
  return parsePlan({ ...raw, rpo: { ...raw.rpo, ...rpo } }, 'test');
};

const reading = (patch: Partial<LagReading> = {}): LagReading => ({
  status: 'known',
  seconds: 0.4,
  observedAt: '2026-11-25T03:17:00Z',
  source: 'cloudwatch:AuroraGlobalDBRPOLag',
  ...patch,
});

describe('decideLag', () => {
  it.each([
    ['no lag', 0],
    ['lag below the limit', 12.5],
    ['lag exactly at the limit', 30],
  ])('is within the RPO with %s', (_what, seconds) => {
    // Act
    const verdict = decideLag(orders, reading({ seconds }), 1, 'unplanned');

    // Assess
    expect(verdict).toEqual({ decision: 'within-rpo', reason: `lag ${seconds} s within RPO 30 s` });
  });

  it('passes a standby already promoted, on the last check and with a byte limit, saying it is the writer', () => {
    // Prepare
    const promoted = reading({
      seconds: 0,
      source: 'rds:DescribeGlobalClusters already-promoted',
      detail: 'orders-eu is already the writer of orders-global',
      alreadyPromoted: true,
    });

    // Act
    const verdict = decideLag(withRpo({ onExceeded: 'abort', maxLagBytes: 1024 }), promoted, 6, 'unplanned');

    // Assess
    expect(verdict).toEqual({
      decision: 'within-rpo',
      reason:
        'the standby is already the writer (orders-eu is already the writer of orders-global): nothing further can ' +
        'be lost by this run',
    });
  });

  it('never lets an unknown reading pass, even one marked promoted', () => {
    // Act
    const verdict = decideLag(
      orders,
      { status: 'unknown', observedAt: '2026-11-25T03:17:00Z', source: 'x', detail: 'no data', alreadyPromoted: true },
      6,
      'unplanned',
    );

    // Assess
    expect(verdict.decision).toBe('exceeded');
  });

  it('checks again while lag is above the limit and checks remain', () => {
    // Act
    const verdict = decideLag(orders, reading({ seconds: 31 }), 5, 'unplanned');

    // Assess
    expect(verdict).toEqual({
      decision: 'retry',
      reason: 'lag 31 s exceeds RPO 30 s; check 5 of 6, checking again',
    });
  });

  it("is exceeded on the last allowed check and names the plan's onExceeded", () => {
    // Act
    const verdict = decideLag(orders, reading({ seconds: 31 }), 6, 'unplanned');

    // Assess
    expect(verdict).toEqual({
      decision: 'exceeded',
      reason: 'lag 31 s exceeds RPO 30 s after 6 checks; plan says abort',
    });
  });

  it('is exceeded at once for a plan that allows one check', () => {
    // Prepare
    const plan = withRpo({ maxLagChecks: 1, onExceeded: 'wait-for-approval' });

    // Act
    const verdict = decideLag(plan, reading({ seconds: 120 }), 1, 'unplanned');

    // Assess
    expect(verdict.decision).toBe('exceeded');
    expect(verdict.reason).toContain('plan says wait-for-approval');
  });

  it('never reads an unknown lag as within the RPO, even when it carries zero', () => {
    // Prepare
    const unknown = reading({ status: 'unknown', seconds: 0, bytes: 0, detail: 'no datapoints in 5 minutes' });

    // Act
    const verdicts = [1, 2, 6].map((checks) => decideLag(orders, unknown, checks, 'unplanned'));

    // Assess
    expect(verdicts.map((v) => v.decision)).toEqual(['retry', 'retry', 'exceeded']);
    expect(verdicts[0]?.reason).toContain('lag unknown (no datapoints in 5 minutes)');
  });

  it('names the source of an unknown reading that has no detail', () => {
    // Act
    const verdict = decideLag(orders, reading({ status: 'unknown', seconds: undefined }), 1, 'unplanned');

    // Assess
    expect(verdict.reason).toMatch(/^lag unknown \(cloudwatch:AuroraGlobalDBRPOLag\)/);
  });

  it('does not accept a known reading that carries no value', () => {
    // Prepare
    const empty = reading({ seconds: undefined, bytes: undefined });

    // Act
    const verdict = decideLag(orders, empty, 6, 'unplanned');

    // Assess
    expect(verdict).toEqual({
      decision: 'exceeded',
      reason: 'lag reading from cloudwatch:AuroraGlobalDBRPOLag carries no value after 6 checks; plan says abort',
    });
  });

  it('holds the run when bytes exceed the byte limit although seconds are within', () => {
    // Prepare
    const plan = withRpo({ maxLagBytes: 1_048_576 });

    // Act
    const verdict = decideLag(plan, reading({ seconds: 1, bytes: 1_048_577 }), 2, 'unplanned');

    // Assess
    expect(verdict).toEqual({
      decision: 'retry',
      reason: 'lag 1048577 bytes exceeds RPO 30 s / 1048576 bytes; check 2 of 6, checking again',
    });
  });

  it('accepts a bytes-only reading at the byte limit', () => {
    // Prepare
    const plan = withRpo({ maxLagBytes: 1_048_576 });

    // Act
    const verdict = decideLag(plan, reading({ seconds: undefined, bytes: 1_048_576 }), 1, 'unplanned');

    // Assess
    expect(verdict).toEqual({ decision: 'within-rpo', reason: 'lag 1048576 bytes within RPO 30 s / 1048576 bytes' });
  });

  it('ignores bytes when the plan sets no byte limit', () => {
    // Act
    const verdict = decideLag(orders, reading({ seconds: 2, bytes: 10_000_000_000 }), 1, 'unplanned');

    // Assess
    expect(verdict).toEqual({ decision: 'within-rpo', reason: 'lag 2 s / 10000000000 bytes within RPO 30 s' });
  });
});

describe('decideLag on a standby that lost its source', () => {
  const lost = reading({
    status: 'unknown',
    seconds: undefined,
    source: 'postgres:standby-only',
    detail: 'primary did not answer and the standby is not streaming from it',
    sourceLost: true,
  });
  const proceeding = (path: string): Plan => {
    const raw = JSON.parse(JSON.stringify(loadPlanFile(path))) as PlanInput;
    return parsePlan({ ...raw, rpo: { ...raw.rpo, onExceeded: 'proceed' } }, 'test');
  };

  it('goes on at once under proceed when no gate hangs on a later reading, saying why', () => {
    // Act
    const verdict = decideLag(proceeding('plans/orders.yml'), lost, 1, 'unplanned');

    // Assess
    expect(verdict.decision).toBe('exceeded');
    expect(verdict.reason).toBe(
      'lag unknown (primary did not answer and the standby is not streaming from it) after 1 of 6 checks: nothing ' +
        'more can reach the standby, and the plan proceeds whatever a later reading says, so the run does not wait ' +
        'to read again; plan says proceed',
    );
  });

  it('still reads again under proceed when the standby may still receive changes', () => {
    // Act
    const verdict = decideLag(proceeding('plans/orders.yml'), { ...lost, sourceLost: undefined }, 1, 'unplanned');

    // Assess
    expect(verdict.decision).toBe('retry');
  });

  it.each([
    ['abort: the source coming back lets the run go on instead of aborting', 'plans/orders.yml', false],
    ['proceed with components: only a reading within the RPO reads their gates', 'plans/ml-platform.yml', true],
  ])('reads again when a later reading could change the path (%s)', (_why, path, proceed) => {
    // Prepare
    const plan = proceed ? proceeding(path) : loadPlanFile(path);

    // Act
    const verdict = decideLag(plan, lost, 1, 'planned');

    // Assess
    expect(verdict.decision).toBe('retry');
  });

  it('is exceeded on the last check like any other reading', () => {
    // Act
    const verdict = decideLag(loadPlanFile('plans/orders.yml'), lost, 6, 'unplanned');

    // Assess
    expect(verdict.reason).toMatch(/after 6 checks; plan says abort$/);
  });
});
