/**
 * The approval deadline on EventBridge Scheduler as the world models it (test/statemachine/support.ts
 * schedulerWorld, each behaviour citing its page), armed by the real adapter.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SchedulerApprovalTimer } from '#adapters/approval/scheduler.js';
import { approvalTimeoutCause } from '#core/approval.js';
import { AwsRequestFailedError } from '#core/errors.js';
import type { LocalTaskTokens } from '#lab/state-machine.js';
import { scheduler, schedulerWorld } from '../statemachine/support.js';

afterEach(() => {
  scheduler.reset();
});

const GROUP = 'dr-failover-ci-approvals';
const SETTINGS = { groupName: GROUP, roleArn: 'arn:aws:iam::111122223333:role/timer', region: 'eu-west-1' };
const ASKED = new Date('2026-12-07T10:00:00.000Z');
const DEADLINE = new Date('2026-12-07T10:30:00.000Z');

const request = (taskToken: string) => ({
  taskToken,
  deadline: DEADLINE,
  executionId: 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-ci:orders-manual-1',
  cause: approvalTimeoutCause({
    plan: 'orders',
    step: 'ApproveFailover',
    askedAt: ASKED,
    deadline: DEADLINE,
    timeoutMinutes: 30,
    asked: ['the dr-failover bus'],
  }),
});

/** The failures Scheduler's target sent, in order. */
const failures = () => {
  const sent: { token: string; error: string }[] = [];
  const tokens = { sendTaskFailure: (token: string, error: string) => sent.push({ token, error }) };
  return { sent, tokens: tokens as unknown as LocalTaskTokens };
};

describe('EventBridge Scheduler one-time schedules, for approval deadlines', () => {
  it('fails the waiting task at the deadline, never before, once, and deletes the schedule after', async () => {
    // Prepare
    const world = schedulerWorld({ groups: [GROUP] });
    const { sent, tokens } = failures();
    await new SchedulerApprovalTimer(SETTINGS).arm(request('token-1'));

    // Act
    world.advanceTo(new Date(DEADLINE.getTime() - 1_000), tokens);
    const early = sent.length;
    world.advanceTo(DEADLINE, tokens);
    world.advanceTo(new Date(DEADLINE.getTime() + 60_000), tokens);

    // Assess
    expect(early).toBe(0);
    expect(sent).toEqual([{ token: 'token-1', error: 'ApprovalTimedOutError' }]);
    expect(world.schedules).toEqual([]);
  });

  it('keeps one schedule when a retried step arms the same task again (ConflictException is success)', async () => {
    // Prepare
    const world = schedulerWorld({ groups: [GROUP] });
    const timer = new SchedulerApprovalTimer(SETTINGS);

    // Act
    const first = await timer.arm(request('token-2'));
    const again = await timer.arm(request('token-2'));

    // Assess
    expect(again).toEqual(first);
    expect(world.schedules).toHaveLength(1);
  });

  it('refuses a schedule in a group that does not exist, as a named, non-retryable error', async () => {
    // Prepare
    schedulerWorld({ groups: ['another-group'] });

    // Act
    const error = await new SchedulerApprovalTimer(SETTINGS).arm(request('token-3')).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(AwsRequestFailedError);
    expect((error as Error).message).toMatch(/ResourceNotFoundException/);
  });
});
