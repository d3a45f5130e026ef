/**
 * Fault matrix, terminal half: for every Task of the definition, a failure that waiting will not clear (a terminal
 * domain error, `Lambda.Unknown`, the Task's own `States.Timeout`) is not retried, is notified, and ends the run
 * with the original error name; no later Task runs and no later AWS command is sent. A notification Task that
 * fails never changes how the run ends.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand } from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FaultRun, inject, runScenario, type Scenario, silentApprover, type Tracker, track } from './fault-kit.js';
import { MAIN_LINE, MUTATED_BY, ROWS, TASKS, type TaskRow, taskState } from './fault-matrix.js';
import { ALL_MOCKS, eventBridge, notifyWorld, sns } from './support.js';

/** The state the definition's Catch sends `error` to from `task`. */
const caughtBy = (task: string, error: string) =>
  taskState(task).Catch?.find((c) => c.ErrorEquals.includes(error) || c.ErrorEquals.includes('States.ALL'))?.Next;

/** The notification published for the end of the run (Failover Failed or Aborted), as EventBridge and SNS got it. */
const endNotification = () => {
  const entry = eventBridge
    .commandCalls(PutEventsCommand)
    .map((c) => c.args[0].input.Entries?.[0])
    .find((e) => e?.DetailType === 'Failover Failed' || e?.DetailType === 'Failover Aborted');
  const message = sns
    .commandCalls(PublishCommand)
    .map((c) => c.args[0].input)
    .find((m) => m.MessageAttributes?.type?.StringValue === entry?.DetailType);
  return {
    detail: JSON.parse(entry?.Detail ?? '{}') as {
      detail: { error?: string; stateOfTheWorld?: string[]; nextSteps?: string };
    },
    message: message?.Message,
  };
};

/** The run failed at `task` with `error`: caught, notified, not retried, and nothing after it ran. */
const expectFailedAt = (run: FaultRun, row: TaskRow, task: string, error: string) => {
  expect(run.status).toBe('FAILED');
  expect(run.error, run.cause).toBe(error);
  const notifyStep = caughtBy(task, error) ?? '(no Catch)';
  if (row.kind === 'step') expect(notifyStep).toBe('NotifyFailed');
  expect(run.visited.slice(-3)).toEqual([task, notifyStep, taskState(notifyStep).Next]);
  expect(run.tracker.attempts.get(task), 'attempts').toBe(1);
  expect(run.retried.get(task), 'retries').toBeUndefined();
  const later = MAIN_LINE.slice(MAIN_LINE.indexOf(task) + 1);
  expect(
    later.filter((t) => run.tracker.attempts.has(t)),
    'later Tasks run',
  ).toEqual([]);
  expect(
    [...run.tracker.commandsByStep().keys()].filter((t) => later.includes(t)),
    'later Tasks sent AWS commands',
  ).toEqual([]);
  const sent = [...run.tracker.commandsByStep().values()].flat();
  expect(
    sent.filter((c) => later.includes(MUTATED_BY[c] ?? '')),
    'later changes',
  ).toEqual([]);
  const notified = endNotification();
  expect(notified.detail.detail.error).toBe(error);
  // Whatever the error, the notification says how far the run got, and once promoted, that it is.
  const stage = MAIN_LINE.indexOf(task) - MAIN_LINE.indexOf('PromotionStatus');
  const world = (notified.detail.detail.stateOfTheWorld ?? []).join('\n');
  if (task !== 'Prepare' && notifyStep === 'NotifyFailed') {
    expect(world).toMatch(
      stage > 0 ? /IS promoted/ : stage === 0 ? /promotion of the standby .* was requested/ : /nothing was promoted/,
    );
  }
  if (stage > 0) expect(notified.detail.detail.nextSteps).toMatch(/IS promoted/);
  // A run refused by Prepare has no plan, hence no plan topic (the deployment's default topic is unset here).
  if (task !== 'Prepare') expect(notified.message).toContain(error);
};

/** A notification Task failed: the run ends as it would have, with the notification error recorded. */
const expectNotifyFailureIgnored = (run: FaultRun, scenario: Scenario, task: string, error: string) => {
  expect(run.status, `${run.error}: ${run.cause}`).toBe(scenario.ends.status);
  if (scenario.ends.status === 'FAILED') {
    // The run keeps the error of the step that failed, never the notification's.
    expect(run.error).toBe(scenario.ends.error);
    expect(run.visited.slice(-2)).toEqual([task, scenario.ends.last]);
  } else {
    expect((run.output as { notifyError?: { Error: string } }).notifyError?.Error).toBe(error);
    expect(run.visited.at(-1)).toBe('Succeeded');
  }
  expect(run.tracker.attempts.get(task), 'attempts').toBe(1);
  expect(run.retried.get(task), 'retries').toBeUndefined();
};

