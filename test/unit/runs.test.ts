import { afterEach, describe, expect, it } from 'vitest';
import { AlreadyInProgressError, ConfigurationError, InvalidInputError } from '#core/errors.js';
import type { Plan } from '#core/plan.js';
import type { ExecutionLister, ExecutionSummary } from '#core/ports.js';
import {
  type CandidateRun,
  collectPlanRuns,
  decideRun,
  lookBack,
  type PlanRun,
  runKindOf,
  stateMachineArnOf,
} from '#core/runs.js';
import { prepare } from '#core/steps/prepare.js';
import { loadPlanCatalog, loadPlanFile } from '#lib/plan-catalog.js';

const orders: Plan = loadPlanFile('plans/orders.yml'); // cooldownMinutes 60
const catalog = loadPlanCatalog('plans');
const NOW = new Date('2026-11-25T03:18:00.000Z');
const minutesBefore = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);
const SM = 'arn:aws:states:eu-west-1:111122223333:stateMachine:dr-failover-prod';
const arnOf = (name: string) => `arn:aws:states:eu-west-1:111122223333:execution:dr-failover-prod:${name}`;

const run = (name: string, status: string, startedMinutesAgo: number, extra: Partial<PlanRun> = {}): PlanRun => ({
  name,
  status,
  startDate: minutesBefore(startedMinutesAgo),
  dryRun: false,
  ...extra,
});
const candidate = (extra: Partial<CandidateRun> = {}): CandidateRun => ({
  name: 'orders-manual-ana',
  dryRun: false,
  overrideCooldown: false,
  ...extra,
});

/** An in-memory lister: the executions and their inputs, recording what it was asked. */
const lister = (executions: (ExecutionSummary & { input?: unknown })[]) => {
  const calls = { since: [] as Date[], described: [] as string[] };
  const port: ExecutionLister = {
    recentExecutions: async (since) => {
      calls.since.push(since);
      return executions.map(({ input: _input, ...e }) => ({
        ...e,
        ...(e.name ? { executionArn: arnOf(e.name) } : {}),
      }));
    },
    describeExecution: async (executionArn) => {
      calls.described.push(executionArn);
      const e = executions.find((x) => x.name && arnOf(x.name) === executionArn);
      return { executionArn, ...e };
    },
  };
  return { port, calls };
};

