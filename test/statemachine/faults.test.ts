/**
 * Fault matrix, transient half: for every Task of the definition, failures that clear by waiting (throttling, 5xx,
 * busy resources, Lambda service errors, a function that times out once, a lost response) are retried with
 * backoff and the run ends as it would have without them, each mutating call accepted exactly once.
 * Terminal failures and timeouts: faults-terminal.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FaultRun, inject, runScenario, type Scenario, stub, track } from './fault-kit.js';
import { MAIN_LINE, MUTATED_BY, ROWS, TASKS, taskState } from './fault-matrix.js';
import { ALL_MOCKS, notifyWorld } from './support.js';

/** Attempts that fail before the one that works: within every retrier's MaxAttempts. */
const FAILING_ATTEMPTS = 2;
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** The run ended as the scenario ends with nothing injected. */
const expectEndsAsScenario = (run: FaultRun, scenario: Scenario) => {
  expect(run.status, `${scenario.name}: ${run.error}: ${run.cause}`).toBe(scenario.ends.status);
  if (scenario.ends.status === 'FAILED') {
    expect(run.error).toBe(scenario.ends.error);
    expect(run.visited.at(-1)).toBe(scenario.ends.last);
  } else {
    expect((run.output as { notifyError?: unknown }).notifyError).toBeUndefined();
  }
};

/** Each mutating command sent during the run was accepted at most once (rejected attempts do not count). */
const acceptedMutations = (run: FaultRun, rejected: { command: string; hits: number }) => {
  const accepted = new Map<string, number>();
  for (const [, commands] of run.tracker.commandsByStep()) {
    for (const c of commands) if (MUTATED_BY[c]) accepted.set(c, (accepted.get(c) ?? 0) + 1);
  }
  if (accepted.has(rejected.command)) {
    accepted.set(rejected.command, (accepted.get(rejected.command) ?? 0) - rejected.hits);
  }
  return accepted;
};

const commandName = (command: { name: string }) => command.name.replace(/Command$/, '');

describe('fault matrix: the rows', () => {
  it('has a row for every Task state of the definition, and none for a state that is gone', () => {
    // Assess
    expect(Object.keys(ROWS).sort()).toEqual([...TASKS].sort());
    for (const task of TASKS) expect(MAIN_LINE.includes(task) || ROWS[task]?.kind === 'notify', task).toBe(true);
  });

  it('gives every Task that calls AWS at least one transient AWS fault, and names why when it calls none', () => {
    for (const task of TASKS) {
      const row = ROWS[task];
      expect(row, task).toBeDefined();
      expect((row?.transient.length ?? 0) > 0 || (row?.noAwsCall ?? '').length > 0, task).toBe(true);
    }
  });

  it.each(TASKS)('%s: every Retry backs off (IntervalSeconds, MaxAttempts, BackoffRate > 1, FULL jitter)', (task) => {
    // Prepare
    const retriers = taskState(task).Retry ?? [];

    // Assess: the tests run with zero intervals, so the backoff itself is checked here, in the definition.
    expect(retriers.length, task).toBeGreaterThan(0);
    for (const r of retriers) {
      const what = `${task} retrier ${r.ErrorEquals.join(',')}`;
      expect(r.IntervalSeconds, what).toBeGreaterThanOrEqual(1);
      expect(r.MaxAttempts, what).toBeGreaterThan(FAILING_ATTEMPTS);
      expect(r.BackoffRate, what).toBeGreaterThan(1);
      expect(r.JitterStrategy, what).toBe('FULL');
      expect(r.ErrorEquals, what).not.toContain('States.ALL');
    }
  });
});

