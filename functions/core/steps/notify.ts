import {
  APPROVAL_BACKSTOP_SECONDS,
  APPROVAL_STEPS,
  type ApprovalStep,
  approvalCommands,
  approvalDeadline,
  approvalTimeoutCause,
  isApprovalStep,
  parseApprovalTimeoutCause,
} from '../approval.js';
import { artifactDetail } from '../artifact-run.js';
import { componentLines } from '../components.js';
import { InvalidInputError } from '../errors.js';
import { armWayBack, gameDayReturn } from '../game-day-return.js';
import type { FailoverMode } from '../input.js';
import { measureRun } from '../measures.js';
import { causeMessage, describeWorld, nextStepsFor, standbyPromoted } from '../next-steps.js';
import type { Plan } from '../plan.js';
import type { FailoverEvent, FailoverEventType } from '../ports.js';
import { type FailoverState, recordStep, type StepName } from '../state.js';
import type { StepDeps, StepPayload } from './deps.js';

/** The notification of each Notify step; `timelineStep` is absent for ends notified from outside the run. */
const EVENT_OF_STEP: Record<string, { type: FailoverEventType; timelineStep?: StepName }> = {
  NotifyStarted: { type: 'Failover Started', timelineStep: 'NotifyStarted' },
  NotifySucceeded: { type: 'Failover Succeeded', timelineStep: 'NotifySucceeded' },
  NotifyFailed: { type: 'Failover Failed', timelineStep: 'NotifyFailed' },
  NotifyAborted: { type: 'Failover Aborted', timelineStep: 'NotifyAborted' },
  ApproveFailover: { type: 'Approval Required', timelineStep: 'RequestApproval' },
  ApproveLagExceeded: { type: 'Approval Required', timelineStep: 'RequestApproval' },
  // A run stopped with StopExecution, notified by the run-ended function (core/run-ended.ts).
  RunStopped: { type: 'Failover Stopped' },
};

const overriddenNote = (o: FailoverState['run']['cooldownOverridden']) =>
  o ? `, overriding the cooldown after run ${o.run} (succeeded ${o.endedAt})` : undefined;

/** What an approval request tells people about its deadline. */
export interface ApprovalRequestInfo {
  deadline: Date;
  timeoutMinutes: number;
  /** Set when the plan's timer could not be armed: the deadline is then the approval state's backstop. */
  timerError?: string;
}

/** Where an approval request is published: the people and systems asked. */
const askedVia = (plan: Pick<Plan, 'notify'>): string[] => [
  `event bus ${plan.notify.eventBus}`,
  ...(plan.notify.snsTopicArn ? [`SNS topic ${plan.notify.snsTopicArn}`] : []),
];

/** What every notification of a run says, from its state: who, what, where, and what went wrong. */
const contextOf = (
  step: string,
  state: Partial<FailoverState> & { error?: FailoverState['error'] },
  now: Date,
  taskToken?: string,
  approvalRequest?: ApprovalRequestInfo,
) => {
  const kind = EVENT_OF_STEP[step];
  if (!kind) throw new InvalidInputError('step', `unknown notification step ${step}`);
  // A run refused by Prepare carries the raw input: `plan` is then a name, not a resolved plan.
  const input = typeof state.input === 'object' ? state.input : undefined;
  const plan = typeof state.plan === 'object' && state.plan !== null ? state.plan : undefined;
  // A run refused by Prepare has no parsed input: say what we can from the raw one.
  const raw = (state as Record<string, unknown>) ?? {};
  const planName = plan?.name ?? (typeof raw.plan === 'string' ? raw.plan.slice(0, 64) : 'unknown');
  const mode: FailoverMode = input?.mode ?? (raw.mode === 'planned' ? 'planned' : 'unplanned');
  const dryRun = input?.dryRun ?? raw.dryRun === true;
  return {
    step,
    kind,
    state,
    input,
    plan,
    raw,
    planName,
    mode,
    dryRun,
    taskToken,
    approvalRequest,
    measures: plan ? measureRun(state, now) : {},
    errorName: state.error?.Error,
    errorMessage: causeMessage(state.error?.Cause),
    how: `${dryRun ? 'dry-run ' : ''}${mode} failover of ${planName}`,
    where:
      (plan ? ` (${plan.regions.primary} → ${plan.regions.standby})` : '') +
      (overriddenNote(state.run?.cooldownOverridden) ?? ''),
  };
};
type EventContext = ReturnType<typeof contextOf>;

