import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  type ExecutionListItem,
  ListExecutionsCommand,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
  type StartExecutionCommandInput,
} from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StepFunctionsExecutions } from '#adapters/sfn/executions.js';
import { AwsRequestFailedError, ThrottledError } from '#core/errors.js';
import { type ExecutionInput, parseExecutionInput } from '#core/input.js';
import { type Plan, type PlanInput, parsePlan } from '#core/plan.js';
import type { ExecutionStarter, ExecutionSummary } from '#core/ports.js';
import { type AlarmStateChangeEvent, decideTrigger, executionName, runTrigger, windowStamp } from '#core/trigger.js';
import { logger } from '#lib/logger.js';
import { loadPlanCatalog, loadPlanFile } from '#lib/plan-catalog.js';
import { createHandler } from '../../functions/trigger.js';

const sfn = mockClient(SFNClient);

afterEach(() => {
  sfn.reset();
  vi.restoreAllMocks();
});

const ACCOUNT = '111122223333';
const STATE_MACHINE_ARN = `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:dr-failover-dev`;
const ORDERS_ALARM = 'orders-db-primary-unhealthy';
const ORDERS_ALARM_2 = 'orders-api-writes-failing';
/** 03:17 is inside the orders window 03:15–03:30 (windowMinutes 15). */
const INCIDENT = '2026-11-25T03:17:12.000Z';
const FIXED_NOW = new Date('2026-11-25T03:18:00.000Z');

const catalog = loadPlanCatalog('plans');
const orders = loadPlanFile('plans/orders.yml');