describe.each(TASKS)('fault matrix, transient: %s', (task) => {
  const row = ROWS[task];
  if (!row) {
    it('has a row in the fault matrix', () => {
      expect.fail(`no row for Task ${task} in test/statemachine/fault-matrix.ts`);
    });
    return;
  }

  beforeEach(() => {
    notifyWorld();
  });
  afterEach(() => {
    for (const m of ALL_MOCKS) m.reset();
  });

  it.each(row.transient.map((f) => [f.label, f] as const))(
    'retries %s, then ends as without it, each change accepted once',
    async (_label, fault) => {
      // Prepare
      const scenario = fault.scenario ?? row.scenario;
      scenario.world();
      const tracker = track(scenario.handlers);
      const rejected = inject(
        fault,
        tracker.during(task, (attempt) => attempt <= FAILING_ATTEMPTS),
      );

      // Act
      const run = await runScenario(scenario, tracker);

      // Assess
      expectEndsAsScenario(run, scenario);
      expect(rejected.hits).toBe(FAILING_ATTEMPTS);
      expect(run.retried.get(task)).toBe(FAILING_ATTEMPTS);
      const accepted = acceptedMutations(run, { command: commandName(fault.command), hits: rejected.hits });
      for (const [command, times] of accepted) expect(times, `${command} accepted`).toBe(1);
      if (row.mutating && scenario.ends.status === 'SUCCEEDED') {
        expect([...accepted.keys()].some((c) => MUTATED_BY[c] === task)).toBe(true);
      }
    },
  );

  it('retries a Lambda service error of its invocation, then ends as without it', async () => {
    // Prepare
    const error = LAMBDA_SERVICE_ERRORS[TASKS.indexOf(task) % LAMBDA_SERVICE_ERRORS.length] ?? '';
    row.scenario.world();
    const tracker = track(row.scenario.handlers, (step, attempt) =>
      step === task && attempt <= FAILING_ATTEMPTS ? { kind: 'fail-invoke', error } : undefined,
    );

    // Act
    const run = await runScenario(row.scenario, tracker);

    // Assess
    expectEndsAsScenario(run, row.scenario);
    expect(run.retried.get(task)).toBe(FAILING_ATTEMPTS);
    expect(tracker.attempts.get(task)).toBeGreaterThanOrEqual(FAILING_ATTEMPTS + 1);
  });

  const firstCall = row.transient.find((f) => f.scenario === undefined || f.scenario === row.scenario);
  if (firstCall) {
    it(`retries the TimeoutError of a function that timed out on a hung ${commandName(firstCall.command)}`, async () => {
      // Prepare
      row.scenario.world();
      const tracker = track(row.scenario.handlers, (step, attempt) =>
        step === task && attempt === 1 ? { kind: 'function-timeout' } : undefined,
      );
      // The first attempt's call of the command never answers; the function runs out of time meanwhile.
      const hung = inject(
        firstCall,
        tracker.during(task, (attempt) => attempt === 1),
        () => undefined,
      );

      // Act
      const run = await runScenario(row.scenario, tracker);

      // Assess
      expectEndsAsScenario(run, row.scenario);
      expect(hung.hits, 'the hang was reached').toBe(1);
      expect(run.retried.get(task)).toBe(1);
    });
  }

  if (row.mutating) {
    it('retries a lost response of an accepted change without making the change twice in effect', async () => {
      // Prepare
      row.scenario.world();
      const tracker = track(row.scenario.handlers, (step, attempt) =>
        step === task && attempt === 1 ? { kind: 'lose-response', error: 'Lambda.ServiceException' } : undefined,
      );

      // Act
      const run = await runScenario(row.scenario, tracker);

      // Assess
      expectEndsAsScenario(run, row.scenario);
      expect(run.retried.get(task)).toBe(1);
      const sent = (tracker.commandsByStep().get(task) ?? []).filter((c) => MUTATED_BY[c] === task);
      const calls = ALL_MOCKS.flatMap((m) => stub(m).calls())
        .map((c) => c.args[0] as { constructor: { name: string }; input: unknown })
        .filter((c) => MUTATED_BY[c.constructor.name.replace(/Command$/, '')] === task);
      // Either the retry saw the change done and sent nothing, or it sent the very same idempotent request.
      expect(sent.length).toBeGreaterThanOrEqual(1);
      for (const c of calls) expect(c.input).toEqual(calls[0]?.input);
      if (task === 'Promote') expect(sent).toHaveLength(1);
    });
  }
});