/** Each component of the plan, one line each (`name (kind, stage n): status - detail`); none without components. */
const componentsDetail = (plan: Plan | undefined, state: Partial<FailoverState>) =>
  plan?.components ? { components: componentLines(plan.components, state.components) } : {};

/** Why a lag approval is asked: the components' gates when they are what exceeded, else the database's lag. */
const lagReason = (state: Partial<FailoverState>) =>
  state.componentGates?.decision === 'exceeded' ? state.componentGates.reason : state.lag?.reason;

/** Each event type's one-line summary and the detail it adds. */
type EventBody = (c: EventContext) => { summary: string; detail?: Record<string, unknown> };

const started: EventBody = (c) => ({ summary: `Started ${c.how}${c.where}: ${c.input?.reason ?? ''}` });

const succeeded: EventBody = ({ how, where, state, plan, measures }) => ({
  summary:
    `${how}${where} succeeded: ${state.dns?.recordName ?? 'record'} → ${state.dns?.target ?? '?'}` +
    (measures.rtoSeconds !== undefined ? `, RTO ${measures.rtoSeconds} s (target ${measures.rtoTargetSeconds} s)` : ''),
  detail: {
    measures,
    timeline: state.timeline,
    fence: state.fence,
    lag: state.lag,
    ...componentsDetail(plan, state),
    ...artifactDetail(state),
  },
});

const aborted: EventBody = ({ how, where, state, plan, errorName, errorMessage }) => ({
  summary: `Aborted ${how}${where}: ${errorMessage ?? state.lag?.reason ?? errorName ?? 'no reason recorded'}`,
  detail: {
    error: errorName,
    message: errorMessage,
    lag: state.lag,
    ...componentsDetail(plan, state),
    ...artifactDetail(state),
    // A timed-out approval: who was asked, when, and when it expired.
    approval: parseApprovalTimeoutCause(state.error?.Cause),
    timeline: state.timeline,
    nextSteps: nextStepsFor(errorName),
  },
});

/** Where the run was left, what the person paged reads first after the error: shared by Failed and Stopped. */
const worldDetail = ({ state, plan, errorName, errorMessage, measures }: EventContext) => {
  const world = { promoted: standbyPromoted(state), dnsSwitched: state.dns?.status === 'insync' };
  const fence = state.fence;
  const oldPrimaryFenced = !!fence && !fence.dryRun && !!(fence.fenced || fence.readOnly || fence.pending);
  const promotionRequested = state.promote?.outcome === 'started' && !state.promote.dryRun;
  return {
    error: errorName,
    message: errorMessage,
    lastCompletedStep: state.timeline?.at(-1)?.step ?? 'none',
    ...world,
    ...(plan ? { stateOfTheWorld: describeWorld(state, plan) } : {}),
    fence: state.fence,
    ...artifactDetail(state),
    timeline: state.timeline,
    measures,
    nextSteps: nextStepsFor(errorName, {
      ...world,
      oldPrimaryFenced,
      promotionRequested,
      ...(plan ? { plan } : {}),
      ...(state.dns ? { dns: state.dns } : {}),
    }),
    // A real game day that did not finish: what returns the world to how it was (proposed, never started).
    returnPath: gameDayReturn(state, plan),
  };
};

const failed: EventBody = (c) => ({
  summary: `FAILED ${c.how}${c.where}: ${c.errorName ?? 'error'}${c.errorMessage ? `: ${c.errorMessage}` : ''}`,
  detail: worldDetail(c),
});

