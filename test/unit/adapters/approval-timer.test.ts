import {
  ConflictException,
  CreateScheduleCommand,
  SchedulerClient,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalApprovalTimer } from '#adapters/approval/local.js';
import {
  approvalTimerName,
  atExpression,
  SchedulerApprovalTimer,
  settingsFromEnv,
} from '#adapters/approval/scheduler.js';
import { approvalTimeoutCause } from '#core/approval.js';
import type { ApprovalTimeout } from '#core/ports.js';

const scheduler = mockClient(SchedulerClient);
const SETTINGS = {
  groupName: 'dr-failover-prod-approvals',
  roleArn: 'arn:aws:iam::111122223333:role/dr-failover-prod-ApprovalTimerRole-ABC',
  region: 'eu-west-1',
};
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAVr0a6Xk+token/with=odd+chars';
const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-prod:orders-alarm-20261126T0300Z';

const request = (overrides: Partial<ApprovalTimeout> = {}): ApprovalTimeout => {
  const askedAt = new Date('2026-11-26T03:00:00Z');
  const deadline = new Date('2026-11-26T03:30:00Z');
  return {
    taskToken: TOKEN,
    deadline,
    executionId: EXECUTION,
    cause: approvalTimeoutCause({
      plan: 'orders',
      step: 'ApproveLagExceeded',
      askedAt,
      deadline,
      timeoutMinutes: 30,
      asked: ['event bus dr-failover'],
    }),
    ...overrides,
  };
};

const timer = () =>
  new SchedulerApprovalTimer(SETTINGS, { scheduler: () => new SchedulerClient({ region: 'eu-west-1' }) });

describe('SchedulerApprovalTimer', () => {
  afterEach(() => {
    scheduler.reset();
  });

  it('arms one self-deleting at() schedule in UTC that fails the task with ApprovalTimedOutError', async () => {
    // Prepare
    scheduler
      .on(CreateScheduleCommand)
      .resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:111122223333:schedule/x/y' });

    // Act
    const armed = await timer().arm(request());

    // Assess
    const name = approvalTimerName(TOKEN);
    expect(armed).toEqual({ timerId: `dr-failover-prod-approvals/${name}` });
    expect(scheduler).toHaveReceivedCommandTimes(CreateScheduleCommand, 1);
    expect(scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input.ClientToken).toBeUndefined();
    expect(scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, {
      Name: name,
      GroupName: 'dr-failover-prod-approvals',
      Description:
        'dr-failover: abort ApproveLagExceeded of orders-alarm-20261126T0300Z unanswered at 2026-11-26T03:30:00.000Z',
      ScheduleExpression: 'at(2026-11-26T03:30:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Target: {
        Arn: 'arn:aws:scheduler:::aws-sdk:sfn:sendTaskFailure',
        RoleArn: SETTINGS.roleArn,
        Input: JSON.stringify({
          TaskToken: TOKEN,
          Error: 'ApprovalTimedOutError',
          Cause: JSON.stringify(request().cause),
        }),
        RetryPolicy: { MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 20 },
      },
    });
  });

  it('treats ConflictException as already armed: a retried request leaves one timer', async () => {
    // Prepare
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ $metadata: {}, message: 'exists', Message: 'Schedule already exists.' }));

    // Act
    const armed = await timer().arm(request());

    // Assess
    expect(armed.timerId).toBe(`dr-failover-prod-approvals/${approvalTimerName(TOKEN)}`);
  });

  it('translates throttling into a retryable ThrottledError, keeping the SDK error as cause', async () => {
    // Prepare
    const throttled = new ThrottlingException({ $metadata: {}, message: 'Rate exceeded', Message: 'Rate exceeded' });
    scheduler.on(CreateScheduleCommand).rejects(throttled);

    // Act
    const failure = timer().arm(request());

    // Assess
    await expect(failure).rejects.toMatchObject({ name: 'ThrottledError', retryable: true, cause: throttled });
  });

  it('translates a refused request (a deadline in the past) into a terminal AwsRequestFailedError', async () => {
    // Prepare
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ValidationException({ $metadata: {}, message: 'in the past', Message: 'in the past' }));

    // Act
    const failure = timer().arm(request());

    // Assess
    await expect(failure).rejects.toMatchObject({ name: 'AwsRequestFailedError', retryable: false });
  });
});

describe('approval timer names and expressions', () => {
  it('derives one name per task token: 1-64 characters of [0-9a-zA-Z-_.], the same on every call', () => {
    // Act
    const a = approvalTimerName(TOKEN);
    const b = approvalTimerName(`${TOKEN}x`);

    // Assess
    expect(a).toMatch(/^[0-9a-zA-Z_.-]{1,64}$/);
    expect(approvalTimerName(TOKEN)).toBe(a);
    expect(b).not.toBe(a);
  });

  it('writes the deadline in UTC whatever its offset, to the second', () => {
    // Act
    const expression = atExpression(new Date('2026-11-26T05:30:07.999+02:00'));

    // Assess
    expect(expression).toBe('at(2026-11-26T03:30:07)');
  });

  it('refuses to run without the group and role the deployment sets', () => {
    // Act
    const missing = () => settingsFromEnv('eu-west-1', { APPROVAL_TIMER_GROUP: 'g' });

    // Assess
    expect(missing).toThrow(
      expect.objectContaining({
        name: 'ConfigurationError',
        message: expect.stringMatching(/APPROVAL_TIMER_ROLE_ARN/),
      }),
    );
  });
});

describe('LocalApprovalTimer', () => {
  it('fails the task at the deadline with the same error and cause as the Scheduler timer, once per token', async () => {
    // Prepare
    const failed: [string, string, string][] = [];
    const due: { fire: () => void; ms: number }[] = [];
    const local = new LocalApprovalTimer((t, e, c) => failed.push([t, e, c]), {
      now: () => new Date('2026-11-26T03:00:00Z'),
      setTimer: (fire, ms) => due.push({ fire, ms }),
    });

    // Act
    await local.arm(request());
    await local.arm(request());
    const beforeDeadline = failed.length;
    for (const t of due) t.fire();

    // Assess
    expect(due.map((t) => t.ms)).toEqual([30 * 60_000]);
    expect(beforeDeadline).toBe(0);
    expect(failed).toEqual([[TOKEN, 'ApprovalTimedOutError', JSON.stringify(request().cause)]]);
  });

  it('lets a refused late failure go: the task was answered first', async () => {
    // Prepare
    const due: (() => void)[] = [];
    let refused = 0;
    const local = new LocalApprovalTimer(
      () => {
        refused += 1;
        throw Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' });
      },
      { now: () => new Date('2026-11-26T03:00:00Z'), setTimer: (fire) => due.push(fire) },
    );
    await local.arm(request());

    // Act
    const fire = () => {
      for (const f of due) f();
    };

    // Assess: the timer fired, its failure was refused, and that stayed inside the timer.
    expect(due).toHaveLength(1);
    expect(fire).not.toThrow();
    expect(refused).toBe(1);
  });
});
