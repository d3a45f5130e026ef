import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { FailoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import { PublishCommand } from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalApprovalTimer } from '#adapters/approval/local.js';
import { approvalTimerName } from '#adapters/approval/scheduler.js';
import { notifierFor } from '#adapters/notify/index.js';
import type { PlanInput } from '#core/plan.js';
import { LocalTaskTokens } from '#lab/state-machine.js';
import * as notify from '../../functions/notify.js';
import {
  ALL_MOCKS,
  APPROVAL_TIMER_GROUP,
  APPROVAL_TIMER_ROLE_ARN,
  auroraWorld,
  cloudwatch,
  eventBridge,
  execute,
  lagMetrics,
  mutatingCommandsSent,
  notifyWorld,
  preparing,
  publishedTypes,
  rds,
  route53World,
  runInput,
  scheduler,
  schedulerWorld,
  sns,
  upsertVariant,
} from './support.js';

/** When the request is made, on the notify function's clock: the plan's deadline counts from here. */
const ASKED_AT = new Date('2026-11-26T03:00:00.250Z');
/** 30 minutes later, rounded up to the whole second the timer fires on. */
const DEADLINE = new Date('2026-11-26T03:30:01.000Z');

const ALARM = { kind: 'alarm', source: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-db-primary-unhealthy' };

/** Prepare bound to one variant of the orders plan; notify on a fixed clock (the real handler otherwise). */
const handlersFor = (changes: (p: PlanInput) => PlanInput, notifyDeps: Partial<notify.NotifyDeps> = {}) => {
  return {
    ...preparing(upsertVariant('plans/orders.yml', changes)),
    notify: notify.createHandler({ now: () => ASKED_AT, notifier: notifierFor, ...notifyDeps }),
  };
};

/** Lag over the RPO at the only check; the plan asks a person, who has 30 minutes. */
const lagNeedsApproval = (p: PlanInput): PlanInput => ({
  ...p,
  rpo: { ...p.rpo, onExceeded: 'wait-for-approval', maxLagChecks: 1 },
  approval: { timeoutMinutes: 30 },
});

/** Alarm-started runs of this plan wait for a person first; 30 minutes. */
const notAutomatic = (p: PlanInput): PlanInput => ({
  ...p,
  trigger: { ...p.trigger, automatic: false },
  approval: { timeoutMinutes: 30 },
});

const eventDetail = (type: string): Record<string, unknown> => {
  const call = eventBridge
    .commandCalls(PutEventsCommand)
    .find((c) => c.args[0].input.Entries?.[0]?.DetailType === type);
  return JSON.parse(call?.args[0].input.Entries?.[0]?.Detail ?? '{}') as Record<string, unknown>;
};

describe('approval: a person answers, or the plan deadline does', () => {
  beforeEach(() => {
    notifyWorld();
    auroraWorld();
    route53World();
  });
  afterEach(() => {
    for (const m of ALL_MOCKS) m.reset();
  });

  it('fails over once approved, after arming the plan deadline and telling people the lag and how to answer', async () => {
    // Prepare
    lagMetrics(() => 120_000);
    schedulerWorld();
    const asked: string[] = [];

    // Act
    const run = await execute(runInput(), {
      handlers: handlersFor(lagNeedsApproval),
      approver: async ({ taskToken }) => {
        asked.push(taskToken);
        return { approved: true, by: 'oncall:ana' };
      },
    });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(rds).toHaveReceivedCommandTimes(FailoverGlobalClusterCommand, 1);
    expect(publishedTypes()).toEqual(['Failover Started', 'Approval Required', 'Failover Succeeded']);
    const token = asked[0] ?? '';
    expect(scheduler).toHaveReceivedCommandTimes(CreateScheduleCommand, 1);
    expect(scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, {
      Name: approvalTimerName(token),
      GroupName: APPROVAL_TIMER_GROUP,
      ScheduleExpression: 'at(2026-11-26T03:30:01)',
      ScheduleExpressionTimezone: 'UTC',
      ActionAfterCompletion: 'DELETE',
      Target: expect.objectContaining({
        Arn: 'arn:aws:scheduler:::aws-sdk:sfn:sendTaskFailure',
        RoleArn: APPROVAL_TIMER_ROLE_ARN,
      }),
    });
    const request = eventDetail('Approval Required');
    expect(request.detail).toMatchObject({
      measuredLag: expect.stringMatching(/^lag 120 s/),
      deadline: DEADLINE.toISOString(),
      timeoutMinutes: 30,
      approve: `npx dr-failover approve '${token}'`,
      awsDeny: expect.stringContaining(`send-task-failure --task-token '${token}' --error ApprovalDeniedError`),
    });
    const page = sns.commandCalls(PublishCommand).find((c) => c.args[0].input.Subject?.includes('Approval Required'));
    expect(page?.args[0].input.Message).toContain(`Answer by: ${DEADLINE.toISOString()}`);
    expect(page?.args[0].input.Message).toContain(`Approve: npx dr-failover approve '${token}'`);
    expect((run.output as { approval: { by: string } }).approval.by).toBe('oncall:ana');
  });

  it('aborts, notified with the reason given, and promotes nothing when the person denies', async () => {
    // Prepare
    lagMetrics(() => 120_000);
    schedulerWorld();

    // Act
    const run = await execute(runInput(), {
      handlers: handlersFor(lagNeedsApproval),
      approver: async () => {
        throw Object.assign(new Error('oncall:bo: primary is recovering, stay put'), { name: 'ApprovalDeniedError' });
      },
    });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ApprovalDeniedError');
    expect(run.visited.slice(-3)).toEqual(['ApproveLagExceeded', 'NotifyAborted', 'Aborted']);
    expect(mutatingCommandsSent()).toEqual([]);
    expect(publishedTypes()).toEqual(['Failover Started', 'Approval Required', 'Failover Aborted']);
    expect(eventDetail('Failover Aborted').summary).toMatch(/primary is recovering, stay put$/);
  });

  it.each([
    ['approved: false', { approved: false, by: 'oncall:bo' }],
    ['no approved field', { by: 'oncall:bo' }],
    ['approved as a string', { approved: 'yes', by: 'oncall:bo' }],
    ['an empty answer', {}],
  ])(
    'aborts and changes nothing when the answer sent as success is not an explicit approval (%s)',
    async (_, answer) => {
      // Prepare
      lagMetrics(() => 120_000);
      schedulerWorld();

      // Act
      const run = await execute(runInput(), { handlers: handlersFor(lagNeedsApproval), approver: async () => answer });

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe('ApprovalDeniedError');
      expect(run.visited.slice(-5)).toEqual([
        'ApproveLagExceeded',
        'LagApproved?',
        'NotApproved',
        'NotifyAborted',
        'Aborted',
      ]);
      expect(mutatingCommandsSent()).toEqual([]);
      expect(publishedTypes()).toEqual(['Failover Started', 'Approval Required', 'Failover Aborted']);
      expect(run.cause).toContain(JSON.stringify(answer));
    },
  );

  it('does not start a non-automatic plan whose approval answer is not an explicit approval', async () => {
    // Prepare
    schedulerWorld();

    // Act
    const run = await execute(runInput({ trigger: ALARM }), {
      handlers: handlersFor(notAutomatic),
      approver: async () => ({ approved: false, by: 'oncall:bo' }),
    });

    // Assess
    expect(run.error).toBe('ApprovalDeniedError');
    expect(run.visited).toEqual([
      'Prepare',
      'ApprovalRequired?',
      'ApproveFailover',
      'Approved?',
      'NotApproved',
      'NotifyAborted',
      'Aborted',
    ]);
    expect(mutatingCommandsSent()).toEqual([]);
    expect(publishedTypes()).toEqual(['Approval Required', 'Failover Aborted']);
  });

  it("aborts at the plan's deadline, not a second before, notified with who was asked, when nobody answers", async () => {
    // Prepare
    lagMetrics(() => 120_000);
    const timers = schedulerWorld();
    const tokens = new LocalTaskTokens();
    const requested = tokens.nextPending();

    // Act
    const running = execute(runInput(), { handlers: handlersFor(lagNeedsApproval), taskTokens: tokens });
    const pending = await requested;
    timers.advanceTo(new Date(DEADLINE.getTime() - 1000), tokens);
    const stillWaiting = tokens.pending().map((t) => t.state);
    timers.advanceTo(DEADLINE, tokens);
    const run = await running;

    // Assess
    expect(pending.state).toBe('ApproveLagExceeded');
    expect(stillWaiting).toEqual(['ApproveLagExceeded']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ApprovalTimedOutError');
    expect(run.visited.slice(-3)).toEqual(['ApproveLagExceeded', 'NotifyAborted', 'Aborted']);
    expect(mutatingCommandsSent()).toEqual([]);
    expect(publishedTypes()).toEqual(['Failover Started', 'Approval Required', 'Failover Aborted']);
    const aborted = eventDetail('Failover Aborted');
    expect(aborted.summary).toMatch(/Nobody answered the approval request for plan orders within 30 min/);
    expect((aborted.detail as Record<string, unknown>).approval).toMatchObject({
      askedAt: ASKED_AT.toISOString(),
      deadline: DEADLINE.toISOString(),
      asked: ['event bus dr-failover', 'SNS topic arn:aws:sns:eu-west-1:111122223333:dr-failover-oncall'],
    });
  });

  it('aborts an alarm-started run of a non-automatic plan at its deadline with the local timer, before any lag check', async () => {
    // Prepare
    lagMetrics(() => 1_000);
    const tokens = new LocalTaskTokens();
    const due: { fire: () => void; ms: number }[] = [];
    const timer = new LocalApprovalTimer((t, e, c) => tokens.sendTaskFailure(t, e, c), {
      now: () => ASKED_AT,
      setTimer: (fire, ms) => due.push({ fire, ms }),
    });
    const requested = tokens.nextPending();

    // Act
    const running = execute(runInput({ trigger: ALARM }), {
      handlers: handlersFor(notAutomatic, { approvalTimer: async () => timer }),
      taskTokens: tokens,
    });
    await requested;
    for (const t of due) t.fire();
    const run = await running;

    // Assess
    expect(due.map((t) => t.ms)).toEqual([DEADLINE.getTime() - ASKED_AT.getTime()]);
    expect(run.error).toBe('ApprovalTimedOutError');
    expect(run.visited).toEqual(['Prepare', 'ApprovalRequired?', 'ApproveFailover', 'NotifyAborted', 'Aborted']);
    expect(cloudwatch.calls()).toHaveLength(0);
    expect(mutatingCommandsSent()).toEqual([]);
    expect(publishedTypes()).toEqual(['Approval Required', 'Failover Aborted']);
  });

  it('refuses an answer that comes after the deadline fired: the run stays aborted', async () => {
    // Prepare
    lagMetrics(() => 120_000);
    const timers = schedulerWorld();
    const tokens = new LocalTaskTokens();
    const requested = tokens.nextPending();
    const running = execute(runInput(), { handlers: handlersFor(lagNeedsApproval), taskTokens: tokens });
    const { taskToken } = await requested;
    timers.advanceTo(DEADLINE, tokens);

    // Act
    const late = () => tokens.sendTaskSuccess(taskToken, { approved: true, by: 'oncall:late' });

    // Assess
    expect(late).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }));
    const run = await running;
    expect(run.error).toBe('ApprovalTimedOutError');
    expect(mutatingCommandsSent()).toEqual([]);
  });

  it('still asks, with the backstop deadline and a warning, when the plan timer cannot be armed', async () => {
    // Prepare
    lagMetrics(() => 120_000);
    scheduler.on(CreateScheduleCommand).rejects(
      Object.assign(new Error('not authorized to perform: scheduler:CreateSchedule'), {
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
      }),
    );

    // Act
    const run = await execute(runInput(), {
      handlers: handlersFor(lagNeedsApproval),
      approver: async () => ({ approved: true, by: 'oncall:ana' }),
    });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    const request = eventDetail('Approval Required').detail as Record<string, unknown>;
    expect(request.deadline).toBe('2026-11-26T07:05:00.250Z');
    expect(request.deadlineWarning).toMatch(
      /30-minute timer could not be armed \(AwsRequestFailedError: .*AccessDenied/,
    );
  });
});
