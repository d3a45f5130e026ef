import {
  ConflictException,
  CreateScheduleCommand,
  SchedulerClient,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { returnSettingsFromEnv, SchedulerReturn } from '#adapters/way-back/scheduler.js';
import { returnRequestOf } from '#core/game-day-return.js';
import { parseExecutionInput } from '#core/input.js';
import { type Plan, type PlanInput, parsePlan } from '#core/plan.js';
import type { FailoverEvent, ReturnRequest, ReturnScheduler } from '#core/ports.js';
import type { FailoverState } from '#core/state.js';
import { notify } from '#core/steps/notify.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const scheduler = mockClient(SchedulerClient);
const ORDERS = JSON.parse(JSON.stringify(loadPlanFile('plans/orders.yml'))) as PlanInput;
const OUT = 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-prod:ledger-gameday-20261202T1500Z';
const NOW = new Date('2026-12-02T15:03:20.250Z');
const SETTINGS = {
  groupName: 'dr-failover-prod-way-back',
  roleArn: 'arn:aws:iam::111122223333:role/dr-failover-prod-WayBackRole-ABC',
  region: 'us-east-1',
};

const planInput = (gameday: PlanInput['gameday'], kind: 'postgres' | 'rds' = 'postgres'): PlanInput => ({
  name: 'ledger',
  accountId: '111122223333',
  regions: { primary: 'us-east-1', standby: 'eu-west-1' },
  trigger: {},
  rpo: { maxLagSeconds: 5, onExceeded: 'abort' },
  rto: { targetSeconds: 60 },
  database:
    kind === 'postgres'
      ? {
          kind: 'postgres',
          primary: { host: '10.0.1.10', credentials: { env: 'PGPASS' } },
          standby: { host: '10.1.1.10', credentials: { env: 'PGPASS' } },
        }
      : {
          kind: 'rds-instance',
          replicaInstanceArn: 'arn:aws:rds:eu-west-1:111122223333:db:ledger-eu',
          sourceInstanceArn: 'arn:aws:rds:us-east-1:111122223333:db:ledger-us',
        },
  dns: {
    kind: 'local',
    controlEndpoint: '127.0.0.1:5380',
    nameserver: '127.0.0.1:5353',
    recordName: 'db.x.internal',
    ttl: 1,
  },
  notify: { eventBus: 'dr-failover' },
  ...(gameday ? { gameday } : {}),
});

const ROUND_TRIP = { schedule: 'cron(0 15 ? * WED#1 *)', dryRun: false, mode: 'planned' as const, roundTrip: {} };
const ledger: Plan = parsePlan(planInput(ROUND_TRIP), 'test');

const gameDayInput = parseExecutionInput({
  plan: 'ledger',
  mode: 'planned',
  dryRun: false,
  reason: 'scheduled game day (cron(0 15 ? * WED#1 *))',
  requestedBy: 'schedule:gameday',
  incidentStartedAt: '2026-12-02T15:00:00Z',
  trigger: { kind: 'schedule', source: 'cron(0 15 ? * WED#1 *)' },
});

const succeededOut = (over: Partial<FailoverState> = {}): FailoverState => ({
  input: gameDayInput,
  plan: ledger,
  run: { executionId: OUT, startedAt: '2026-12-02T15:00:01Z', approvalRequired: false },
  timeline: [],
  promotion: { state: 'writable', detail: 'promoted', checks: 1, writableAt: '2026-12-02T15:02:00Z' },
  dns: { recordName: 'db.x.internal', target: '10.1.1.10', ttl: 1, status: 'insync', checks: 1 },
  ...over,
});

describe('the plan of a round-trip game day', () => {
  it('takes the way back 60 minutes after the way out by default', () => {
    expect(ledger.gameday?.roundTrip).toEqual({ returnAfterMinutes: 60 });
  });

  it.each([
    ['a dry run', { ...ROUND_TRIP, dryRun: true }, 'postgres', /gameday\.roundTrip: needs gameday\.dryRun: false/],
    [
      'an unplanned game day',
      { ...ROUND_TRIP, mode: 'unplanned' as const },
      'postgres',
      /needs gameday\.mode: planned/,
    ],
    ['an RDS plan', ROUND_TRIP, 'rds', /an RDS plan cannot come back on a schedule yet/],
    [
      'a way back after 12 h',
      { ...ROUND_TRIP, roundTrip: { returnAfterMinutes: 721 } },
      'postgres',
      /returnAfterMinutes/,
    ],
    [
      'a way back within 5 minutes',
      { ...ROUND_TRIP, roundTrip: { returnAfterMinutes: 4 } },
      'postgres',
      /returnAfterMinutes/,
    ],
  ] as const)('refuses a round trip for %s', (_what, gameday, kind, message) => {
    expect(() => parsePlan(planInput(gameday, kind), 'test')).toThrow(message);
  });
});

describe('the round trip of an Aurora plan', () => {
  /** The shipped orders plan (Aurora, routing controls) with a round-trip game day, `over` merged in. */
  const orders = (over: Record<string, unknown> = {}) => {
    return { ...ORDERS, gameday: ROUND_TRIP, ...over } as PlanInput;
  };

  it('is accepted: the switchover out leaves the old primary a synchronized secondary to switch back to', () => {
    expect(parsePlan(orders(), 'test').gameday?.roundTrip).toEqual({ returnAfterMinutes: 60 });
  });

  it.each([
    [
      'a take-over health check',
      {
        traffic: {
          kind: 'health-check',
          records: ['db.orders.example.internal'],
          healthCheckId: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
          alarm: { name: 'take-over', namespace: 'DrFailover/Traffic', metricName: 'TakeOver' },
        },
      },
      /gameday\.roundTrip: needs traffic\.kind routing-control or upsert/,
    ],
    [
      'components',
      {
        components: [
          { name: 'cache', kind: 'custom-action', functionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:warm' },
        ],
      },
      /gameday\.roundTrip: a plan with components cannot be failed back yet/,
    ],
  ])('is refused with %s, whose failback Prepare refuses', (_what, over, message) => {
    expect(() => parsePlan(orders(over), 'test')).toThrow(message);
  });
});

describe('the way back of a round-trip game day', () => {
  it('starts the failback on the primary region’s state machine, named after the game day, after returnAfterMinutes', () => {
    // Act
    const request = returnRequestOf(succeededOut(), OUT, NOW);

    // Assess
    expect(request).toEqual({
      scheduleName: expect.stringMatching(/^return-[0-9a-f]{40}$/),
      at: new Date('2026-12-02T16:03:21.000Z'),
      stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:dr-failover-prod',
      executionName: 'ledger-failback-20261202T1500Z',
      input: {
        plan: 'ledger',
        mode: 'planned',
        dryRun: false,
        reason: 'round-trip game day: the way back after ledger-gameday-20261202T1500Z',
        requestedBy: 'schedule:gameday-return',
        incidentStartedAt: '2026-12-02T16:03:21.000Z',
        overrideCooldown: false,
        trigger: { kind: 'failback', source: 'gameday:ledger-gameday-20261202T1500Z' },
      },
    });
    // What the schedule sends is an input Prepare accepts, and the same way out always names the same schedule
    expect(parseExecutionInput(request?.input)).toEqual(request?.input);
    expect(returnRequestOf(succeededOut(), OUT, new Date(NOW.getTime() + 5000))?.scheduleName).toBe(
      request?.scheduleName,
    );
  });

  it('counts from the way out’s last step, so a retried notification names the same time', () => {
    // Prepare
    const verified = succeededOut({
      timeline: [
        { step: 'Verify', startedAt: '2026-12-02T15:03:00Z', endedAt: '2026-12-02T15:03:01.500Z', outcome: 'ok' },
      ],
    });

    // Act
    const first = returnRequestOf(verified, OUT, NOW);
    const retried = returnRequestOf(verified, OUT, new Date(NOW.getTime() + 7000));

    // Assess
    expect(first?.at).toEqual(new Date('2026-12-02T16:03:02.000Z'));
    expect(retried).toEqual(first);
  });

  it.each([
    ['a dry game day', succeededOut({ input: { ...gameDayInput, dryRun: true } })],
    ['an incident', succeededOut({ input: { ...gameDayInput, trigger: { kind: 'alarm', source: 'x' } } })],
    [
      'a game day that is no round trip',
      succeededOut({ plan: parsePlan(planInput({ ...ROUND_TRIP, roundTrip: undefined }), 't') }),
    ],
  ])('arms nothing for %s', (_what, state) => {
    expect(returnRequestOf(state, OUT, NOW)).toBeUndefined();
  });
});

describe('SchedulerReturn', () => {
  afterEach(() => {
    scheduler.reset();
  });

  const request = returnRequestOf(succeededOut(), OUT, NOW) as ReturnRequest;
  const armer = () => new SchedulerReturn(SETTINGS, { scheduler: () => new SchedulerClient({ region: 'us-east-1' }) });

  it('creates one self-deleting at() schedule in UTC whose universal target starts the failback by name', async () => {
    // Prepare
    scheduler
      .on(CreateScheduleCommand)
      .resolves({ ScheduleArn: 'arn:aws:scheduler:us-east-1:111122223333:schedule/g/n' });

    // Act
    const armed = await armer().arm(request);

    // Assess
    expect(armed).toEqual({
      scheduleArn: 'arn:aws:scheduler:us-east-1:111122223333:schedule/g/n',
      alreadyArmed: false,
    });
    expect(scheduler).toReceiveCommandExactlyOnceWith(CreateScheduleCommand, {
      Name: request.scheduleName,
      GroupName: 'dr-failover-prod-way-back',
      Description: 'dr-failover: the way back of game day gameday:ledger-gameday-20261202T1500Z',
      ScheduleExpression: 'at(2026-12-02T16:03:21)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Target: {
        Arn: 'arn:aws:scheduler:::aws-sdk:sfn:startExecution',
        RoleArn: SETTINGS.roleArn,
        Input: JSON.stringify({
          StateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:dr-failover-prod',
          Name: 'ledger-failback-20261202T1500Z',
          Input: JSON.stringify(request.input),
        }),
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 20 },
      },
    });
  });

  it('counts a schedule of that name already there as armed (a retried notification)', async () => {
    // Prepare
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ $metadata: {}, message: 'exists', Message: 'exists' }));

    // Act
    const armed = await armer().arm(request);

    // Assess
    expect(armed).toEqual({ alreadyArmed: true });
  });

  it('throws a named error when Scheduler refuses', async () => {
    // Prepare
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ValidationException({ $metadata: {}, message: 'bad role', Message: 'bad role' }));

    // Act
    const attempt = armer().arm(request);

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'AwsRequestFailedError' });
  });

  it('reads its group and role from the deployment, and names a missing one', () => {
    expect(returnSettingsFromEnv('us-east-1', { WAY_BACK_GROUP: 'g', WAY_BACK_ROLE_ARN: 'r' })).toEqual({
      groupName: 'g',
      roleArn: 'r',
      region: 'us-east-1',
    });
    expect(() => returnSettingsFromEnv('us-east-1', { WAY_BACK_GROUP: 'g', WAY_BACK_ROLE_ARN: '' })).toThrow(
      /WAY_BACK_ROLE_ARN/,
    );
  });
});

