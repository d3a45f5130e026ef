/**
 * `ReturnScheduler` on AWS: a one-time EventBridge Scheduler schedule, `at(<time>)` in UTC, in the plan's primary
 * region, whose universal target `sfn:startExecution` starts the failback on that region's state machine.
 *
 * - One-time schedules run once at the time given, in the time zone given, within a minute (EventBridge Scheduler
 *   User Guide, "Schedule types": https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html).
 * - A universal target is `arn:aws:scheduler:::aws-sdk:<service>:<apiAction>` with the API's request as `Input`, run
 *   as `RoleArn` ("Using universal targets":
 *   https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html).
 * - StartExecution with a name already used: the same running execution when the input is the same, else
 *   `ExecutionAlreadyExists`; a name is not reused for 90 days (Step Functions API Reference, StartExecution). So a
 *   schedule that fires again, or a second schedule of the same game day, never starts a second failback.
 * - The schedule is named after the way out's execution: a retried notification gets `ConflictException`, which is
 *   success (already armed). It deletes itself after it ran (`ActionAfterCompletion: DELETE`).
 */
import { CreateScheduleCommand, type CreateScheduleCommandInput, SchedulerClient } from '@aws-sdk/client-scheduler';
import { atExpression } from '#adapters/approval/scheduler.js';
import { translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import type { ReturnRequest, ReturnScheduler } from '#core/ports.js';
import { requireEnv } from '#lib/env.js';

/** The universal target that calls Step Functions' StartExecution with the schedule's Input. */
const START_EXECUTION_TARGET = 'arn:aws:scheduler:::aws-sdk:sfn:startExecution';

export interface ReturnSettings {
  /** The stack's schedule group for ways back (the notify function may create schedules only in it). */
  groupName: string;
  /** The role Scheduler assumes to start the failback (allowed nothing else). */
  roleArn: string;
  /** The plan's primary region: where the failback's state machine and this schedule are. */
  region: string;
}

/** Read once, at the first way back armed: the deployment sets both (infra/wiring.ts). */
export const returnSettingsFromEnv = (region: string, env: NodeJS.ProcessEnv = process.env): ReturnSettings => ({
  groupName: requireEnv('WAY_BACK_GROUP', env),
  roleArn: requireEnv('WAY_BACK_ROLE_ARN', env),
  region,
});

/** The exact CreateSchedule request for one way back. */
export const wayBackScheduleInput = (
  request: ReturnRequest,
  settings: Pick<ReturnSettings, 'groupName' | 'roleArn'>,
): CreateScheduleCommandInput => ({
  Name: request.scheduleName,
  GroupName: settings.groupName,
  Description: `dr-failover: the way back of game day ${request.input.trigger?.source ?? ''}`.slice(0, 512),
  ScheduleExpression: atExpression(request.at),
  ScheduleExpressionTimezone: 'UTC',
  FlexibleTimeWindow: { Mode: 'OFF' },
  ActionAfterCompletion: 'DELETE',
  State: 'ENABLED',
  Target: {
    Arn: START_EXECUTION_TARGET,
    RoleArn: settings.roleArn,
    Input: JSON.stringify({
      StateMachineArn: request.stateMachineArn,
      Name: request.executionName,
      Input: JSON.stringify(request.input),
    }),
    // A throttled StartExecution is retried for an hour; the failback refuses by itself if the world moved on.
    RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 20 },
  },
});

export interface SchedulerReturnDeps {
  scheduler?: () => SchedulerClient;
}

export class SchedulerReturn implements ReturnScheduler {
  readonly #settings: ReturnSettings;
  readonly #makeClient: () => SchedulerClient;

  constructor(settings: ReturnSettings, deps: SchedulerReturnDeps = {}) {
    this.#settings = settings;
    this.#makeClient = deps.scheduler ?? (() => clientFor(SchedulerClient, settings.region));
  }

  async arm(request: ReturnRequest): Promise<{ scheduleArn?: string; alreadyArmed: boolean }> {
    const input = wayBackScheduleInput(request, this.#settings);
    try {
      const out = await this.#makeClient().send(new CreateScheduleCommand(input));
      return { ...(out.ScheduleArn ? { scheduleArn: out.ScheduleArn } : {}), alreadyArmed: false };
    } catch (error) {
      // Same way out, same name: its way back is already armed (a retried notification).
      if ((error as { name?: string }).name === 'ConflictException') return { alreadyArmed: true };
      throw translateAwsError(error, `CreateSchedule ${this.#settings.groupName}/${input.Name}`);
    }
  }
}
