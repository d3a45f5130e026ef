/** The functions' roles (the grants table, plus each function's own log group) and the approval timer's role. */
import type { Plan } from '#core/plan.js';
import { approvalTimerGroupName, FUNCTIONS, type FunctionName, functionName } from '#core/stack-names.js';
import { APPROVAL_TIMER_ROLE, stateMachineResource, statementsFor } from './grants.js';
import { type Json, pascal, sub } from './json.js';
import { schedulerRole } from './scheduler-role.js';

export const roleLogicalId = (fn: FunctionName) => `${pascal(fn)}Role`;

/** One least-privilege role per function. */
export const functionRoles = (plans: Plan[], stage: string, wayBack: Plan[] = []): Record<string, Json> => {
  const resources: Record<string, Json> = {};
  for (const fn of FUNCTIONS) {
    const logGroup = `arn:aws:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${functionName(stage, fn)}`;
    resources[roleLogicalId(fn)] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        Description: `dr-failover ${stage}: the ${fn} function, least privilege`,
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        Policies: [
          {
            PolicyName: `${fn}`,
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Sid: 'WriteOwnLogs',
                  Effect: 'Allow',
                  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                  Resource: [sub(`${logGroup}:*`)],
                },
                ...(statementsFor(fn, plans, stage, wayBack) as unknown as Json[]),
              ],
            },
          },
        ],
      },
    };
  }
  return resources;
};

/** The role EventBridge Scheduler assumes to fail an approval nobody answered, and the schedules' group. */
export const approvalTimer = (stage: string): Record<string, Json> => {
  const resources: Record<string, Json> = {};
  resources.ApprovalTimerGroup = {
    Type: 'AWS::Scheduler::ScheduleGroup',
    Properties: { Name: approvalTimerGroupName(stage) },
  };
  // Only schedules of this stack's approval group may use the role.
  resources[APPROVAL_TIMER_ROLE] = schedulerRole({
    description: `dr-failover ${stage}: EventBridge Scheduler fails an approval request nobody answered by its deadline`,
    groups: sub(`arn:aws:scheduler:\${AWS::Region}:\${AWS::AccountId}:schedule-group/${approvalTimerGroupName(stage)}`),
    policyName: 'approval-timer',
    statement: {
      Sid: 'FailUnansweredApprovals',
      Action: ['states:SendTaskFailure'],
      Resource: [stateMachineResource(stage)],
    },
  });
  return resources;
};