/** Step Functions' execution name rule, written out independently of the code under test. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are part of the rule being checked
const REFUSED_IN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;
const isValidExecutionName = (name: string) => name.length >= 1 && name.length <= 80 && !REFUSED_IN_NAME.test(name);

/** A CloudWatch Alarm State Change event as EventBridge delivers it. */
const alarmEvent = (
  overrides: {
    alarmName?: string;
    value?: string;
    previous?: string;
    account?: string;
    region?: string;
    timestamp?: string;
    time?: string;
    reason?: string;
  } = {},
): AlarmStateChangeEvent => {
  const alarmName = overrides.alarmName ?? ORDERS_ALARM;
  const region = overrides.region ?? 'eu-west-1';
  const account = overrides.account ?? ACCOUNT;
  return {
    source: 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    account,
    region,
    time: overrides.time ?? INCIDENT.replace('.000', ''),
    resources: [`arn:aws:cloudwatch:${region}:${account}:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: {
        value: overrides.value ?? 'ALARM',
        reason:
          overrides.reason ??
          'Threshold Crossed: 1 out of the last 1 datapoints [0.0 (25/11/26 03:16:00)] was less than the threshold (1.0).',
        // CloudWatch writes the offset without a colon.
        timestamp: overrides.timestamp ?? INCIDENT.replace('Z', '+0000'),
      },
      previousState: { value: overrides.previous ?? 'OK' },
    },
  };
};

/** A plan with extra alarms, for names the example plans do not use. */
const ordersWithAlarms = (alarms: string[]): ReadonlyMap<string, Plan> => {
  const raw = JSON.parse(JSON.stringify(orders)) as PlanInput;
  return new Map([['orders', parsePlan({ ...raw, trigger: { ...raw.trigger, alarms } }, 'test')]]);
};

const startDecision = (event: unknown, plans: ReadonlyMap<string, Plan> = catalog, now = FIXED_NOW) => {
  const decision = decideTrigger(event, plans, now);
  if (!decision.start) throw new Error(`expected a start, got: ${decision.reason}`);
  return decision;
};

const minutesBefore = (minutes: number, from = FIXED_NOW) => new Date(from.getTime() - minutes * 60_000);

const lambdaContext = (): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'dr-failover-dev-trigger',
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:dr-failover-dev-trigger`,
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/dr-failover-dev-trigger',
  logStreamName: '2026/11/25/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

const newHandler = (plans: ReadonlyMap<string, Plan> = catalog) =>
  createHandler({
    plans: () => plans,
    now: () => FIXED_NOW,
    executions: () => new StepFunctionsExecutions(STATE_MACHINE_ARN),
  });

const listItem = (name: string, status: ExecutionListItem['status'], startDate: Date, stopDate?: Date) => ({
  executionArn: `arn:aws:states:eu-west-1:${ACCOUNT}:execution:dr-failover-dev:${name}`,
  stateMachineArn: STATE_MACHINE_ARN,
  name,
  status,
  startDate,
  ...(stopDate ? { stopDate } : {}),
});

/** An ExecutionStarter that records what it is asked, for the pure runTrigger tests. `inputs`: by execution name. */
const fakeExecutions = (recent: ExecutionSummary[] = [], inputs: Record<string, unknown> = {}) => {
  const calls = {
    since: [] as Date[],
    described: [] as string[],
    started: [] as { name: string; input: ExecutionInput }[],
  };
  const starter: ExecutionStarter = {
    recentExecutions: async (since) => {
      calls.since.push(since);
      return recent.map((e) => ({ ...e, executionArn: `arn:aws:states:eu-west-1:${ACCOUNT}:execution:x:${e.name}` }));
    },
    describeExecution: async (executionArn) => {
      calls.described.push(executionArn);
      const name = executionArn.split(':').at(-1) ?? '';
      return { executionArn, name, input: inputs[name] };
    },
    start: async (name, input) => {
      calls.started.push({ name, input });
      return { outcome: 'started', executionArn: `arn:aws:states:eu-west-1:${ACCOUNT}:execution:x:${name}` };
    },
  };
  return { starter, calls };
};

describe('windowStamp', () => {
  it('formats the start of the window as a sortable stamp without colons', () => {
    // Act
    const stamp = windowStamp(new Date('2026-11-25T03:17:12.345Z'), 15);

    // Assess
    expect(stamp).toBe('20261125T0315Z');
  });

  it('maps the last millisecond of a window and the first of the next to different stamps', () => {
    // Prepare
    const last = new Date('2026-11-25T03:29:59.999Z');
    const next = new Date('2026-11-25T03:30:00.000Z');

    // Act
    const before = windowStamp(last, 15);
    const after = windowStamp(next, 15);

    // Assess
    expect(before).toBe('20261125T0315Z');
    expect(after).toBe('20261125T0330Z');
  });

  it('maps every minute of a one-minute window to its own stamp', () => {
    // Act
    const a = windowStamp(new Date('2026-11-10T14:00:59Z'), 1);
    const b = windowStamp(new Date('2026-11-10T14:01:00Z'), 1);

    // Assess
    expect(a).toBe('20261110T1400Z');
    expect(b).toBe('20261110T1401Z');
  });
});

describe('executionName', () => {
  it('joins plan, kind and window stamp', () => {
    // Act
    const name = executionName('orders', 'alarm', '20261125T0315Z');

    // Assess
    expect(name).toBe('orders-alarm-20261125T0315Z');
    expect(isValidExecutionName(name)).toBe(true);
  });

  it.each([
    ['whitespace and brackets', 'a b\tc<d>{e}[f]', 'alarm'],
    ['wildcards and quotes', 'x?y*z"', 'alarm'],
    ['listed punctuation', '#%\\^|~`$&,;:/', 'gameday'],
    ['control characters', 'a\u0000b\u001fc\u007fd\u0085e\u009f', 'alarm'],
    ['unicode whitespace', 'a\u00a0b\u2028c\u3000d', 'alarm'],
    ['an overlong plan', 'p'.repeat(200), 'alarm'],
    ['an overlong kind', 'orders', 'k:'.repeat(100)],
  ])('is a valid Step Functions name for %s', (_what, plan, kind) => {
    // Act
    const name = executionName(plan, kind, '20261125T0315Z');

    // Assess
    expect(isValidExecutionName(name)).toBe(true);
  });
});

describe('decideTrigger', () => {
  it.each(['OK', 'INSUFFICIENT_DATA'])('starts an unplanned run when an alarm moves from %s to ALARM', (previous) => {
    // Prepare
    const event = alarmEvent({ previous });

    // Act
    const decision = startDecision(event);

    // Assess
    expect(decision.plan.name).toBe('orders');
    expect(decision.executionName).toBe('orders-alarm-20261125T0315Z');
    expect(decision.input).toEqual({
      plan: 'orders',
      mode: 'unplanned',
      dryRun: false,
      reason: expect.stringContaining(`alarm ${ORDERS_ALARM} entered ALARM: Threshold Crossed`),
      requestedBy: `alarm:${ORDERS_ALARM}`,
      incidentStartedAt: INCIDENT,
      overrideCooldown: false,
      trigger: { kind: 'alarm', source: `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:${ORDERS_ALARM}` },
    });
  });

  it('builds an input that Prepare accepts', () => {
    // Prepare
    const { input } = startDecision(alarmEvent());

    // Act
    const parsed = parseExecutionInput(JSON.parse(JSON.stringify(input)));

    // Assess
    expect(parsed).toEqual(input);
  });

  it.each([
    ['ALARM', 'ALARM', 'was already in ALARM'],
    ['ALARM', 'OK', 'moved to OK, not ALARM'],
    ['OK', 'INSUFFICIENT_DATA', 'moved to INSUFFICIENT_DATA, not ALARM'],
  ])('ignores a transition from %s to %s and says why', (previous, value, why) => {
    // Prepare
    const event = alarmEvent({ previous, value });

    // Act
    const decision = decideTrigger(event, catalog, FIXED_NOW);

    // Assess
    expect(decision).toEqual({ start: false, reason: expect.stringContaining(why) });
  });

  it('ignores an alarm no plan names', () => {
    // Prepare
    const event = alarmEvent({ alarmName: 'billing-latency-high' });

    // Act
    const decision = decideTrigger(event, catalog, FIXED_NOW);

    // Assess
    expect(decision).toEqual({ start: false, reason: 'no plan names alarm billing-latency-high' });
  });

  it.each([
    ['another account', { account: '999988887777' }],
    ['the primary region', { region: 'us-east-1' }],
    ['an unrelated region', { region: 'ap-southeast-2' }],
  ])('ignores a plan alarm that comes from %s', (_what, overrides) => {
    // Prepare
    const event = alarmEvent(overrides);

    // Act
    const decision = decideTrigger(event, catalog, FIXED_NOW);

    // Assess
    expect(decision.start).toBe(false);
    expect(decision).toMatchObject({ reason: expect.stringContaining('not a plan') });
  });

  it.each([
    ['null', null],
    ['a string', 'ALARM'],
    ['an array', [alarmEvent()]],
    ['an EC2 event', { ...alarmEvent(), source: 'aws.ec2' }],
    ['another detail type', { ...alarmEvent(), 'detail-type': 'CloudWatch Alarm Configuration Change' }],
    ['an event without a state', { ...alarmEvent(), detail: { alarmName: ORDERS_ALARM } }],
  ])('ignores %s as not an alarm state change', (_what, event) => {
    // Act
    const decision = decideTrigger(event, catalog, FIXED_NOW);

    // Assess
    expect(decision).toEqual({ start: false, reason: 'not a CloudWatch Alarm State Change or game-day event' });
  });

  it('ignores an alarm event with no valid time anywhere', () => {
    // Prepare
    const event = alarmEvent({ timestamp: 'yesterday', time: 'not a time' });

    // Act
    const decision = decideTrigger(event, catalog, FIXED_NOW);

    // Assess
    expect(decision).toEqual({ start: false, reason: `alarm event for ${ORDERS_ALARM} has no valid time` });
  });

  it('falls back to the event time when the state has no valid timestamp', () => {
    // Prepare
    const event = alarmEvent({ timestamp: 'garbage', time: '2026-11-25T03:44:00Z' });

    // Act
    const decision = startDecision(event, catalog, new Date('2026-11-25T03:45:00Z'));

    // Assess
    expect(decision.executionName).toBe('orders-alarm-20261125T0330Z');
    expect(decision.input.incidentStartedAt).toBe('2026-11-25T03:44:00.000Z');
  });

  it('takes an alarm time ahead of its clock as now: the incident started no later than the trigger heard of it', () => {
    // Prepare: CloudWatch's clock 20 minutes ahead of the trigger's.
    const event = alarmEvent({ timestamp: '2026-11-25T03:38:00.000+0000', time: '2026-11-25T03:38:00Z' });

    // Act
    const decision = startDecision(event);

    // Assess
    expect(decision.input.incidentStartedAt).toBe(FIXED_NOW.toISOString());
    expect(decision.executionName).toBe('orders-alarm-20261125T0315Z');
    expect(parseExecutionInput(decision.input, FIXED_NOW)).toEqual(decision.input);
  });

  it('ignores an alarm event too old for Prepare to accept a quarter of an hour later, saying why', () => {
    // Prepare: 23 h 50 min old, an event replayed from an archive or retried all day.
    const event = alarmEvent({ timestamp: '2026-11-24T03:28:00.000+0000', time: '2026-11-24T03:28:00Z' });

    // Act
    const decision = decideTrigger(event, catalog, FIXED_NOW);

    // Assess
    expect(decision).toEqual({
      start: false,
      reason:
        `alarm event for ${ORDERS_ALARM} is from 2026-11-24T03:28:00.000Z, too old for Prepare (24 h, less 15 min ` +
        'for it to run) at 2026-11-25T03:18:00.000Z: a replayed or stale event starts no failover',
    });
  });

  it.each([
    ['C1 controls', 'a\u0085b\u009bc', 'a b c'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a b c'],
    ['bidirectional overrides and isolates', 'a\u202eb\u2067c', 'a b c'],
    ['a lone surrogate', 'a\ud800b', 'a\ufffdb'],
  ])('turns a reason with %s into text Prepare accepts', (_what, raw, cleaned) => {
    // Prepare
    const event = alarmEvent({ reason: raw });

    // Act
    const { input } = startDecision(event);

    // Assess
    expect(input.reason).toBe(`alarm ${ORDERS_ALARM} entered ALARM: ${cleaned}`);
    expect(parseExecutionInput(input, FIXED_NOW)).toEqual(input);
  });

  it('cuts a long reason to 1000 units without splitting a surrogate pair', () => {
    // Prepare: CloudWatch's longest reason, of characters outside the Basic Multilingual Plane.
    const event = alarmEvent({ reason: '\u{1f525}'.repeat(1023) });

    // Act
    const { input } = startDecision(event);

    // Assess
    expect(input.reason.length).toBe(999);
    expect(input.reason.endsWith('\u{1f525}')).toBe(true);
    expect(parseExecutionInput(input, FIXED_NOW)).toEqual(input);
  });

  it.each([
    ['no resources', { resources: undefined }],
    ['an empty resources list', { resources: [] }],
    ['resources that are not strings', { resources: [42, null] }],
  ])("names the plan's alarm ARN as the source for an event with %s", (_what, change) => {
    // Prepare
    const event = { ...alarmEvent(), ...change };

    // Act
    const { input } = startDecision(event);

    // Assess
    expect(input.trigger).toEqual({
      kind: 'alarm',
      source: `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:${ORDERS_ALARM}`,
    });
  });

  it('starts a run from an alarm event whose reason and timestamp are not strings, timed by the event', () => {
    // Prepare
    const base = alarmEvent();
    const event = { ...base, detail: { ...base.detail, state: { value: 'ALARM', reason: 42, timestamp: {} } } };

    // Act
    const { input } = startDecision(event);

    // Assess
    expect(input.reason).toBe(`alarm ${ORDERS_ALARM} entered ALARM`);
    expect(input.incidentStartedAt).toBe(INCIDENT);
  });

  it('gives two alarms of one plan within the window the same execution name', () => {
    // Prepare
    const first = alarmEvent({ alarmName: ORDERS_ALARM, timestamp: '2026-11-25T03:15:00.000+0000' });
    const second = alarmEvent({ alarmName: ORDERS_ALARM_2, timestamp: '2026-11-25T03:29:59.999+0000' });

    // Act
    const a = startDecision(first);
    const b = startDecision(second);

    // Assess
    expect(a.executionName).toBe(b.executionName);
    expect(a.input.requestedBy).not.toBe(b.input.requestedBy);
  });

  it('gives alarms on either side of a window boundary different execution names', () => {
    // Prepare
    const before = alarmEvent({ timestamp: '2026-11-25T03:29:59.999+0000' });
    const after = alarmEvent({ alarmName: ORDERS_ALARM_2, timestamp: '2026-11-25T03:30:00.000+0000' });

    // Act
    const a = startDecision(before, catalog, new Date('2026-11-25T03:31:00Z'));
    const b = startDecision(after, catalog, new Date('2026-11-25T03:31:00Z'));

    // Assess
    expect(a.executionName).toBe('orders-alarm-20261125T0315Z');
    expect(b.executionName).toBe('orders-alarm-20261125T0330Z');
  });

  it.each([
    'orders db: primary/#1 +=@',
    'a'.repeat(255),
    'orders.db.primary:unhealthy/eu-west-1',
    'orders#1 @ on-call = paged',
  ])('gives a valid execution name for alarm %s', (alarmName) => {
    // Prepare
    const plans = ordersWithAlarms([alarmName]);
    const event = alarmEvent({ alarmName });

    // Act
    const decision = startDecision(event, plans);

    // Assess
    expect(isValidExecutionName(decision.executionName)).toBe(true);
    expect(decision.executionName).toBe('orders-alarm-20261125T0315Z');
  });

  it('starts a game day with the dry-run flag and mode of the plan', () => {
    // Prepare
    const event = { kind: 'gameday', plan: 'orders', time: '2026-11-10T14:00:00Z' };

    // Act
    const decision = startDecision(event, catalog, new Date('2026-11-10T14:00:01Z'));

    // Assess
    expect(decision.executionName).toBe('orders-gameday-20261110T1400Z');
    expect(isValidExecutionName(decision.executionName)).toBe(true);
    expect(decision.input).toEqual({
      plan: 'orders',
      mode: 'planned',
      dryRun: true,
      reason: 'scheduled game day (cron(0 14 ? * TUE#2 *))',
      requestedBy: 'schedule:gameday',
      incidentStartedAt: '2026-11-10T14:00:00.000Z',
      overrideCooldown: false,
      trigger: { kind: 'schedule', source: 'cron(0 14 ? * TUE#2 *)' },
    });
    expect(parseExecutionInput(decision.input)).toEqual(decision.input);
  });

  it('takes an unplanned, real game day from a plan that asks for one', () => {
    // Prepare
    const raw = JSON.parse(JSON.stringify(orders)) as PlanInput;
    const plan = parsePlan({ ...raw, gameday: { schedule: 'rate(7 days)', dryRun: false, mode: 'unplanned' } }, 'test');
    const event = { kind: 'gameday', plan: 'orders', time: '2026-11-10T14:00:30Z' };

    // Act
    const decision = startDecision(event, new Map([['orders', plan]]), new Date('2026-11-10T14:00:31Z'));

    // Assess
    expect(decision.input).toMatchObject({ mode: 'unplanned', dryRun: false });
  });

  it.each([
    ['a plan without a game day', 'orders', false, '2026-11-10T14:00:00Z', 'no game day is planned for plan orders'],
    ['an unknown plan', 'payments', true, '2026-11-10T14:00:00Z', 'no game day is planned for plan payments'],
    ['an invalid time', 'orders', true, 'tuesday', 'game-day event has no valid time (tuesday)'],
  ])('ignores a game-day event for %s', (_what, plan, withGameday, time, reason) => {
    // Prepare
    const raw = JSON.parse(JSON.stringify(orders)) as PlanInput;
    const { gameday: _drop, ...withoutGameday } = raw;
    const plans = new Map([['orders', parsePlan(withGameday ? raw : withoutGameday, 'test')]]);

    // Act
    const decision = decideTrigger({ kind: 'gameday', plan, time }, plans, FIXED_NOW);

    // Assess
    expect(decision).toEqual({ start: false, reason });
  });
});

describe('runTrigger', () => {
  it('starts the decided execution when nothing blocks it, looking back one cooldown and the longest run', async () => {
    // Prepare
    const { starter, calls } = fakeExecutions();

    // Act
    const result = await runTrigger(alarmEvent(), { plans: () => catalog, now: () => FIXED_NOW, executions: starter });

    // Assess
    expect(result).toEqual({
      outcome: 'started',
      plan: 'orders',
      executionName: 'orders-alarm-20261125T0315Z',
      executionArn: `arn:aws:states:eu-west-1:${ACCOUNT}:execution:x:orders-alarm-20261125T0315Z`,
    });
    expect(calls.since).toEqual([minutesBefore(60 + 24 * 60)]);
    expect(calls.started).toHaveLength(1);
  });

  it('ignores without listing executions when the event does not start a run', async () => {
    // Prepare
    const { starter, calls } = fakeExecutions();

    // Act
    const result = await runTrigger(alarmEvent({ value: 'OK', previous: 'ALARM' }), {
      plans: () => catalog,
      now: () => FIXED_NOW,
      executions: starter,
    });

    // Assess
    expect(result.outcome).toBe('ignored');
    expect(calls.since).toEqual([]);
    expect(calls.started).toEqual([]);
  });

  it('is blocked by a RUNNING execution of the plan and says which', async () => {
    // Prepare
    const { starter, calls } = fakeExecutions([
      { name: 'orders-alarm-20261125T0245Z', status: 'RUNNING', startDate: minutesBefore(25) },
    ]);

    // Act
    const result = await runTrigger(alarmEvent(), { plans: () => catalog, now: () => FIXED_NOW, executions: starter });

    // Assess
    expect(result).toEqual({
      outcome: 'blocked',
      plan: 'orders',
      executionName: 'orders-alarm-20261125T0315Z',
      reason: expect.stringMatching(/^run orders-alarm-20261125T0245Z of plan orders .* is running/),
    });
    expect(calls.started).toEqual([]);
    // An alarm run's name says whose it is and that it is real: nothing to describe.
    expect(calls.described).toEqual([]);
  });

  it('is blocked by a SUCCEEDED run inside the cooldown', async () => {
    // Prepare
    const { starter, calls } = fakeExecutions([
      {
        name: 'orders-alarm-20261125T0230Z',
        status: 'SUCCEEDED',
        startDate: minutesBefore(45),
        stopDate: minutesBefore(35),
      },
    ]);

    // Act
    const result = await runTrigger(alarmEvent(), { plans: () => catalog, now: () => FIXED_NOW, executions: starter });

    // Assess
    expect(result).toMatchObject({
      outcome: 'blocked',
      reason: expect.stringMatching(
        /^run orders-alarm-20261125T0230Z of plan orders succeeded at 2026-11-25T02:43:00.000Z, inside the plan's 60-minute cooldown/,
      ),
    });
    expect(calls.started).toEqual([]);
  });

  it('is not blocked by a FAILED run or a dry-run game day inside the cooldown', async () => {
    // Prepare
    const { starter, calls } = fakeExecutions(
      [
        {
          name: 'orders-alarm-20261125T0300Z',
          status: 'FAILED',
          startDate: minutesBefore(15),
          stopDate: minutesBefore(10),
        },
        {
          name: 'orders-gameday-20261125T0250Z',
          status: 'SUCCEEDED',
          startDate: minutesBefore(28),
          stopDate: minutesBefore(20),
        },
      ],
      { 'orders-gameday-20261125T0250Z': { plan: 'orders', dryRun: true } },
    );

    // Act
    const result = await runTrigger(alarmEvent(), { plans: () => catalog, now: () => FIXED_NOW, executions: starter });

    // Assess
    expect(result.outcome).toBe('started');
    expect(calls.started.map((c) => c.name)).toEqual(['orders-alarm-20261125T0315Z']);
  });

  it('is not held up by a RUNNING dry-run game day: a dry run never blocks a real failover', async () => {
    // Prepare
    const { starter, calls } = fakeExecutions(
      [{ name: 'orders-gameday-20261125T0310Z', status: 'RUNNING', startDate: minutesBefore(8) }],
      { 'orders-gameday-20261125T0310Z': { plan: 'orders', mode: 'planned', dryRun: true } },
    );

    // Act
    const result = await runTrigger(alarmEvent(), { plans: () => catalog, now: () => FIXED_NOW, executions: starter });

    // Assess
    expect(result.outcome).toBe('started');
    expect(calls.described).toEqual([`arn:aws:states:eu-west-1:${ACCOUNT}:execution:x:orders-gameday-20261125T0310Z`]);
  });

  it("is blocked by a RUNNING console run whose input names the plan, whatever the run's name", async () => {
    // Prepare
    const { starter, calls } = fakeExecutions(
      [
        { name: 'ana-failover-orders', status: 'RUNNING', startDate: minutesBefore(3) },
        { name: 'feature-store-alarm-20261125T0315Z', status: 'RUNNING', startDate: minutesBefore(2) },
      ],
      { 'ana-failover-orders': { plan: 'orders', mode: 'unplanned', dryRun: false } },
    );

    // Act
    const result = await runTrigger(alarmEvent(), { plans: () => catalog, now: () => FIXED_NOW, executions: starter });

    // Assess
    expect(result).toMatchObject({ outcome: 'blocked', reason: expect.stringContaining('run ana-failover-orders') });
    // Another deployed plan's run is known by its name and never described.
    expect(calls.described).toEqual([`arn:aws:states:eu-west-1:${ACCOUNT}:execution:x:ana-failover-orders`]);
    expect(calls.started).toEqual([]);
  });

  it('does not count its own execution name as a blocker', async () => {
    // Prepare
    const { starter, calls } = fakeExecutions([
      { name: 'orders-alarm-20261125T0315Z', status: 'RUNNING', startDate: minutesBefore(1) },
    ]);

    // Act
    const result = await runTrigger(alarmEvent({ alarmName: ORDERS_ALARM_2 }), {
      plans: () => catalog,
      now: () => FIXED_NOW,
      executions: starter,
    });

    // Assess
    expect(result.outcome).toBe('started');
    expect(calls.started).toHaveLength(1);
  });
});

describe('StepFunctionsExecutions', () => {
  it('starts an execution of the state machine with the name and the JSON input', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec:1', startDate: FIXED_NOW });
    const { executionName: name, input } = startDecision(alarmEvent());

    // Act
    const out = await new StepFunctionsExecutions(STATE_MACHINE_ARN).start(name, input);

    // Assess
    expect(out).toEqual({ outcome: 'started', executionArn: 'arn:exec:1' });
    expect(sfn).toReceiveCommandExactlyOnceWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARN,
      name,
      input: JSON.stringify(input),
    });
  });

  it("returns 'duplicate' when Step Functions already has an execution of that name", async () => {
    // Prepare
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ $metadata: {}, message: 'Execution Already Exists: orders-alarm-x' }));

    // Act
    const out = await new StepFunctionsExecutions(STATE_MACHINE_ARN).start(
      'orders-alarm-x',
      startDecision(alarmEvent()).input,
    );

    // Assess
    expect(out).toEqual({ outcome: 'duplicate' });
  });

  it('throws ThrottledError keeping the cause when StartExecution is throttled', async () => {
    // Prepare
    const throttled = new SFNServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'Rate exceeded',
    });
    sfn.on(StartExecutionCommand).rejects(throttled);

    // Act
    const attempt = new StepFunctionsExecutions(STATE_MACHINE_ARN).start(
      'orders-alarm-x',
      startDecision(alarmEvent()).input,
    );

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ThrottledError);
    await expect(attempt).rejects.toMatchObject({ name: 'ThrottledError', cause: throttled });
  });

  it('throws ThrottledError when ListExecutions is throttled', async () => {
    // Prepare
    sfn
      .on(ListExecutionsCommand)
      .rejects(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: {}, message: 'x' }));

    // Act
    const attempt = new StepFunctionsExecutions(STATE_MACHINE_ARN).recentExecutions(minutesBefore(60));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ThrottledError);
  });

  it('throws AwsRequestFailedError when the state machine does not exist', async () => {
    // Prepare
    sfn
      .on(StartExecutionCommand)
      .rejects(
        new SFNServiceException({ name: 'StateMachineDoesNotExist', $fault: 'client', $metadata: {}, message: 'gone' }),
      );

    // Act
    const attempt = new StepFunctionsExecutions(STATE_MACHINE_ARN).start(
      'orders-alarm-x',
      startDecision(alarmEvent()).input,
    );

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(AwsRequestFailedError);
  });

  it('lists every RUNNING execution, then follows nextToken and stops once executions are older than the window', async () => {
    // Prepare
    const since = minutesBefore(60);
    sfn
      .on(ListExecutionsCommand)
      .resolves({ executions: [], nextToken: 'page-4' })
      .on(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN, statusFilter: 'RUNNING' })
      .resolves({ executions: [listItem('orders-alarm-old', 'RUNNING', minutesBefore(300))] })
      .on(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN, nextToken: undefined, statusFilter: undefined })
      .resolves({
        executions: [
          listItem('orders-alarm-a', 'RUNNING', minutesBefore(5)),
          listItem('orders-alarm-b', 'FAILED', minutesBefore(20), minutesBefore(18)),
        ],
        nextToken: 'page-2',
      })
      .on(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN, nextToken: 'page-2' })
      .resolves({
        executions: [
          listItem('orders-alarm-c', 'SUCCEEDED', minutesBefore(50), minutesBefore(40)),
          listItem('orders-alarm-d', 'SUCCEEDED', minutesBefore(70), minutesBefore(65)),
        ],
        nextToken: 'page-3',
      })
      .on(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN, nextToken: 'page-3' })
      .resolves({ executions: [listItem('orders-alarm-e', 'SUCCEEDED', minutesBefore(200))] });

    // Act
    const found = await new StepFunctionsExecutions(STATE_MACHINE_ARN).recentExecutions(since);

    // Assess
    expect(found.map((e) => e.name)).toEqual([
      'orders-alarm-old',
      'orders-alarm-b',
      'orders-alarm-c',
      'orders-alarm-d',
    ]);
    expect(sfn).toHaveReceivedCommandTimes(ListExecutionsCommand, 3);
    expect(sfn).toHaveReceivedNthCommandWith(ListExecutionsCommand, 1, { statusFilter: 'RUNNING' });
    expect(sfn).toHaveReceivedNthCommandWith(ListExecutionsCommand, 3, { nextToken: 'page-2' });
  });

  it('stops after the last page when every execution is recent', async () => {
    // Prepare
    sfn.on(ListExecutionsCommand).resolves({ executions: [listItem('orders-alarm-a', 'SUCCEEDED', minutesBefore(1))] });

    // Act
    const found = await new StepFunctionsExecutions(STATE_MACHINE_ARN).recentExecutions(minutesBefore(60));

    // Assess: one RUNNING listing, one recent listing, no further pages
    expect(found).toHaveLength(2);
    expect(sfn).toHaveReceivedCommandTimes(ListExecutionsCommand, 2);
  });
});

