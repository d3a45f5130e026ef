import { describe, expect, it } from 'vitest';
import type { NodeView, PlanSide } from '#core/direction.js';
import { AmbiguousTopologyError, InvalidInputError } from '#core/errors.js';
import type { Plan } from '#core/plan.js';
import type { ExecutionLister, PairObserver } from '#core/ports.js';
import { prepare } from '#core/steps/prepare.js';
import { P, pairPlan, S } from '../fixtures/pair-plan.js';

const NOW = new Date('2026-12-07T12:00:00Z');
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:dr-failover-dev:pair-manual-ana';

const plan: Plan = pairPlan('pair', { rpo: { onExceeded: 'proceed' } });

const noRuns: ExecutionLister = {
  recentExecutions: async () => [],
  describeExecution: async (executionArn) => ({ executionArn, status: 'RUNNING', startDate: NOW }),
};

const input = {
  plan: 'pair',
  mode: 'planned',
  reason: 'failback after the rebuild',
  requestedBy: 'ana@example.com',
  incidentStartedAt: NOW.toISOString(),
};

/** Prepare with a pair showing `views`; `observed` counts the observations. */
const prepareWith = (
  views: Record<PlanSide, NodeView> | undefined,
  region?: string,
  extra: Record<string, unknown> = {},
) => {
  const observed: Plan[] = [];
  const pair = async (p: Plan): Promise<PairObserver | undefined> => {
    observed.push(p);
    return views ? { observe: async () => views } : undefined;
  };
  const run = prepare(
    { step: 'Prepare', executionId: EXECUTION, state: { ...input, ...extra } },
    {
      now: () => NOW,
      plans: () => new Map([[plan.name, plan]]),
      runs: () => noRuns,
      pair,
      ...(region ? { region } : {}),
    },
  );
  return { run, observed };
};

describe('Prepare: the direction of the pair, observed', () => {
  it('keeps the plan as written when the primary writes and the standby follows it', async () => {
    // Act
    const { run, observed } = prepareWith({
      primary: { host: P, reachable: true, inRecovery: false },
      standby: { host: S, reachable: true, inRecovery: true, upstreamHost: P },
    });
    const state = await run;

    // Assess
    expect(observed).toEqual([plan]);
    expect(state.plan).toBe(plan);
    expect(state.timeline[0]?.outcome).toMatch(
      /us-east-1 → eu-west-1, .*direction observed \(primary 10\.0\.1\.10 is a writer/,
    );
  });

  it('runs the plan the other way round from the standby region once the pair was rebuilt in reverse', async () => {
    // Act
    const state = await prepareWith(
      {
        primary: { host: P, reachable: true, inRecovery: true, upstreamHost: S },
        standby: { host: S, reachable: true, inRecovery: false, readOnly: false },
      },
      'us-east-1',
    ).run;

    // Assess
    expect(state.plan.regions).toEqual({ primary: 'eu-west-1', standby: 'us-east-1' });
    expect(state.plan.database).toMatchObject({ primary: { host: S }, standby: { host: P } });
    expect(state.timeline[0]?.outcome).toMatch(/eu-west-1 → us-east-1, .*the pair observed the other way round/);
  });

  it('refuses the other region while the pair stands as written', async () => {
    // Act
    const { run } = prepareWith(
      {
        primary: { host: P, reachable: true, inRecovery: false },
        standby: { host: S, reachable: true, inRecovery: true, upstreamHost: P },
      },
      'us-east-1',
    );

    // Assess
    await expect(run).rejects.toBeInstanceOf(InvalidInputError);
    await expect(run).rejects.toThrow(
      /fails over to eu-west-1 \(observed: .*\); start it from the stack in that region/,
    );
  });

  it('refuses two writers with AmbiguousTopologyError before the run guard or anything else', async () => {
    // Act
    const { run } = prepareWith({
      primary: { host: P, reachable: true, inRecovery: false },
      standby: { host: S, reachable: true, inRecovery: false },
    });

    // Assess
    await expect(run).rejects.toBeInstanceOf(AmbiguousTopologyError);
    await expect(run).rejects.toThrow(/two writers/);
  });

  it('keeps the plan as written for a kind whose pair is not observed', async () => {
    // Act
    const state = await prepareWith(undefined).run;

    // Assess
    expect(state.plan).toBe(plan);
    expect(state.timeline[0]?.outcome).not.toMatch(/observed/);
  });
});

describe("Prepare in the stack of the plan's primary region: the plan turned round is its own", () => {
  const unplanned = { mode: 'unplanned', reason: 'eu-west-1 failing while it is the writer' };

  it("fails over turned round when the plan's standby region is dark and its primary streams from it", async () => {
    // Act: the next incident after a way out and a rebuild, seen from us-east-1.
    const state = await prepareWith(
      {
        primary: { host: P, reachable: true, inRecovery: true, upstreamHost: S },
        standby: { host: S, reachable: false },
      },
      'us-east-1',
      unplanned,
    ).run;

    // Assess
    expect(state.plan.regions).toEqual({ primary: 'eu-west-1', standby: 'us-east-1' });
    expect(state.plan.database).toMatchObject({ primary: { host: S }, standby: { host: P } });
    expect(state.timeline[0]?.outcome).toMatch(
      /the pair observed the other way round .*standby 10\.1\.1\.10 did not answer/,
    );
  });

  it('goes turned round too when the writer answers fenced (a re-run after its fence)', async () => {
    // Act
    const state = await prepareWith(
      {
        primary: { host: P, reachable: true, inRecovery: true },
        standby: { host: S, reachable: true, inRecovery: false, readOnly: true },
      },
      'us-east-1',
      unplanned,
    ).run;

    // Assess
    expect(state.plan.regions.standby).toBe('us-east-1');
  });

  it.each([
    [
      'its primary is an old primary fenced out of recovery, not rebuilt (promoting it would serve stale data)',
      { host: P, reachable: true, inRecovery: false, readOnly: true },
      /primary 10\.0\.1\.10 is out of recovery but read-only \(fenced\)/,
    ],
    ['its primary does not answer', { host: P, reachable: false }, /primary 10\.0\.1\.10 did not answer/],
    ['its primary writes', { host: P, reachable: true, inRecovery: false }, /primary 10\.0\.1\.10 is a writer/],
  ] as const)('refuses the run, naming what it saw, when %s and the standby is dark', async (_what, primary, seen) => {
    // Act
    const { run } = prepareWith({ primary, standby: { host: S, reachable: false } }, 'us-east-1', unplanned);

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'InvalidInputError', field: 'plan' });
    await expect(run).rejects.toThrow(/fails over to eu-west-1 \(observed: /);
    await expect(run).rejects.toThrow(seen);
  });

  it('keeps the standby region stack as it was: a dark standby there is no reason to turn round', async () => {
    // Act: the same world seen from eu-west-1 (the plan as written, which Prepare refuses nothing of).
    const state = await prepareWith(
      {
        primary: { host: P, reachable: true, inRecovery: true, upstreamHost: S },
        standby: { host: S, reachable: false },
      },
      'eu-west-1',
      unplanned,
    ).run;

    // Assess
    expect(state.plan).toBe(plan);
  });
});

