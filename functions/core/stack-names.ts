/**
 * The one source of the deployed stack's resource names. The packaging wiring (infra/) creates the resources
 * with these names, serverless.yml reads them through the wiring, and the functions, the readiness checks and
 * the CLI look the same resources up with them, so a name can never be spelled two ways.
 */

export const SERVICE = 'dr-failover';

/** The function names of serverless.yml, in the order of the flow. */
export const FUNCTIONS = [
  'trigger',
  'prepare',
  'failback',
  'checkLag',
  'fence',
  'promote',
  'promotionStatus',
  'component',
  'updateDns',
  'dnsStatus',
  'verify',
  'notify',
  'runEnded',
  'readiness',
] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/** The functions a failover runs through: the readiness check verifies each exists and is Active. */
export const FAILOVER_FUNCTIONS = FUNCTIONS.filter((fn) => fn !== 'readiness');

/** The stage's stack, and its failover state machine's name: `dr-failover-<stage>`. */
export const stackName = (stage: string): string => `${SERVICE}-${stage}`;

/** A deployed function's name, as the Serverless Framework names it: `dr-failover-<stage>-<function>`. */
export const functionName = (stage: string, fn: FunctionName): string => `${stackName(stage)}-${fn}`;

export const stateMachineArn = (region: string, accountId: string, stage: string): string =>
  `arn:aws:states:${region}:${accountId}:stateMachine:${stackName(stage)}`;

export const functionArn = (region: string, accountId: string, stage: string, fn: FunctionName): string =>
  `arn:aws:lambda:${region}:${accountId}:function:${functionName(stage, fn)}`;

/** The stack's EventBridge Scheduler group for approval deadlines (scheduler names: 1-64 of [0-9a-zA-Z-_.]). */
export const approvalTimerGroupName = (stage: string): string => `${stackName(stage)}-approvals`;

/**
 * The schedule group of round-trip game days' ways back (core/game-day-return.ts). Every stack has it: a way back is
 * scheduled in the plan's primary region, by the standby region's stack, and runs on the primary region's stack.
 */
export const wayBackGroupName = (stage: string): string => `${stackName(stage)}-way-back`;

/** The rule that sends the state machine's stopped, timed-out and failed runs to the run-ended function. */
export const runEndedRuleName = (stage: string): string => `${stackName(stage)}-run-ended`;

/**
 * The name of the EventBridge rule that sends a plan's `index`-th trigger alarm to the trigger. The wiring names
 * the rules with it and the readiness check looks them up with it, so both always agree (rule names: 64 at most).
 */
export const alarmRuleName = (stage: string, plan: string, index: number): string =>
  `${stackName(stage)}-${plan}-alarm-${index + 1}`.slice(0, 64);

/** The EventBridge schedule that starts a plan's game day. */
export const gameDayScheduleName = (stage: string, plan: string): string =>
  `${stackName(stage)}-${plan}-gameday`.slice(0, 64);

/** The EventBridge schedule that runs a plan's readiness checks. */
export const readinessScheduleName = (stage: string, plan: string): string =>
  `${stackName(stage)}-${plan}-readiness`.slice(0, 64);

/** The CloudWatch alarm that pages a plan's topic when its readiness is CRITICAL. */
export const readinessAlarmName = (stage: string, plan: string): string => `${stackName(stage)}-${plan}-readiness`;

/** The alias of the KMS key that encrypts the on-call topics. */
export const notificationsKeyAlias = (stage: string): string => `alias/${stackName(stage)}-notifications`;

/**
 * The stack's own event bus and on-call topic: where a run that failed before its plan was resolved (bad input, an
 * unknown plan) is notified. The bus is the one the shipped plans name; the topic is the stage's own.
 */
export const DEFAULT_EVENT_BUS = `${SERVICE}`;
export const defaultTopicName = (stage: string): string => `${stackName(stage)}-oncall`;
