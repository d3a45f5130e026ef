/**
 * What a round-trip game day's way back needs (core/game-day-return.ts): the notify function creates one-time
 * schedules named `return-…` in the stack's way-back group of each such plan's primary region, passing the way-back
 * role, which Scheduler assumes to start the failback on that region's state machine, and nothing else. A stack with
 * no round-trip plan gets the group (the failback's region needs it) but neither the role nor the grants.
 */
import type { Plan } from '#core/plan.js';
import { stackName, wayBackGroupName } from '#core/stack-names.js';
import type { Grant, Scope } from './grant-rows.js';
import { type Json, sub } from './json.js';
import { schedulerRole } from './scheduler-role.js';

export const WAY_BACK_ROLE = 'WayBackRole';

/** The primary regions of the plans whose game days are round trips: where their ways back are scheduled. */
const returnRegions = (plans: readonly Plan[]): string[] => [
  ...new Set(plans.filter((p) => p.gameday?.roundTrip).map((p) => p.regions.primary)),
];

export const ARM_WAYS_BACK: Grant = {
  sid: 'ArmWaysBack',
  actions: ['scheduler:CreateSchedule'],
  // Names derive from the way out's execution: any `return-` schedule, only in this stack's way-back groups.
  resources: (s: Scope) =>
    returnRegions(s.plans).map((region) =>
      sub(`arn:aws:scheduler:${region}:\${AWS::AccountId}:schedule/${wayBackGroupName(s.stage)}/return-*`),
    ),
};

export const PASS_WAY_BACK_ROLE: Grant = {
  sid: 'PassWayBackRoleToScheduler',
  actions: ['iam:PassRole'],
  resources: (s: Scope) => (returnRegions(s.plans).length > 0 ? [{ 'Fn::GetAtt': [WAY_BACK_ROLE, 'Arn'] }] : []),
  condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
};

/** The way-back group, and the role Scheduler assumes to start the failback when a plan of the stack needs it. */
export const wayBackResources = (plans: readonly Plan[], stage: string): Record<string, Json> => {
  const resources: Record<string, Json> = {
    WayBackGroup: { Type: 'AWS::Scheduler::ScheduleGroup', Properties: { Name: wayBackGroupName(stage) } },
  };
  const regions = returnRegions(plans);
  if (regions.length === 0) return resources;
  // Only schedules of the way-back groups of those regions may use the role.
  resources[WAY_BACK_ROLE] = schedulerRole({
    description: `dr-failover ${stage}: EventBridge Scheduler starts a round-trip game day's way back`,
    groups: regions.map((r) =>
      sub(`arn:aws:scheduler:${r}:\${AWS::AccountId}:schedule-group/${wayBackGroupName(stage)}`),
    ),
    policyName: 'way-back',
    statement: {
      Sid: 'StartFailbacks',
      Action: ['states:StartExecution'],
      Resource: regions.map((r) => sub(`arn:aws:states:${r}:\${AWS::AccountId}:stateMachine:${stackName(stage)}`)),
    },
  });
  return resources;
};

/** The role's ARN for the notify function's WAY_BACK_ROLE_ARN: empty when the stack has no round-trip plan. */
export const wayBackRoleArn = (plans: readonly Plan[]): Json =>
  returnRegions(plans).length > 0 ? { 'Fn::GetAtt': [WAY_BACK_ROLE, 'Arn'] } : '';