describe('decideRun', () => {
  it.each([
    ['a RUNNING real run of the plan', run('orders-alarm-20261125T0300Z', 'RUNNING', 18), 'running'],
    [
      'a SUCCEEDED real run that ended inside the cooldown',
      run('orders-alarm-20261125T0200Z', 'SUCCEEDED', 90, { stopDate: minutesBefore(59) }),
      'cooldown',
    ],
    [
      'a SUCCEEDED real run without a stop date, started inside the cooldown',
      run('orders-alarm-20261125T0245Z', 'SUCCEEDED', 30),
      'cooldown',
    ],
  ])('stops a new real run for %s', (_what, other, conflict) => {
    // Act
    const decision = decideRun(candidate(), [other], orders, NOW);

    // Assess
    expect(decision).toMatchObject({ proceed: false, conflict, blocker: other.name });
  });

  it.each([
    [
      'a SUCCEEDED run that ended exactly when the cooldown ran out',
      run('orders-alarm-20261125T0200Z', 'SUCCEEDED', 90, { stopDate: minutesBefore(60) }),
    ],
    [
      'a FAILED run inside the cooldown',
      run('orders-alarm-20261125T0300Z', 'FAILED', 10, { stopDate: minutesBefore(5) }),
    ],
    [
      'an ABORTED run inside the cooldown',
      run('orders-alarm-20261125T0300Z', 'ABORTED', 10, { stopDate: minutesBefore(5) }),
    ],
    ['a RUNNING dry run', run('orders-gameday-20261125T0310Z', 'RUNNING', 8, { dryRun: true })],
    [
      'a SUCCEEDED dry run inside the cooldown',
      run('orders-gameday-20261125T0300Z', 'SUCCEEDED', 10, { dryRun: true, stopDate: minutesBefore(5) }),
    ],
    ['its own execution, RUNNING', run('orders-manual-ana', 'RUNNING', 0)],
  ])('lets a new real run go for %s', (_what, other) => {
    // Act
    const decision = decideRun(candidate(), [other], orders, NOW);

    // Assess
    expect(decision).toEqual({ proceed: true });
  });

  it('lets a dry run go beside a RUNNING real failover and inside its cooldown', () => {
    // Prepare
    const others = [
      run('orders-alarm-20261125T0300Z', 'RUNNING', 18),
      run('orders-alarm-20261125T0200Z', 'SUCCEEDED', 80, { stopDate: minutesBefore(30) }),
    ];

    // Act
    const decision = decideRun(candidate({ dryRun: true }), others, orders, NOW);

    // Assess
    expect(decision).toEqual({ proceed: true });
  });

  it('keeps one dry run of the plan at a time', () => {
    // Act
    const decision = decideRun(
      candidate({ dryRun: true }),
      [run('orders-gameday-20261125T0310Z', 'RUNNING', 8, { dryRun: true })],
      orders,
      NOW,
    );

    // Assess
    expect(decision).toMatchObject({ proceed: false, conflict: 'running' });
  });

  it('lets overrideCooldown start inside the cooldown and says which run it overrode', () => {
    // Prepare
    const others = [
      run('orders-alarm-20261125T0200Z', 'SUCCEEDED', 90, { stopDate: minutesBefore(50) }),
      run('orders-manual-bob', 'SUCCEEDED', 40, { stopDate: minutesBefore(20) }),
    ];

    // Act
    const decision = decideRun(candidate({ overrideCooldown: true }), others, orders, NOW);

    // Assess: the latest success is the one whose cooldown is overridden
    expect(decision).toEqual({
      proceed: true,
      cooldownOverridden: { run: 'orders-manual-bob', endedAt: minutesBefore(20).toISOString() },
    });
  });

  it('never lets overrideCooldown override a RUNNING run', () => {
    // Act
    const decision = decideRun(
      candidate({ overrideCooldown: true, startDate: minutesBefore(1) }),
      [run('orders-alarm-20261125T0315Z', 'RUNNING', 3)],
      orders,
      NOW,
    );

    // Assess
    expect(decision).toMatchObject({ proceed: false, conflict: 'running', blocker: 'orders-alarm-20261125T0315Z' });
  });

  it('explains a cooldown refusal with the run, when it ended, the cooldown and the way out', () => {
    // Act
    const decision = decideRun(
      candidate(),
      [run('orders-alarm-20261125T0230Z', 'SUCCEEDED', 45, { stopDate: minutesBefore(35) })],
      orders,
      NOW,
    );

    // Assess
    expect(decision).toEqual({
      proceed: false,
      conflict: 'cooldown',
      blocker: 'orders-alarm-20261125T0230Z',
      reason:
        "run orders-alarm-20261125T0230Z of plan orders succeeded at 2026-11-25T02:43:00.000Z, inside the plan's " +
        '60-minute cooldown (until 2026-11-25T03:43:00.000Z); a manual run may start anyway with overrideCooldown: true',
    });
  });

  it.each([
    ['different start dates', 0, 'orders-alarm-20261125T0315Z', 2, 'orders-manual-ana', 'orders-manual-ana'],
    [
      'the same start date, by name',
      1,
      'orders-manual-zed',
      1,
      'orders-alarm-20261125T0315Z',
      'orders-alarm-20261125T0315Z',
    ],
    ['a later manual run', 5, 'orders-alarm-20261125T0315Z', 1, 'orders-manual-ana', 'orders-alarm-20261125T0315Z'],
  ])(
    'lets exactly one of two RUNNING runs proceed when both decide at once: %s',
    (_what, aAgo, aName, bAgo, bName, winner) => {
      // Prepare: each run sees itself and the other as RUNNING, as two Prepares at the same moment do.
      const a = run(aName, 'RUNNING', aAgo);
      const b = run(bName, 'RUNNING', bAgo);

      // Act
      const forA = decideRun(candidate({ name: a.name, startDate: a.startDate }), [a, b], orders, NOW);
      const forB = decideRun(candidate({ name: b.name, startDate: b.startDate }), [a, b], orders, NOW);

      // Assess
      const proceeding = [forA.proceed ? a.name : undefined, forB.proceed ? b.name : undefined].filter(Boolean);
      expect(proceeding).toEqual([winner]);
      const loser = forA.proceed ? forB : forA;
      expect(loser).toMatchObject({ proceed: false, conflict: 'running', blocker: winner });
      expect(loser.proceed === false && loser.reason).toContain(`run ${winner} of plan orders`);
    },
  );

  it('makes a candidate that has not started yet (the trigger) yield to any RUNNING run', () => {
    // Act
    const decision = decideRun(candidate(), [run('orders-manual-bob', 'RUNNING', 0)], orders, NOW);

    // Assess
    expect(decision).toMatchObject({ proceed: false, blocker: 'orders-manual-bob' });
  });
});

