/**
 * Approval requests: how long a person has to answer (the plan's `approval.timeoutMinutes`), what they are told,
 * and what the run says when nobody answered. Pure, no I/O.
 *
 * The deadline is the plan's, enforced by a one-time timer armed with the request (an `ApprovalTimer` adapter:
 * EventBridge Scheduler on AWS, a local timer in the drill and tests) that fails the waiting task with
 * `ApprovalTimedOutError`. The approval states' fixed `TimeoutSeconds` is only a backstop above every plan's limit
 * (docs/architecture.md says why the definition cannot carry a per-plan timeout).
 */

/** Bounds of the plan field: below 5 minutes nobody paged at night can answer; above 4 hours it is not a failover. */
export const APPROVAL_TIMEOUT_MIN_MINUTES = 5;
export const APPROVAL_TIMEOUT_MAX_MINUTES = 240;
export const APPROVAL_TIMEOUT_DEFAULT_MINUTES = 60;

/**
 * The approval states' `TimeoutSeconds` in statemachines/failover.asl.yaml: the longest plan deadline plus five
 * minutes, so the plan's timer always fires first and the backstop only ends a run whose timer could not fire.
 * test/statemachine/definition.test.ts checks the definition agrees.
 */
export const APPROVAL_BACKSTOP_SECONDS = APPROVAL_TIMEOUT_MAX_MINUTES * 60 + 300;

/** The approval steps of the state machine, by the reason they ask. */
export const APPROVAL_STEPS = {
  ApproveFailover: 'the plan does not fail over by itself on an alarm (trigger.automatic: false)',
  ApproveLagExceeded: "replication lag stayed over the plan's RPO (rpo.onExceeded: wait-for-approval)",
} as const;
export type ApprovalStep = keyof typeof APPROVAL_STEPS;

export const isApprovalStep = (step: string): step is ApprovalStep => Object.hasOwn(APPROVAL_STEPS, step);

/** When an approval request asked at `askedAt` expires: whole seconds, rounded up (timers fire on seconds). */
export const approvalDeadline = (askedAt: Date, timeoutMinutes: number): Date =>
  new Date(Math.ceil((askedAt.getTime() + timeoutMinutes * 60_000) / 1000) * 1000);

/** The commands that answer a request, for the notification: dr-failover's CLI and the raw AWS CLI. */
export const approvalCommands = (taskToken: string) => ({
  approve: `npx dr-failover approve '${taskToken}'`,
  deny: `npx dr-failover deny '${taskToken}' --reason "..."`,
  awsApprove: `aws stepfunctions send-task-success --task-token '${taskToken}' --task-output '{"approved":true,"by":"<you>"}'`,
  awsDeny: `aws stepfunctions send-task-failure --task-token '${taskToken}' --error ApprovalDeniedError --cause "<you>: <why>"`,
});

/** What the timer's `ApprovalTimedOutError` carries: who was asked, when, and when it expired. */
export interface ApprovalTimeoutCause {
  errorType: 'ApprovalTimedOutError';
  errorMessage: string;
  plan: string;
  step: ApprovalStep;
  askedAt: string;
  deadline: string;
  timeoutMinutes: number;
  /** Where the request was published: the plan's event bus and, when it has one, its SNS topic. */
  asked: string[];
}

/**
 * The `Cause` of the timer's failure, as JSON in the shape of a Lambda error (`errorType`, `errorMessage`), so
 * the Aborted notification reads the message like any other step's error and keeps the structured fields.
 */
export const approvalTimeoutCause = (request: {
  plan: string;
  step: ApprovalStep;
  askedAt: Date;
  deadline: Date;
  timeoutMinutes: number;
  asked: string[];
}): ApprovalTimeoutCause => ({
  errorType: 'ApprovalTimedOutError',
  errorMessage:
    `Nobody answered the approval request for plan ${request.plan} within ${request.timeoutMinutes} min: ` +
    `asked ${request.asked.join(' and ')} at ${request.askedAt.toISOString()}, expired at ${request.deadline.toISOString()}. ` +
    'Nothing was changed.',
  plan: request.plan,
  step: request.step,
  askedAt: request.askedAt.toISOString(),
  deadline: request.deadline.toISOString(),
  timeoutMinutes: request.timeoutMinutes,
  asked: request.asked,
});

/** Reads the structured fields back from a `Cause`, when it is one of ours. */
export const parseApprovalTimeoutCause = (cause: string | undefined): ApprovalTimeoutCause | undefined => {
  if (cause === undefined) return undefined;
  try {
    const parsed = JSON.parse(cause) as Partial<ApprovalTimeoutCause>;
    return parsed.errorType === 'ApprovalTimedOutError' && typeof parsed.deadline === 'string'
      ? (parsed as ApprovalTimeoutCause)
      : undefined;
  } catch {
    return undefined;
  }
};