/** A Task after traffic moved failed: the run ends as it would have, the failure recorded as the finding. */
const expectFindingFailureRecorded = (run: FaultRun, scenario: Scenario, task: string, error: string) => {
  expect(run.status, `${run.error}: ${run.cause}`).toBe(scenario.ends.status);
  const out = run.output as { artifactsFailed?: { Error: string }; artifacts?: { problems: { verdict: string }[] } };
  expect(out.artifactsFailed?.Error).toBe(error);
  // FindArtifacts' failure is recorded by ArtifactFindingFailed as one unknown problem.
  if (task === 'FindArtifacts') expect(out.artifacts?.problems.map((p) => p.verdict)).toEqual(['unknown']);
  expect(run.visited.slice(-2)).toEqual(['NotifySucceeded', 'Succeeded']);
  expect(run.tracker.attempts.get(task), 'attempts').toBe(1);
  expect(run.retried.get(task), 'retries').toBeUndefined();
};

const expectOutcome = (run: FaultRun, row: TaskRow, scenario: Scenario, task: string, error: string) => {
  if (row.kind === 'notify') expectNotifyFailureIgnored(run, scenario, task, error);
  else if (row.kind === 'finding') expectFindingFailureRecorded(run, scenario, task, error);
  else expectFailedAt(run, row, task, error);
};

const outcome = (row: TaskRow) =>
  row.kind === 'notify'
    ? 'not retried, and the run ends as it would have'
    : row.kind === 'finding'
      ? 'not retried, recorded, and the run ends as it would have'
      : 'not retried, notified, the name kept';

describe.each(TASKS)('fault matrix, terminal: %s', (task) => {
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

  it.each(row.terminal.map((t) => [t.label, t] as const))(
    row.kind === 'notify'
      ? 'on %s: not retried, and the run ends as it would have'
      : 'on %s: not retried, notified, the original error name kept',
    async (_label, terminal) => {
      // Prepare
      const scenario = { ...row.scenario, input: { ...row.scenario.input, ...terminal.input } };
      scenario.world();
      const tracker = track(scenario.handlers);
      const injected = terminal.aws ? inject(terminal.aws, tracker.during(task)) : undefined;

      // Act
      const run = await runScenario(scenario, tracker);

      // Assess: a notification failing in a run that fails anyway ends it the same way, so the hit is checked.
      if (injected) expect(injected.hits, 'the fault was reached').toBeGreaterThan(0);
      expectOutcome(run, row, scenario, task, terminal.expect);
    },
  );

  it(`on Lambda.Unknown (the function crashed or was killed): ${outcome(row)}`, async () => {
    // Prepare
    row.scenario.world();
    const tracker = track(row.scenario.handlers, (step) =>
      step === task ? { kind: 'fail-invoke', error: 'Lambda.Unknown' } : undefined,
    );

    // Act
    const run = await runScenario(row.scenario, tracker);

    // Assess
    expectOutcome(run, row, row.scenario, task, 'Lambda.Unknown');
  });

  const firstCall = row.transient.find((f) => f.scenario === undefined || f.scenario === row.scenario);
  if (firstCall) {
    const retrier = taskState(task).Retry?.find((r) => r.ErrorEquals.includes('TimeoutError'));
    it(`on a function that times out at every attempt (hung ${firstCall.command.name.replace(/Command$/, '')}): retried, then ${row.kind === 'notify' ? 'the run goes on' : 'notified as TimeoutError naming the step'}`, async () => {
      // Prepare
      row.scenario.world();
      const tracker = track(row.scenario.handlers, (step) =>
        step === task ? { kind: 'function-timeout' } : undefined,
      );
      inject(firstCall, tracker.during(task), () => undefined);

      // Act
      const run = await runScenario(row.scenario, tracker);

      // Assess
      expect(retrier?.MaxAttempts, `${task} retries TimeoutError`).toBeGreaterThan(0);
      expect(run.retried.get(task)).toBe(retrier?.MaxAttempts);
      if (row.kind === 'notify') {
        expect(run.status).toBe(row.scenario.ends.status);
      } else {
        expect(run.status).toBe('FAILED');
        expect(run.error).toBe('TimeoutError');
        expect(run.cause).toContain(`${task} did not finish within its Lambda timeout`);
        expect(run.visited.slice(-3)).toEqual([task, caughtBy(task, 'TimeoutError'), 'Failed']);
        expect(endNotification().detail.detail.error).toBe('TimeoutError');
      }
    });
  }

  it(`on States.Timeout (no answer within TimeoutSeconds): ${outcome(row)}`, async () => {
    // Prepare
    row.scenario.world();
    const timeoutSeconds = taskState(task).TimeoutSeconds ?? 0;
    let tracker: Tracker;
    if (row.kind === 'approval') {
      // The publish works; nobody answers the approval request.
      tracker = track(row.scenario.handlers);
    } else {
      tracker = track(row.scenario.handlers, (step, attempt) =>
        step === task && attempt === 1 ? { kind: 'hang' } : undefined,
      );
    }

    // Act
    const run = await runScenario(row.scenario, tracker, {
      timeoutAfterHang: timeoutSeconds,
      ...(row.kind === 'approval' ? { approver: silentApprover(tracker) } : {}),
    });

    // Assess
    expect(timeoutSeconds).toBeGreaterThan(0);
    expectOutcome(run, row, row.scenario, task, 'States.Timeout');
  });
});