describe('Prepare: a failback run', () => {
  const failback = { trigger: { kind: 'failback', source: 'dr-failover CLI' } };
  const asWritten: Record<PlanSide, NodeView> = {
    primary: { host: P, reachable: true, inRecovery: false },
    standby: { host: S, reachable: true, inRecovery: true, upstreamHost: P },
  };
  const rebuilt: Record<PlanSide, NodeView> = {
    primary: { host: P, reachable: true, inRecovery: true, upstreamHost: S },
    standby: { host: S, reachable: true, inRecovery: false, readOnly: false },
  };

  it('goes the other way round over a rebuilt pair, and may override the cooldown like any run by hand', async () => {
    // Act
    const state = await prepareWith(rebuilt, 'us-east-1', { ...failback, overrideCooldown: true }).run;

    // Assess
    expect(state.input.trigger).toEqual(failback.trigger);
    expect(state.plan.regions).toEqual({ primary: 'eu-west-1', standby: 'us-east-1' });
    // Never urgent: a lag over the RPO or unknown after the checks aborts the way back
    expect(plan.rpo.onExceeded).toBe('proceed');
    expect(state.plan.rpo).toEqual({ ...plan.rpo, onExceeded: 'abort' });
  });

  it.each([
    ['the pair stands as written', asWritten, /failback of plan pair refused: the pair stands as the plan is written/],
    ['the pair is not observed', undefined, /failback of plan pair refused: its pair is not observed/],
  ] as const)('is refused with InvalidInputError on trigger.kind when %s', async (_what, views, why) => {
    // Act
    const { run } = prepareWith(views, undefined, failback);

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'InvalidInputError', field: 'trigger.kind' });
    await expect(run).rejects.toThrow(why);
  });

  it('is refused when the writer it would fence is dark: that is an incident, started unplanned', async () => {
    // Act
    const { run } = prepareWith(
      {
        primary: { host: P, reachable: true, inRecovery: true, upstreamHost: S },
        standby: { host: S, reachable: false },
      },
      'us-east-1',
      failback,
    );

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'InvalidInputError', field: 'trigger.kind' });
    await expect(run).rejects.toThrow(/the current writer is not writable .*start an unplanned run from this stack/);
  });

  it('is refused unless planned', async () => {
    // Act
    const { run } = prepareWith(rebuilt, 'us-east-1', { ...failback, mode: 'unplanned' });

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'InvalidInputError', field: 'mode' });
  });
});
