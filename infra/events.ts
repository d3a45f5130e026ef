/** The EventBridge rules and schedules of a stack: each plan's alarm rules and game day (to the trigger), and its readiness schedule. */
import { alarmArn } from '#core/arn.js';
import { everyRunObservesTheWriter, type Plan } from '#core/plan.js';
import { ENDED_STATUSES } from '#core/run-ended.js';
import { alarmRuleName, gameDayScheduleName, readinessScheduleName, runEndedRuleName } from '#core/stack-names.js';
import { stateMachineResource } from './grants.js';
import type { Json } from './json.js';

export interface StackEvents {
  triggerEvents: Json[];
  /** One schedule per plan with readiness enabled, each sending `{ kind: readiness, plan }`. */
  readinessEvents: Json[];
  /** The stack's one rule on its own runs' ends (core/run-ended.ts), on the account's default bus. */
  runEndedEvents: Json[];
}

/** One rule per alarm of the plan (in its standby region), each matching that alarm's ARN moving into ALARM. */
const alarmRules = (plan: Plan, stage: string): Json[] =>
  plan.trigger.alarms.map((alarm, index) => ({
    eventBridge: {
      // Named, so the readiness check can find the rule of each alarm and its grant can name it.
      name: alarmRuleName(stage, plan.name, index),
      pattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: [alarmArn(plan, alarm)],
        detail: { state: { value: ['ALARM'] } },
      },
    },
  }));

/** One readiness schedule for the plan, sending `{ kind: readiness, plan }`. */
const readinessSchedule = (plan: Plan, stage: string): Json => ({
  schedule: {
    name: readinessScheduleName(stage, plan.name),
    description: `dr-failover readiness checks for plan ${plan.name}`,
    rate: [plan.readiness.schedule],
    input: { kind: 'readiness', plan: plan.name },
  },
});

/**
 * The stack's rules: its plans' alarms, game days and readiness; and, of the plans it runs turned round (their way
 * back: `turned`, already turned by orientPlan), the alarms (trigger.wayBackAlarms of the plan as written) and, for
 * a plan whose every run observes the writer, readiness (core/readiness/stack-side.ts: it says which stack
 * protects the pair now). No game day: the standby region's stack starts those.
 */
export const eventsOf = (plans: Plan[], stage: string, turned: Plan[] = []): StackEvents => {
  const triggerEvents: Json[] = turned.flatMap((plan) => alarmRules(plan, stage));
  const readinessEvents: Json[] = turned
    .filter((plan) => plan.readiness.enabled && everyRunObservesTheWriter(plan))
    .map((plan) => readinessSchedule(plan, stage));
  for (const plan of plans) {
    triggerEvents.push(...alarmRules(plan, stage));
    if (plan.gameday) {
      triggerEvents.push({
        schedule: {
          name: gameDayScheduleName(stage, plan.name),
          description: `dr-failover game day for plan ${plan.name}`,
          rate: [plan.gameday.schedule],
          inputTransformer: {
            inputPathsMap: { time: '$.time' },
            inputTemplate: `{"kind":"gameday","plan":"${plan.name}","time":<time>}`,
          },
        },
      });
    }
    if (plan.readiness.enabled) readinessEvents.push(readinessSchedule(plan, stage));
  }
  const runEndedEvents: Json[] = [
    {
      eventBridge: {
        name: runEndedRuleName(stage),
        pattern: {
          source: ['aws.states'],
          'detail-type': ['Step Functions Execution Status Change'],
          detail: { status: [...ENDED_STATUSES], stateMachineArn: [stateMachineResource(stage)] },
        },
      },
    },
  ];
  return { triggerEvents, readinessEvents, runEndedEvents };
};
