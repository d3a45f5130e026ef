/**
 * The way back of a round-trip game day, IAM simulated (@cloud-copilot/iam-simulate): the notify role of a stack
 * with a round-trip plan may create `return-…` schedules only in the stack's way-back group of the plan's primary
 * region and pass only the way-back role, only to Scheduler; that role may start only the failback's state machine.
 * The shipped plans have no round trip (only self-managed PostgreSQL can fail back), so the roles are built by the
 * wiring's own functions for such a plan, exactly as packaging builds them.
 */
import { describe, expect, it } from 'vitest';
import type { Plan } from '#core/plan.js';
import { wayBackGroupName } from '#core/stack-names.js';
import { notificationResources } from '#infra/notifications.js';
import { approvalTimer, functionRoles, roleLogicalId } from '#infra/roles.js';
import { WAY_BACK_ROLE, wayBackResources, wayBackRoleArn } from '#infra/way-back.js';
import { gameDayPlan } from '../fixtures/game-day-plan.js';
import { simulate } from './simulate.js';
import { resolvePolicies, type Template } from './template.js';

const STAGE = 'ci';
const ACCOUNT = '111122223333';

const planOf = (name: string, primary: string, roundTrip: boolean): Plan => gameDayPlan({ name, primary, roundTrip });

const templateFor = (plans: Plan[]): Template =>
  ({
    Resources: {
      ...functionRoles(plans, STAGE),
      ...approvalTimer(STAGE),
      ...notificationResources(plans, STAGE),
      ...wayBackResources(plans, STAGE),
    },
  }) as unknown as Template;

const GROUP = wayBackGroupName(STAGE);
const schedule = (region: string, name: string, group = GROUP) =>
  `arn:aws:scheduler:${region}:${ACCOUNT}:schedule/${group}/${name}`;

describe('IAM of a round-trip game day’s way back, simulated', () => {
  const plans = [planOf('ledger', 'us-east-1', true), planOf('stock', 'us-west-2', false)];
  const resolved = resolvePolicies(templateFor(plans), 'eu-west-1', STAGE);
  const notify = resolved.policiesOf(roleLogicalId('notify'));
  const wayBack = resolved.policiesOf(WAY_BACK_ROLE);
  const asNotify = (action: string, resource: string, context: Record<string, string> = {}) =>
    simulate(notify, { action, resource, context }, ACCOUNT, `arn:aws:iam::${ACCOUNT}:role/notify`);
  const asScheduler = (action: string, resource: string) =>
    simulate(wayBack, { action, resource }, ACCOUNT, `arn:aws:iam::${ACCOUNT}:role/way-back`);

  it('lets notify create a way back only as return-… in the way-back group of a round-trip plan’s primary region', async () => {
    expect(await asNotify('scheduler:CreateSchedule', schedule('us-east-1', 'return-0123abcd'))).toBe('Allowed');
    for (const denied of [
      schedule('us-east-1', 'approval-0123abcd'),
      schedule('us-east-1', 'return-0123abcd', 'default'),
      schedule('us-east-1', 'return-0123abcd', 'dr-failover-prod-way-back'),
      // The other plan of the stack is no round trip: nothing in its primary region
      schedule('us-west-2', 'return-0123abcd'),
    ]) {
      expect(await asNotify('scheduler:CreateSchedule', denied), denied).toBe('ImplicitlyDenied');
    }
  });

  it('lets notify pass the way-back role to Scheduler only', async () => {
    const role = resolved.roleArn(WAY_BACK_ROLE);
    const to = (service: string) => ({ 'iam:PassedToService': service });
    expect(await asNotify('iam:PassRole', role, to('scheduler.amazonaws.com'))).toBe('Allowed');
    expect(await asNotify('iam:PassRole', role, to('lambda.amazonaws.com'))).toBe('ImplicitlyDenied');
    expect(await asNotify('iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/admin`, to('scheduler.amazonaws.com'))).toBe(
      'ImplicitlyDenied',
    );
  });

  it('lets Scheduler start only the failback’s state machine in the primary region, and do nothing else', async () => {
    const machine = (region: string, name = `dr-failover-${STAGE}`) =>
      `arn:aws:states:${region}:${ACCOUNT}:stateMachine:${name}`;
    expect(await asScheduler('states:StartExecution', machine('us-east-1'))).toBe('Allowed');
    expect(await asScheduler('states:StartExecution', machine('eu-west-1'))).toBe('ImplicitlyDenied');
    expect(await asScheduler('states:StartExecution', machine('us-east-1', 'dr-failover-prod'))).toBe(
      'ImplicitlyDenied',
    );
    expect(
      await asScheduler('states:StopExecution', `arn:aws:states:us-east-1:${ACCOUNT}:execution:dr-failover-${STAGE}:x`),
    ).toBe('ImplicitlyDenied');
  });

  it('trusts only schedules of the way-back group of those regions, in this account', () => {
    const role = templateFor(plans).Resources[WAY_BACK_ROLE] as unknown as {
      Properties: { AssumeRolePolicyDocument: { Statement: { Condition: unknown }[] } };
    };
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0]?.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnEquals: {
        'aws:SourceArn': [{ 'Fn::Sub': `arn:aws:scheduler:us-east-1:\${AWS::AccountId}:schedule-group/${GROUP}` }],
      },
    });
  });

  it('gives a stack without a round-trip plan the group only: no role, no grant, no role ARN', () => {
    const none = [planOf('stock', 'us-west-2', false)];
    const t = templateFor(none);
    expect(t.Resources[WAY_BACK_ROLE]).toBeUndefined();
    expect(t.Resources.WayBackGroup).toEqual({ Type: 'AWS::Scheduler::ScheduleGroup', Properties: { Name: GROUP } });
    expect(JSON.stringify(resolvePolicies(t, 'eu-west-1', STAGE).policiesOf(roleLogicalId('notify')))).not.toContain(
      GROUP,
    );
    expect(wayBackRoleArn(none)).toBe('');
  });
});
