import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StepFunctionsExecutions } from '#adapters/sfn/executions.js';
import type { FailoverState } from '#core/state.js';
import { loadPlanCatalog } from '#lib/plan-catalog.js';
import * as prepare from '../../functions/prepare.js';
import * as trigger from '../../functions/trigger.js';
import { type Clock, virtualClock } from '../aws-world/clock.js';
import { StepFunctionsWorld } from '../aws-world/sfn.js';
import { ALL_MOCKS, runInput } from '../statemachine/support.js';

const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:dr-failover-prod';
const ALARM_TIME = '2026-12-07T10:00:00Z';
const catalog = loadPlanCatalog('plans');

const context = (): Context =>
  ({
    functionName: 'dr-failover-prod-prepare',
    awsRequestId: 'r-1',
    getRemainingTimeInMillis: () => 15_000,
  }) as Context;

/** A CloudWatch Alarm State Change of an orders alarm, as EventBridge delivers it. */
const alarmEvent = (alarmName = 'orders-db-primary-unhealthy', time = ALARM_TIME) => ({
  source: 'aws.cloudwatch',
  'detail-type': 'CloudWatch Alarm State Change',
  account: '111122223333',
  region: 'eu-west-1',
  time,
  resources: [`arn:aws:cloudwatch:eu-west-1:111122223333:alarm:${alarmName}`],
  detail: {
    alarmName,
    state: { value: 'ALARM', reason: 'Threshold Crossed', timestamp: time.replace('Z', '.000+0000') },
    previousState: { value: 'OK' },
  },
});

/** The world, the real trigger and the real Prepare on the virtual clock; Prepare's waits move the clock. */
const setUp = (listingLagMs: number) => {
  const clock: Clock = virtualClock(new Date('2026-12-07T10:00:30.000Z'));
  const world = new StepFunctionsWorld(clock, STATE_MACHINE_ARN, listingLagMs);
  const fire = trigger.createHandler({
    plans: () => catalog,
    now: () => new Date(),
    executions: () => new StepFunctionsExecutions(STATE_MACHINE_ARN),
  });
  const prepared = prepare.createHandler({
    now: () => new Date(),
    plans: () => catalog,
    sleep: async (ms: number) => clock.advance(ms),
  });
  /** Prepare of the execution `name`, as its first state invokes it: ok, or the error's name. */
  const runPrepare = async (name: string): Promise<string> => {
    const e = world.executions().find((x) => x.name === name);
    try {
      await prepared(
        { step: 'Prepare', executionId: world.executionArnOf(name), state: JSON.parse(e?.input ?? '{}') },
        context(),
      );
      return 'proceeds';
    } catch (error) {
      return (error as Error).name;
    }
  };
  return { clock, world, fire, runPrepare };
};

afterEach(() => {
  for (const m of ALL_MOCKS) m.reset();
  vi.useRealTimers();
});

describe('one run per incident, with ListExecutions lagging behind StartExecution', () => {
  it('lets exactly one of two runs started a second apart proceed, though neither is listed when the other starts', async () => {
    // Prepare: an operator starts a manual run from the console; a second later an alarm reaches the trigger, whose
    // listing does not show the manual run yet (5 s behind), so it starts its own.
    const { clock, world, fire, runPrepare } = setUp(5_000);
    const manual = 'orders-manual-20261207T100030Z';
    await new SFNClient({ region: 'eu-west-1' }).send(
      new StartExecutionCommand({
        stateMachineArn: STATE_MACHINE_ARN,
        name: manual,
        input: JSON.stringify(runInput({ plan: 'orders', incidentStartedAt: ALARM_TIME })),
      }),
    );
    clock.advance(1_000);
    const fired = await fire(alarmEvent(), context());
    expect(fired).toMatchObject({ outcome: 'started' });
    const alarmRun = (fired as { executionName: string }).executionName;

    // Act: both Prepares run within a second of their starts.
    const verdicts = [await runPrepare(manual), await runPrepare(alarmRun)];

    // Assess: the run that started first goes on.
    expect(world.executions()).toHaveLength(2);
    expect(verdicts).toEqual(['proceeds', 'AlreadyInProgressError']);
  });

  it('starts one execution for one alarm delivered twice: the same name and input is the same execution', async () => {
    // Prepare
    const { clock, world, fire } = setUp(5_000);

    // Act
    const first = await fire(alarmEvent(), context());
    clock.advance(500);
    const again = await fire(alarmEvent(), context());

    // Assess
    expect(world.startRequests()).toBe(2);
    expect(world.executions()).toHaveLength(1);
    expect((again as { executionArn?: string }).executionArn).toBe((first as { executionArn?: string }).executionArn);
  });

  it('reports a second alarm of the incident as a duplicate: same name, other input, ExecutionAlreadyExists', async () => {
    // Prepare
    const { clock, world, fire } = setUp(5_000);

    // Act
    const first = await fire(alarmEvent(), context());
    clock.advance(2_000);
    const second = await fire(alarmEvent('orders-api-writes-failing', '2026-12-07T10:00:20Z'), context());

    // Assess
    expect(first).toMatchObject({ outcome: 'started' });
    expect(second).toMatchObject({
      outcome: 'duplicate',
      executionName: (first as { executionName: string }).executionName,
    });
    expect(world.executions()).toHaveLength(1);
  });

  it('lets a lone run proceed once the listing shows it, without waiting longer', async () => {
    // Prepare
    const { clock, world, fire, runPrepare } = setUp(3_000);
    const fired = (await fire(alarmEvent(), context())) as { executionName: string };
    const started = clock.now();

    // Act
    const verdict = await runPrepare(fired.executionName);

    // Assess
    expect(verdict).toBe('proceeds');
    expect(clock.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(clock.now() - started).toBeLessThan(5_000);
    expect(world.executions()).toHaveLength(1);
  });

  it('decides on what it sees when the listing never shows the run within its bound, and says so', async () => {
    // Prepare: the listing is a minute behind.
    const { clock, fire, world } = setUp(60_000);
    const fired = (await fire(alarmEvent(), context())) as { executionName: string };
    const started = clock.now();
    const prepared = prepare.createHandler({
      now: () => new Date(),
      plans: () => catalog,
      sleep: async (ms: number) => clock.advance(ms),
    });

    // Act
    const state = (await prepared(
      {
        step: 'Prepare',
        executionId: world.executionArnOf(fired.executionName),
        state: JSON.parse(world.executions()[0]?.input ?? '{}'),
      },
      context(),
    )) as FailoverState;

    // Assess
    expect(clock.now() - started).toBeLessThan(15_000);
    expect(state.timeline[0]?.outcome).toContain('ListExecutions did not show this run');
  });
});