describe('stateMachineArnOf', () => {
  it.each([
    [arnOf('orders-alarm-20261125T0315Z'), SM],
    [
      'arn:aws-us-gov:states:us-gov-west-1:111122223333:execution:sm:run-1',
      'arn:aws-us-gov:states:us-gov-west-1:111122223333:stateMachine:sm',
    ],
  ])('derives the state machine of %s', (executionArn, expected) => {
    // Act
    const arn = stateMachineArnOf(executionArn);

    // Assess
    expect(arn).toBe(expected);
  });

  it.each([
    ['a state machine ARN', SM],
    ['a Lambda ARN', 'arn:aws:lambda:eu-west-1:111122223333:function:prepare'],
    ['an execution ARN without a name', 'arn:aws:states:eu-west-1:111122223333:execution:sm'],
    ['not an ARN', 'local-1'],
  ])('refuses %s', (_what, value) => {
    // Act
    const arn = stateMachineArnOf(value);

    // Assess
    expect(arn).toBeUndefined();
  });
});

describe('collectPlanRuns', () => {
  it('looks back one cooldown plus the longest a run can last', async () => {
    // Prepare
    const { port, calls } = lister([]);

    // Act
    await collectPlanRuns(port, orders, catalog, NOW);

    // Assess
    expect(calls.since).toEqual([lookBack(orders, NOW)]);
    expect(lookBack(orders, NOW)).toEqual(minutesBefore(60 + 24 * 60));
  });

  it("takes the trigger's alarm runs by name and describes only the other candidates", async () => {
    // Prepare
    const { port, calls } = lister([
      { name: 'orders-alarm-20261125T0300Z', status: 'RUNNING', startDate: minutesBefore(18) },
      {
        name: 'orders-manual-ana',
        status: 'RUNNING',
        startDate: minutesBefore(2),
        input: { plan: 'orders', dryRun: true },
      },
      {
        name: 'console-run-7',
        status: 'SUCCEEDED',
        startDate: minutesBefore(40),
        stopDate: minutesBefore(30),
        input: { plan: 'orders' },
      },
      { name: 'console-run-8', status: 'RUNNING', startDate: minutesBefore(3), input: { plan: 'feature-store' } },
      { name: 'console-run-9', status: 'RUNNING', startDate: minutesBefore(3), input: 'not an object' },
      { name: 'feature-store-manual-x', status: 'RUNNING', startDate: minutesBefore(4) },
      { name: 'orders-manual-old', status: 'SUCCEEDED', startDate: minutesBefore(200), stopDate: minutesBefore(150) },
      { name: 'orders-manual-failed', status: 'FAILED', startDate: minutesBefore(20), stopDate: minutesBefore(10) },
    ]);

    // Act
    const { runs } = await collectPlanRuns(port, orders, catalog, NOW);

    // Assess
    expect(runs.map((r) => [r.name, r.status, r.dryRun]).sort()).toEqual([
      ['console-run-7', 'SUCCEEDED', false],
      ['orders-alarm-20261125T0300Z', 'RUNNING', false],
      ['orders-manual-ana', 'RUNNING', true],
    ]);
    // Not described: the alarm run, the other plan's run, and those that can no longer conflict.
    expect(calls.described.sort()).toEqual(
      ['orders-manual-ana', 'console-run-7', 'console-run-8', 'console-run-9'].map(arnOf).sort(),
    );
  });

  it('finds its own run in the listing for its start date, without describing it', async () => {
    // Prepare
    const { port, calls } = lister([{ name: 'orders-manual-ana', status: 'RUNNING', startDate: minutesBefore(1) }]);

    // Act
    const found = await collectPlanRuns(port, orders, catalog, NOW, {
      executionArn: arnOf('orders-manual-ana'),
      name: 'orders-manual-ana',
    });

    // Assess
    expect(found).toEqual({ runs: [], self: { startDate: minutesBefore(1), listed: true } });
    expect(calls.described).toEqual([]);
  });

  it('describes its own run when the listing does not show it yet', async () => {
    // Prepare
    const self = { executionArn: arnOf('orders-manual-ana'), name: 'orders-manual-ana' };
    const port: ExecutionLister = {
      recentExecutions: async () => [],
      describeExecution: async (executionArn) => ({ executionArn, status: 'RUNNING', startDate: minutesBefore(0.5) }),
    };

    // Act
    const found = await collectPlanRuns(port, orders, catalog, NOW, self);

    // Assess
    expect(found.self).toEqual({ startDate: minutesBefore(0.5), listed: false });
  });
});