/** A run stopped by a person (StopExecution): what it had changed when it stopped, and who stopped it and why. */
const stopped: EventBody = (c) => ({
  summary: `STOPPED ${c.how}${c.where}: ${c.errorMessage ?? c.errorName ?? 'no reason recorded'}`,
  detail: worldDetail(c),
});

const approvalRequired: EventBody = ({ step, how, where, mode, plan, state, approvalRequest, taskToken }) => {
  const deadline = approvalRequest?.deadline.toISOString();
  const record = plan ? ` and point ${plan.dns.recordName} at it` : '';
  return {
    summary:
      `Approval required${deadline ? ` by ${deadline}` : ''} for ${how}${where}: ` +
      (lagReason(state) ?? 'the plan asks a person before an automatic failover'),
    detail: {
      proposed: `${mode} failover to ${plan?.regions.standby ?? 'the standby'}: fence the old primary, promote the standby${record}`,
      why: isApprovalStep(step) ? APPROVAL_STEPS[step] : undefined,
      measuredLag:
        lagReason(state) ??
        'not measured yet: once approved, the run checks replication lag against the RPO before it changes anything',
      lag: state.lag,
      deadline,
      timeoutMinutes: approvalRequest?.timeoutMinutes,
      ifNoAnswer: deadline
        ? `at ${deadline} the run aborts (ApprovalTimedOutError), notified; nothing is changed`
        : undefined,
      deadlineWarning: approvalRequest?.timerError
        ? `the plan's ${approvalRequest.timeoutMinutes}-minute timer could not be armed (${approvalRequest.timerError}); the run waits until the deadline above instead`
        : undefined,
      ...(taskToken ? approvalCommands(taskToken) : {}),
    },
  };
};

const BODIES: Partial<Record<FailoverEvent['type'], EventBody>> = {
  'Failover Started': started,
  'Failover Succeeded': succeeded,
  'Failover Aborted': aborted,
  'Failover Failed': failed,
  'Failover Stopped': stopped,
  'Approval Required': approvalRequired,
};

/** What an RDS or Aurora way back preserved and rebuilt, for every notification of a failback run. */
const wayBackDetail = (failback: NonNullable<FailoverState['failback']>, plan: Plan) => {
  const { preserved, rebuilt } = failback;
  const db = plan.database;
  // The plan is turned round: its replica (RDS) or target cluster (Aurora, the old primary rejoining) is rebuilt.
  const replica =
    db.kind === 'rds-instance' ? db.replicaInstanceArn : db.kind === 'aurora-global' ? db.targetClusterArn : '';
  const kept =
    db.kind === 'aurora-global'
      ? "a manual copy of Aurora's unplanned-failover snapshot, never deleted"
      : 'the instance itself is kept as it was';
  return {
    preserved: preserved
      ? `old primary ${failback.oldPrimaryArn}: snapshot ${preserved.id} (${preserved.status}); ${kept}`
      : `old primary ${failback.oldPrimaryArn}: kept as it was, not snapshotted by this run (${failback.rebuild === 'replicating' ? 'the replica was already replicating' : 'not reached'})`,
    rebuilt: rebuilt
      ? `${replica}: ${rebuilt.state}${rebuilt.outcome ? ` (${rebuilt.outcome})` : ''} after ${rebuilt.checks} checks: ${rebuilt.detail}`
      : `${replica}: ${failback.rebuild === 'replicating' ? 'found replicating by Prepare' : 'not built by this run'}`,
  };
};

