import { describe, expect, it } from 'vitest';
import { formatMessage } from '#adapters/notify/format.js';
import { FenceFailedError } from '#core/errors.js';
import { parseExecutionInput } from '#core/input.js';
import { describeWorld, fenceSummary, nextStepsFor } from '#core/next-steps.js';
import type { DatabaseFailover, FenceResult } from '#core/ports.js';
import type { FailoverState } from '#core/state.js';
import { fence } from '#core/steps/database-steps.js';
import { buildEvent } from '#core/steps/notify.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { warningsFromState } from '#report/model.js';

const plan = loadPlanFile('plans/orders.yml');
const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-dev:orders-manual-1';
const NOW = new Date('2026-11-25T03:20:00.000Z');

const runState = (mode: 'planned' | 'unplanned'): FailoverState => ({
  input: parseExecutionInput({
    plan: 'orders',
    mode,
    reason: 'region evacuation',
    requestedBy: 'oncall:ana',
    incidentStartedAt: '2026-11-25T03:15:00Z',
  }),
  plan,
  run: { executionId: EXECUTION, startedAt: '2026-11-25T03:15:05Z', approvalRequired: false },
  timeline: [],
});

/** What the PostgreSQL fence reports when a client session outlived its bound (see postgres-fence.ts). */
const SESSION = 'pid 4242 (app, "orders-api", idle in transaction, in a transaction since 2026-11-25 03:19:58+00)';
const LEFT_READ_ONLY: FenceResult = {
  fenced: false,
  method: 'read-only',
  readOnly: { persisted: true, openSessions: 1, sessions: [SESSION] },
  detail:
    'old primary 10.0.0.5:5432 IS read-only (default_transaction_read_only = on, persisted with ALTER SYSTEM: a ' +
    `restart keeps it; new sessions verified read-only) but not fully fenced: 1 of the 200 client sessions it ` +
    `terminated were still open 4752 ms after the fence began: ${SESSION}.`,
};

/** A database whose fence answers `result` (or throws it), and nothing else. */
const databaseFencing = (result: FenceResult | Error) => async () =>
  ({
    fenceOldPrimary: async () => {
      if (result instanceof Error) throw result;
      return result;
    },
  }) as unknown as DatabaseFailover;

/** The state NotifyFailed receives when a Task threw `error`: the step's input plus the Catch's `$.error`. */
const caught = (state: FailoverState, error: Error): FailoverState => ({
  ...state,
  error: { Error: error.name, Cause: JSON.stringify({ errorType: error.name, errorMessage: error.message }) },
});

describe('fenceSummary', () => {
  it('says fenced, READ-ONLY but not fully fenced, or NOT fenced, as the result says', () => {
    // Act
    const fenced = fenceSummary({ fenced: true, method: 'read-only', detail: 'all sessions gone' });
    const readOnly = fenceSummary(LEFT_READ_ONLY);
    const not = fenceSummary({ fenced: false, method: 'unreachable', detail: 'ECONNREFUSED' });

    // Assess
    expect(fenced).toBe('fenced (read-only)');
    expect(readOnly).toBe(`READ-ONLY but not fully fenced (read-only): ${LEFT_READ_ONLY.detail}`);
    expect(not).toBe('NOT fenced (unreachable): ECONNREFUSED');
  });
});

describe('an old primary the fence left read-only but not fully fenced', () => {
  it('is recorded by an unplanned run as read-only, with the sessions left, and reported so if the run fails later', async () => {
    // Prepare
    const deps = { now: () => NOW, database: databaseFencing(LEFT_READ_ONLY) };

    // Act
    const after = await fence({ step: 'Fence', executionId: EXECUTION, state: runState('unplanned') }, deps);
    const failedLater = caught(after, new Error('standby refused promotion'));
    const world = describeWorld(failedLater, plan);
    const warnings = warningsFromState(after);

    // Assess
    expect(after.fence).toEqual(LEFT_READ_ONLY);
    expect(after.timeline.at(-1)?.outcome).toMatch(/^READ-ONLY but not fully fenced \(read-only\): .* IS read-only/);
    expect(world[2]).toBe(`Old primary: READ-ONLY but not fully fenced (read-only): ${LEFT_READ_ONLY.detail}`);
    expect(world[2]).toContain(SESSION);
    expect(warnings).toContain(`The old primary was NOT fenced completely (read-only): ${LEFT_READ_ONLY.detail}`);
  });

  it('stops a planned run with FenceFailedError that says the old primary IS read-only', async () => {
    // Prepare: an adapter that reports rather than throws; the step holds the planned policy too.
    const deps = { now: () => NOW, database: databaseFencing(LEFT_READ_ONLY) };

    // Act
    const error = await fence({ step: 'Fence', executionId: EXECUTION, state: runState('planned') }, deps).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(FenceFailedError);
    expect((error as Error).message).toBe(
      `planned run refuses to promote: old primary READ-ONLY but not fully fenced (read-only): ${LEFT_READ_ONLY.detail}`,
    );
  });

  it('is what the Failover Failed notification of a planned run says, in its state of the world and its text', async () => {
    // Prepare: the PostgreSQL adapter throws for a planned run; NotifyFailed gets the error, not a fence result.
    const thrown = new FenceFailedError(LEFT_READ_ONLY.detail);
    const state = runState('planned');
    const failed = await fence(
      { step: 'Fence', executionId: EXECUTION, state },
      {
        now: () => NOW,
        database: databaseFencing(thrown),
      },
    ).catch((e: Error) => caught(state, e));

    // Act
    const event = buildEvent('NotifyFailed', EXECUTION, failed as FailoverState, NOW);
    const text = formatMessage(event);

    // Assess
    const world = event.detail.stateOfTheWorld as string[];
    expect(world[2]).toBe(`Old primary: the fence did not complete: ${thrown.message}`);
    expect(world[2]).toMatch(/IS read-only \(default_transaction_read_only = on, persisted with ALTER SYSTEM/);
    expect(world[2]).toContain(SESSION);
    expect(world.join('\n')).not.toMatch(/not fenced by this run/);
    expect(event.detail.nextSteps).toBe(nextStepsFor('FenceFailedError'));
    expect(event.detail.nextSteps).toMatch(/If it IS read-only, applications cannot write to it now/);
    expect(text).toContain(`State of the world:`);
    expect(text).toContain('  Old primary: the fence did not complete: old primary 10.0.0.5:5432 IS read-only (');
    expect(text).toContain(SESSION);
  });

  it('is still reported as not fenced by this run when the run stopped before Fence', () => {
    // Act
    const world = describeWorld(caught(runState('planned'), new Error('lag unknown')), plan);

    // Assess
    expect(world[2]).toBe('Old primary: not fenced by this run.');
  });
});
