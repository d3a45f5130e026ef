/**
 * `ApprovalTimer` on AWS: a one-time EventBridge Scheduler schedule, `at(<deadline>)` in UTC, whose universal target
 * `sfn:sendTaskFailure` fails the waiting approval task with `ApprovalTimedOutError`. The schedule deletes itself
 * after it ran. When a person answers first, the task is closed and the late `SendTaskFailure` is refused by Step
 * Functions (`TaskTimedOut`): harmless, and the schedule still deletes itself. So an answer needs no clean-up.
 */
import { createHash } from 'node:crypto';
import { CreateScheduleCommand, type CreateScheduleCommandInput, SchedulerClient } from '@aws-sdk/client-scheduler';
import { translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import type { ApprovalTimeout, ApprovalTimer } from '#core/ports.js';
import { requireEnv } from '#lib/env.js';

/** The universal target that calls Step Functions' SendTaskFailure with the schedule's Input. */
const SEND_TASK_FAILURE_TARGET = 'arn:aws:scheduler:::aws-sdk:sfn:sendTaskFailure';

/**
 * The schedule's name, from the task token alone: a retried step arms the same name (CreateSchedule answers
 * ConflictException, which is success), a new task gets a new name.
 * 1-64 characters of [0-9a-zA-Z-_.].
 */
export const approvalTimerName = (taskToken: string): string =>
  `approval-${createHash('sha256').update(taskToken).digest('hex').slice(0, 40)}`;

/** `at(yyyy-mm-ddThh:mm:ss)`, read in UTC (`ScheduleExpressionTimezone: 'UTC'`). */
export const atExpression = (deadline: Date): string => `at(${deadline.toISOString().slice(0, 19)})`;

export interface SchedulerTimerSettings {
  /** The stack's schedule group for approval timers (the notify function may create schedules only in it). */
  groupName: string;
  /** The role Scheduler assumes to call SendTaskFailure (allowed nothing else). */
  roleArn: string;
  region: string;
}

/** Read once, at cold start of the first approval request: the deployment sets both (infra/wiring.ts). */
export const settingsFromEnv = (region: string, env: NodeJS.ProcessEnv = process.env): SchedulerTimerSettings => ({
  groupName: requireEnv('APPROVAL_TIMER_GROUP', env),
  roleArn: requireEnv('APPROVAL_TIMER_ROLE_ARN', env),
  region,
});

/** The exact CreateSchedule request for one approval request. */
const createScheduleInput = (
  request: ApprovalTimeout,
  settings: Pick<SchedulerTimerSettings, 'groupName' | 'roleArn'>,
): CreateScheduleCommandInput => {
  const name = approvalTimerName(request.taskToken);
  return {
    Name: name,
    GroupName: settings.groupName,
    // No ClientToken of our own: a retried step asks again with a later deadline, which a reused token would
    // refuse as a different request. The name alone makes a second arming a ConflictException (already armed).
    Description:
      `dr-failover: abort ${request.cause.step} of ${request.executionId.split(':').at(-1) ?? ''} unanswered at ${request.cause.deadline}`.slice(
        0,
        512,
      ),
    ScheduleExpression: atExpression(request.deadline),
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    State: 'ENABLED',
    Target: {
      Arn: SEND_TASK_FAILURE_TARGET,
      RoleArn: settings.roleArn,
      Input: JSON.stringify({
        TaskToken: request.taskToken,
        Error: 'ApprovalTimedOutError',
        Cause: JSON.stringify(request.cause),
      }),
      // A throttled or failed SendTaskFailure is retried for ten minutes; the states' backstop covers the rest.
      RetryPolicy: { MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 20 },
    },
  };
};

export interface SchedulerApprovalTimerDeps {
  scheduler?: () => SchedulerClient;
}

export class SchedulerApprovalTimer implements ApprovalTimer {
  readonly #settings: SchedulerTimerSettings;
  readonly #makeClient: () => SchedulerClient;

  constructor(settings: SchedulerTimerSettings, deps: SchedulerApprovalTimerDeps = {}) {
    this.#settings = settings;
    this.#makeClient = deps.scheduler ?? (() => clientFor(SchedulerClient, settings.region));
  }

  async arm(request: ApprovalTimeout): Promise<{ timerId: string }> {
    const input = createScheduleInput(request, this.#settings);
    const timerId = `${this.#settings.groupName}/${input.Name}`;
    try {
      await this.#makeClient().send(new CreateScheduleCommand(input));
    } catch (error) {
      // Same token, same name: this request's timer is already armed (a retried step).
      if ((error as { name?: string }).name === 'ConflictException') return { timerId };
      throw translateAwsError(error, `CreateSchedule ${timerId}`);
    }
    return { timerId };
  }
}