/** Builds the notification for a step of the run. Pure. */
export const buildEvent = (
  step: string,
  executionId: string,
  state: Partial<FailoverState> & { error?: FailoverState['error'] },
  now: Date,
  taskToken?: string,
  approvalRequest?: ApprovalRequestInfo,
): FailoverEvent => {
  const c = contextOf(step, state, now, taskToken, approvalRequest);
  const body = BODIES[c.kind.type]?.(c) ?? { summary: `${c.kind.type}: ${c.how}` };
  // What the run overrode (set by Prepare's run guard); asking for an override with no cooldown to override is moot.
  const overridden = state.run?.cooldownOverridden;
  const detail: Record<string, unknown> = {
    ...(c.plan ? { regions: c.plan.regions } : {}),
    ...(state.failback && c.plan ? { wayBack: wayBackDetail(state.failback, c.plan) } : {}),
    ...(overridden ? { cooldownOverridden: overridden } : {}),
    ...(c.input?.trigger ? { trigger: c.input.trigger } : {}),
    ...body.detail,
  };
  const who =
    c.input?.requestedBy ?? (typeof c.raw.requestedBy === 'string' ? c.raw.requestedBy.slice(0, 256) : 'unknown');
  return {
    type: c.kind.type,
    plan: c.planName,
    executionId,
    mode: c.mode,
    dryRun: c.dryRun,
    requestedBy: who,
    reason: c.input?.reason ?? (typeof c.raw.reason === 'string' ? c.raw.reason.slice(0, 1000) : ''),
    summary: body.summary,
    detail,
    occurredAt: now.toISOString(),
  };
};

/**
 * Arms the plan's approval deadline before the request is published, so the deadline people read is the one that
 * applies. A timer that cannot be armed (the SDK already retried) does not keep people from being asked: the
 * request is published with the approval state's backstop as its deadline and says why.
 */
const armApprovalDeadline = async (
  payload: StepPayload<FailoverState>,
  step: ApprovalStep,
  askedAt: Date,
  deps: Pick<StepDeps, 'approvalTimer'>,
): Promise<ApprovalRequestInfo> => {
  const plan = payload.state.plan;
  if (typeof plan !== 'object' || plan === null)
    throw new InvalidInputError('state.plan', 'an approval request needs the resolved plan');
  if (!payload.taskToken) throw new InvalidInputError('taskToken', 'an approval request needs its task token');
  const { timeoutMinutes } = plan.approval;
  const deadline = approvalDeadline(askedAt, timeoutMinutes);
  const cause = approvalTimeoutCause({
    plan: plan.name,
    step,
    askedAt,
    deadline,
    timeoutMinutes,
    asked: askedVia(plan),
  });
  try {
    const timer = await deps.approvalTimer(plan);
    await timer.arm({ taskToken: payload.taskToken, deadline, executionId: payload.executionId, cause });
    return { deadline, timeoutMinutes };
  } catch (error) {
    const e = error as { name?: string; message?: string };
    return {
      deadline: new Date(askedAt.getTime() + APPROVAL_BACKSTOP_SECONDS * 1000),
      timeoutMinutes,
      timerError: `${e.name ?? 'Error'}: ${e.message ?? String(error)}`,
    };
  }
};

/**
 * Publishes the notification of a step. A failure throws (so the state machine retries it) but the state
 * machine's Catch on every Notify Task goes on: a notification never fails a failover.
 */
export const notify = async (
  payload: StepPayload<FailoverState>,
  deps: Pick<StepDeps, 'now' | 'notifier' | 'approvalTimer' | 'returnScheduler'>,
): Promise<FailoverState> => {
  const started = deps.now();
  const approvalRequest = isApprovalStep(payload.step)
    ? await armApprovalDeadline(payload, payload.step, started, deps)
    : undefined;
  const built = buildEvent(
    payload.step,
    payload.executionId,
    payload.state,
    started,
    payload.taskToken,
    approvalRequest,
  );
  // A round-trip game day's way out succeeded: the way back is armed before people are told it is.
  const wayBack =
    payload.step === 'NotifySucceeded'
      ? await armWayBack(payload.state, payload.executionId, started, deps.returnScheduler)
      : {};
  const event = { ...built, detail: { ...built.detail, ...wayBack } };
  const plan = typeof payload.state.plan === 'object' && payload.state.plan !== null ? payload.state.plan : undefined;
  const notifier = await deps.notifier(plan);
  await notifier.publish(event);
  const timelineStep = EVENT_OF_STEP[payload.step]?.timelineStep;
  if (!payload.state.timeline || !timelineStep) return payload.state;
  return {
    ...payload.state,
    timeline: recordStep(payload.state, timelineStep, started, deps.now(), `published ${event.type}`),
  };
};
