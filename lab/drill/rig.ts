/**
 * The run's machinery, as deployed but local: the real handlers (Prepare reading the drill's own executions,
 * Notify publishing to a local notifier and arming approval deadlines on the local executor), the real definition
 * with its Wait states shortened, the executions that run it, and the real trigger in front of them.
 */
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { LocalApprovalTimer } from '#adapters/approval/local.js';
import { pairFor } from '#adapters/database/index.js';
import type { FailoverEvent } from '#core/ports.js';
import { localHandlers, localTrigger } from '../deployment.js';
import { type LambdaHandler, LocalTaskTokens, loadDefinition, overrideEach, runLocal } from '../state-machine.js';
import { LocalExecutions } from './executions.js';
import { clock } from './time.js';
import { StateTracker } from './tracker.js';
import type { DrillEnvironment, DrillOptions, DrillProgress } from './types.js';

export interface Rig {
  executions: LocalExecutions;
  trigger: LambdaHandler;
  tracker: StateTracker;
  definition: StateMachineDefinition;
  /** Every notification the run published, in order. */
  notifications: FailoverEvent[];
}

/**
 * `region`: the region of the stack the rig stands for, which Prepare is told as serverless.yml tells it
 * (DR_FAILOVER_REGION): the plan's standby region's by default; the primary region's for the way back, whose stack
 * runs the plan turned round (core/direction.ts).
 */
export const buildRig = async (
  env: DrillEnvironment,
  options: Pick<DrillOptions, 'wrapHandlers' | 'retryIntervalMs'>,
  waitMs: number,
  progress: (p: DrillProgress) => void,
  region: string = env.plan.regions.standby,
): Promise<Rig> => {
  const notifications: FailoverEvent[] = [];
  const { LocalNotifier } = await import('#adapters/notify/local.js');
  const notifier = new LocalNotifier({
    onEvent: (e) => {
      notifications.push(e);
      progress({ group: 'state', step: e.type, status: 'info', at: clock(), detail: e.summary });
    },
  });
  const catalog = new Map([[env.plan.name, env.plan]]);
  const now = () => new Date();
  const taskTokens = new LocalTaskTokens();
  const real = await localHandlers({
    // Prepare's run guard reads the drill's own executions, as it reads Step Functions on AWS.
    // The direction of the pair is observed on the local servers, as on the deployed ones.
    prepare: { now, plans: () => catalog, runs: () => executions, pair: pairFor, region },
    // An approval request's deadline fails the waiting task locally, as EventBridge Scheduler does on AWS.
    notify: {
      now,
      notifier: async () => notifier,
      approvalTimer: async () => new LocalApprovalTimer((t, e, c) => taskTokens.sendTaskFailure(t, e, c)),
    },
  });
  const handlers = options.wrapHandlers?.(real, env) ?? real;
  const definition = loadDefinition();
  // Validated once here, as CreateStateMachine does at deployment; executions then start without re-validating.
  new StateMachine(definition, { validationOptions: { checkArn: false } });
  const waitTimeOverrides = overrideEach(definition, 'Wait', waitMs);
  const { retryIntervalMs } = options;
  const retryIntervalOverrides =
    retryIntervalMs === undefined ? undefined : overrideEach(definition, 'Task', retryIntervalMs);
  const tracker = new StateTracker(progress);
  const executions: LocalExecutions = new LocalExecutions((name, input) =>
    runLocal(input, {
      handlers,
      executionName: name,
      taskTokens,
      waitTimeOverrides,
      ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}),
      onEvent: tracker.on,
      definition,
      validate: false,
    }),
  );
  const trigger = await localTrigger({ plans: () => catalog, now, executions: () => executions });
  return { executions, trigger, tracker, definition, notifications };
};