describe('prepare: the run guard', () => {
  const input = (extra: Record<string, unknown> = {}) => ({
    plan: 'orders',
    mode: 'unplanned',
    reason: 'us-east-1 writer unreachable',
    requestedBy: 'ana@example.com',
    incidentStartedAt: '2026-11-25T03:12:00Z',
    ...extra,
  });
  const asked: string[] = [];
  const deps = (executions: (ExecutionSummary & { input?: unknown })[]) => {
    const { port } = lister(executions);
    const runs = (sm: string) => {
      asked.push(sm);
      return port;
    };
    return { now: () => NOW, plans: () => catalog, runs };
  };
  afterEach(() => {
    asked.length = 0;
  });

  it("reads the executions of its own state machine, derived from the execution's ARN", async () => {
    // Act
    const state = await prepare(
      { step: 'Prepare', executionId: arnOf('orders-manual-ana'), state: input() },
      deps([{ name: 'orders-manual-ana', status: 'RUNNING', startDate: minutesBefore(0) }]),
    );

    // Assess
    expect(asked).toEqual([SM]);
    expect(state.run.cooldownOverridden).toBeUndefined();
  });

  it('throws AlreadyInProgressError naming the run that goes on, when an earlier run of the plan is RUNNING', async () => {
    // Prepare
    const executions = [
      { name: 'orders-alarm-20261125T0315Z', status: 'RUNNING', startDate: minutesBefore(2) },
      { name: 'orders-manual-ana', status: 'RUNNING', startDate: minutesBefore(1) },
    ];

    // Act
    const attempt = prepare(
      { step: 'Prepare', executionId: arnOf('orders-manual-ana'), state: input({ overrideCooldown: true }) },
      deps(executions),
    );

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(AlreadyInProgressError);
    await expect(attempt).rejects.toThrow(/run orders-alarm-20261125T0315Z of plan orders .* is running/);
  });

  it('refuses a manual run inside the cooldown, and records the override when the input asks for it', async () => {
    // Prepare
    const executions = [
      {
        name: 'orders-alarm-20261125T0230Z',
        status: 'SUCCEEDED',
        startDate: minutesBefore(45),
        stopDate: minutesBefore(35),
      },
      { name: 'orders-manual-ana', status: 'RUNNING', startDate: minutesBefore(0) },
    ];
    const payload = (extra: Record<string, unknown>) => ({
      step: 'Prepare',
      executionId: arnOf('orders-manual-ana'),
      state: input(extra),
    });

    // Act
    const refused = prepare(payload({}), deps(executions));
    const overridden = await prepare(payload({ overrideCooldown: true }), deps(executions));

    // Assess
    await expect(refused).rejects.toMatchObject({
      name: 'AlreadyInProgressError',
      message: expect.stringContaining('cooldown'),
    });
    expect(overridden.run.cooldownOverridden).toEqual({
      run: 'orders-alarm-20261125T0230Z',
      endedAt: minutesBefore(35).toISOString(),
    });
    expect(overridden.timeline[0]?.outcome).toContain('cooldown overridden (run orders-alarm-20261125T0230Z');
  });

  it('refuses overrideCooldown on a run the trigger started, before reading any execution', async () => {
    // Act
    const attempt = prepare(
      {
        step: 'Prepare',
        executionId: arnOf('orders-alarm-20261125T0315Z'),
        state: input({ overrideCooldown: true, trigger: { kind: 'alarm', source: 'arn:aws:cloudwatch:x' } }),
      },
      deps([]),
    );

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toMatchObject({ field: 'overrideCooldown' });
    expect(asked).toEqual([]);
  });

  it('throws ConfigurationError when the execution id is not an execution ARN', async () => {
    // Act
    const attempt = prepare({ step: 'Prepare', executionId: 'local-1', state: input() }, deps([]));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConfigurationError);
  });
});

describe('runKindOf', () => {
  it.each([
    ['orders-alarm-20261125T0310Z', 'alarm'],
    ['orders-gameday-20261125T0310Z', 'gameday'],
    ['orders-manual-ana', 'manual'],
    ['orders-failback-20261125T0310Z', 'failback'],
    ['orders-failback-ana', undefined],
    ['orders-archive-manual-ana', undefined],
  ])('reads %s as %s of plan orders', (name, kind) => {
    // Act / Assess
    expect(runKindOf(name, 'orders')).toBe(kind);
  });
});