describe('trigger handler', () => {
  it('starts one execution for a plan alarm and returns the outcome', async () => {
    // Prepare
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec:orders', startDate: FIXED_NOW });
    const handler = newHandler();

    // Act
    const result = await handler(alarmEvent(), lambdaContext());

    // Assess
    expect(result).toEqual({
      outcome: 'started',
      plan: 'orders',
      executionName: 'orders-alarm-20261125T0315Z',
      executionArn: 'arn:exec:orders',
    });
    expect(sfn).toReceiveCommandExactlyOnceWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARN,
      name: 'orders-alarm-20261125T0315Z',
    });
    const sent = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '';
    expect(parseExecutionInput(JSON.parse(sent))).toMatchObject({ plan: 'orders', mode: 'unplanned' });
  });

  it('ignores an ALARM→ALARM event without calling Step Functions', async () => {
    // Prepare
    const handler = newHandler();

    // Act
    const result = await handler(alarmEvent({ previous: 'ALARM' }), lambdaContext());

    // Assess
    expect(result).toEqual({ outcome: 'ignored', reason: `alarm ${ORDERS_ALARM} was already in ALARM` });
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  it.each([
    [
      'an OK transition',
      alarmEvent({ previous: 'ALARM', value: 'OK' }),
      `alarm ${ORDERS_ALARM} moved to OK, not ALARM`,
    ],
    [
      'an INSUFFICIENT_DATA transition',
      alarmEvent({ previous: 'OK', value: 'INSUFFICIENT_DATA' }),
      `alarm ${ORDERS_ALARM} moved to INSUFFICIENT_DATA, not ALARM`,
    ],
    [
      'an alarm no plan names',
      alarmEvent({ alarmName: 'billing-latency-high' }),
      'no plan names alarm billing-latency-high',
    ],
    [
      'a plan alarm from another account',
      alarmEvent({ account: '999988887777' }),
      `alarm ${ORDERS_ALARM} came from account 999988887777 in eu-west-1, not a plan's account and standby region`,
    ],
    [
      "a plan alarm from the plan's primary region",
      alarmEvent({ region: 'us-east-1' }),
      `alarm ${ORDERS_ALARM} came from account ${ACCOUNT} in us-east-1, not a plan's account and standby region`,
    ],
  ])('ignores %s, logging why, without calling Step Functions', async (_what, event, why) => {
    // Prepare
    const info = vi.spyOn(logger, 'info').mockImplementation(() => undefined);
    const handler = newHandler();

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result).toEqual({ outcome: 'ignored', reason: why });
    expect(info).toHaveBeenCalledWith('event ignored', { outcome: 'ignored', reason: why });
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  it('logs a blocked event with the run that blocks it', async () => {
    // Prepare
    const info = vi.spyOn(logger, 'info').mockImplementation(() => undefined);
    sfn
      .on(ListExecutionsCommand)
      .resolves({ executions: [listItem('orders-alarm-20261125T0300Z', 'RUNNING', minutesBefore(18))] });
    const handler = newHandler();

    // Act
    await handler(alarmEvent(), lambdaContext());

    // Assess
    expect(info).toHaveBeenCalledWith(
      'event blocked',
      expect.objectContaining({
        outcome: 'blocked',
        plan: 'orders',
        reason: expect.stringContaining('run orders-alarm-20261125T0300Z of plan orders'),
      }),
    );
  });

  it("returns 'duplicate' when a sibling event already started the incident's execution", async () => {
    // Prepare
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ $metadata: {}, message: 'exists' }));
    const handler = newHandler();

    // Act
    const result = await handler(alarmEvent({ alarmName: ORDERS_ALARM_2 }), lambdaContext());

    // Assess
    expect(result).toEqual({ outcome: 'duplicate', plan: 'orders', executionName: 'orders-alarm-20261125T0315Z' });
  });

  it('is blocked by a RUNNING execution of the plan found on ListExecutions', async () => {
    // Prepare
    sfn
      .on(ListExecutionsCommand)
      .resolves({ executions: [listItem('orders-alarm-20261125T0300Z', 'RUNNING', minutesBefore(18))] });
    const handler = newHandler();

    // Act
    const result = await handler(alarmEvent(), lambdaContext());

    // Assess
    expect(result).toMatchObject({
      outcome: 'blocked',
      reason: expect.stringContaining('run orders-alarm-20261125T0300Z of plan orders'),
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('describes a RUNNING game day and starts the alarm run when it is a dry run', async () => {
    // Prepare
    const gameday = listItem('orders-gameday-20261125T0310Z', 'RUNNING', minutesBefore(8));
    sfn.on(ListExecutionsCommand).resolves({ executions: [gameday] });
    sfn.on(DescribeExecutionCommand, { executionArn: gameday.executionArn }).resolves({
      ...gameday,
      input: JSON.stringify({ plan: 'orders', mode: 'planned', dryRun: true }),
    });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec:orders', startDate: FIXED_NOW });
    const handler = newHandler();

    // Act
    const result = await handler(alarmEvent(), lambdaContext());

    // Assess
    expect(result).toMatchObject({ outcome: 'started', executionName: 'orders-alarm-20261125T0315Z' });
    expect(sfn).toReceiveCommandExactlyOnceWith(DescribeExecutionCommand, { executionArn: gameday.executionArn });
  });

  it('starts the run when ListExecutions is throttled, saying the check was skipped (Prepare checks anyway)', async () => {
    // Prepare
    sfn
      .on(ListExecutionsCommand)
      .rejects(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: {}, message: 'x' }));
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec:orders', startDate: FIXED_NOW });
    const handler = newHandler();

    // Act
    const result = await handler(alarmEvent(), lambdaContext());

    // Assess
    expect(result).toEqual({
      outcome: 'started',
      plan: 'orders',
      executionName: 'orders-alarm-20261125T0315Z',
      executionArn: 'arn:exec:orders',
      unchecked: expect.stringMatching(/^ThrottledError: ListExecutions .* failed: ThrottlingException/),
    });
  });

  it('lets a terminal ListExecutions failure (access denied) escape, starting nothing', async () => {
    // Prepare
    sfn
      .on(ListExecutionsCommand)
      .rejects(
        new SFNServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: {}, message: 'no' }),
      );
    const handler = newHandler();

    // Act
    const attempt = handler(alarmEvent(), lambdaContext());

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'AwsRequestFailedError' });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('lets a throttled StartExecution escape as ThrottledError so the event is retried', async () => {
    // Prepare
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    sfn
      .on(StartExecutionCommand)
      .rejects(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: {}, message: 'x' }));
    const handler = newHandler();

    // Act
    const attempt = handler(alarmEvent(), lambdaContext());

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'ThrottledError' });
  });

  it('starts a game day as a planned dry run from the schedule input', async () => {
    // Prepare
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec:gameday', startDate: FIXED_NOW });
    const handler = newHandler();

    // Act
    const result = await handler({ kind: 'gameday', plan: 'orders', time: '2026-11-25T03:18:00Z' }, lambdaContext());

    // Assess
    expect(result).toMatchObject({ outcome: 'started', executionName: 'orders-gameday-20261125T0318Z' });
    const sent = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}') as ExecutionInput;
    expect(sent).toMatchObject({ mode: 'planned', dryRun: true, trigger: { kind: 'schedule' } });
  });

  it('starts exactly one execution for 500 concurrent alarm events of one incident, ListExecutions throttled', async () => {
    // Prepare: a Step Functions fake that enforces the name rule and lists what was started.
    const started = new Map<string, { input: string; arn: string; startDate: Date }>();
    sfn.on(StartExecutionCommand).callsFake(async (req: StartExecutionCommandInput) => {
      await Promise.resolve();
      const name = req.name ?? '';
      const existing = started.get(name);
      if (existing) {
        if (existing.input === req.input) return { executionArn: existing.arn, startDate: existing.startDate };
        throw new ExecutionAlreadyExists({ $metadata: {}, message: `Execution Already Exists: '${name}'` });
      }
      const arn = `arn:aws:states:eu-west-1:${ACCOUNT}:execution:dr-failover-dev:${name}`;
      started.set(name, { input: req.input ?? '', arn, startDate: FIXED_NOW });
      return { executionArn: arn, startDate: FIXED_NOW };
    });
    // ListExecutions' token bucket holds 100 calls; a burst empties it and the rest are throttled, as on AWS.
    let listTokens = 100;
    sfn.on(ListExecutionsCommand).callsFake(async () => {
      listTokens -= 1;
      if (listTokens < 0) {
        throw new SFNServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: {},
          message: 'Rate exceeded',
        });
      }
      return { executions: [...started.entries()].map(([name, e]) => listItem(name, 'RUNNING', e.startDate)) };
    });
    const distinct = [ORDERS_ALARM, ORDERS_ALARM_2].flatMap((alarmName) =>
      ['03:15:00.000', '03:16:30.500', '03:22:10.000', '03:29:59.999'].map((t) =>
        alarmEvent({ alarmName, timestamp: `2026-11-25T${t}+0000` }),
      ),
    );
    const events = Array.from(
      { length: 500 },
      (_, i) => distinct[(i * 7919) % distinct.length] as AlarmStateChangeEvent,
    );
    // A fixed pseudo-random shuffle: the order differs from the generation order, the test stays repeatable.
    const shuffled = events
      .map((e, i) => ({ e, key: (i * 2654435761) % 4294967296 }))
      .sort((a, b) => a.key - b.key)
      .map(({ e }) => e);
    const handler = newHandler();

    // Act
    const results = await Promise.all(shuffled.map((event) => handler(event, lambdaContext())));

    // Assess
    expect(started.size).toBe(1);
    expect([...started.keys()]).toEqual(['orders-alarm-20261125T0315Z']);
    const arns = new Set(results.flatMap((r) => ('executionArn' in r && r.executionArn ? [r.executionArn] : [])));
    expect(arns.size).toBe(1);
    expect(results.every((r) => r.outcome === 'started' || r.outcome === 'duplicate')).toBe(true);
    expect(results.filter((r) => r.outcome === 'duplicate').length).toBeGreaterThan(0);
    // Most events found ListExecutions throttled and went on unchecked: still one execution.
    expect(results.filter((r) => 'unchecked' in r && r.unchecked).length).toBeGreaterThan(0);
    // The incident's own alarm run is known by its name: the burst never multiplies into DescribeExecution calls.
    expect(sfn).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });
});