describe('the Failover Succeeded notification of a round-trip game day', () => {
  const run = async (state: FailoverState, step: string, arm: ReturnScheduler['arm']) => {
    const published: FailoverEvent[] = [];
    const asked: ReturnRequest[] = [];
    await notify(
      { step, executionId: OUT, state },
      {
        now: () => NOW,
        notifier: async () => ({ publish: async (e: FailoverEvent) => void published.push(e) }),
        approvalTimer: async () => {
          throw new Error('no approval here');
        },
        returnScheduler: async () => ({
          arm: (r) => {
            asked.push(r);
            return arm(r);
          },
        }),
      },
    );
    return { event: published[0], asked };
  };

  it('arms the way back first and says when it starts and what', async () => {
    // Act
    const { event, asked } = await run(succeededOut(), 'NotifySucceeded', async () => ({ alreadyArmed: false }));

    // Assess
    expect(asked).toHaveLength(1);
    expect(event?.type).toBe('Failover Succeeded');
    expect(event?.detail.wayBack).toEqual({
      at: '2026-12-02T16:03:21.000Z',
      stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:dr-failover-prod',
      executionName: 'ledger-failback-20261202T1500Z',
      schedule: asked[0]?.scheduleName,
      alreadyArmed: false,
    });
    expect(event?.detail.wayBackWarning).toBeUndefined();
  });

  it('still tells people when the way back could not be armed, and how to start it by hand', async () => {
    // Act
    const { event } = await run(succeededOut(), 'NotifySucceeded', async () => {
      throw Object.assign(new Error('CreateSchedule refused'), { name: 'AwsRequestFailedError' });
    });

    // Assess
    expect(event?.type).toBe('Failover Succeeded');
    expect(event?.detail.wayBackWarning).toBe(
      'the way back could not be scheduled (AwsRequestFailedError: CreateSchedule refused): once the old primary is ' +
        'rebuilt and caught up, start it by hand from us-east-1: dr-failover failback --plan ledger --reason ' +
        '"round-trip game day: the way back"',
    );
  });

  it.each([
    ['the way out started', 'NotifyStarted', succeededOut()],
    ['the way out failed', 'NotifyFailed', succeededOut({ error: { Error: 'DnsChangeFailedError' } })],
    ['an incident succeeded', 'NotifySucceeded', succeededOut({ input: { ...gameDayInput, trigger: undefined } })],
  ])('arms nothing when %s', async (_what, step, state) => {
    // Act
    const { asked, event } = await run(state, step, async () => ({ alreadyArmed: false }));

    // Assess
    expect(asked).toEqual([]);
    expect(event?.detail.wayBack).toBeUndefined();
  });
});
