/**
 * The way back from a real game day that failed midway (the abort-and-return path): a game day is an exercise, so
 * when its run fails or is stopped, the notification says what returns the world to how it was, from where the run
 * left it. It proposes; it starts nothing. Two rules hold whatever the run reached:
 * - never promote twice: once the standby is the writer, the old primary is never made writable again by hand; the
 *   way back is a failback (`dr-failover failback`), over the old primary rebuilt as the new writer's standby;
 * - never move traffic back over a standby that has not caught up: the failback's Prepare refuses a pair it does not
 *   observe standing the other way round, and its lag check refuses any lag (rpo.onExceeded: abort), changing
 *   nothing.
 * Pure.
 */
import { createHash } from 'node:crypto';
import { standbyPromoted } from './next-steps.js';
import type { Plan } from './plan.js';
import type { ReturnRequest, ReturnScheduler } from './ports.js';
import type { FailoverState } from './state.js';
import { executionName, windowStamp } from './trigger.js';

/** A run a game-day schedule started that changes the world (not a dry run). */
export const isRealGameDay = (state: Partial<FailoverState>): boolean =>
  state.input?.trigger?.kind === 'schedule' && state.input.dryRun === false;

/** How to lift the fence a planned run put on the old primary, for the plan's database kind. */
const unfence = (plan: Plan): string => {
  const db = plan.database;
  switch (db.kind) {
    case 'postgres':
      return (
        'lift the fence on the primary: ALTER SYSTEM RESET default_transaction_read_only; SELECT pg_reload_conf(); ' +
        `(as a superuser, on ${db.primary.host})`
      );
    case 'rds-instance':
      return (
        `lift the fence on the primary: set default_transaction_read_only back to 0 in DB parameter group ` +
        `${db.fenceParameterGroupName ?? '(the fence parameter group)'} in ${plan.regions.primary}`
      );
    case 'aurora-global':
      return 'nothing to lift: a switchover demotes the writer only as it promotes the standby, and it did not';
  }
};

const failback = (plan: Plan): string =>
  `rebuild the old primary in ${plan.regions.primary} as the new writer's standby (never make it writable by ` +
  `itself: that would be a second writer), wait for lag 0, then start the way back from ${plan.regions.primary}'s ` +
  `stack: dr-failover failback --plan ${plan.name} --reason "return after the game day". It refuses, changing ` +
  'nothing, until it observes the pair rebuilt the other way round and caught up';

/** The return, from where the run left the world. */
const returnFrom = (state: Partial<FailoverState>, plan: Plan): string => {
  const { primary, standby } = plan.regions;
  if (standbyPromoted(state)) {
    const traffic =
      state.dns?.status === 'insync'
        ? 'Traffic follows it.'
        : `Traffic does not follow it yet: first finish the way out (re-run ${plan.name}: it finds the standby the ` +
          'writer, promotes nothing and moves traffic), so clients reach the one writer.';
    return `The standby in ${standby} IS the writer: never promote or unfence the old primary. ${traffic} Then ${failback(plan)}.`;
  }
  if (state.promote) {
    return (
      `A promotion of the standby in ${standby} was requested and may still complete: start nothing until it ` +
      `settles. If it completes, the standby is the writer: ${failback(plan)}. If the standby stays in recovery, ` +
      `${unfence(plan)}.`
    );
  }
  const fence = state.fence;
  const fenceTouched = fence && (fence.fenced || fence.readOnly || fence.pending) && !fence.byPromotion;
  if (fenceTouched || state.error?.Error === 'FenceFailedError') {
    return (
      `Nothing was promoted; the primary in ${primary} is still the writer but the fence ` +
      `${fenceTouched ? 'made it refuse writes' : 'may have left it refusing writes (the old primary line says)'}: ` +
      `${unfence(plan)}. No failback: there is nothing to come back from.`
    );
  }
  return `Nothing to return: nothing was promoted or fenced; the primary in ${primary} is the writer.`;
};

/** What returns the world after a real game day that did not succeed; undefined for any other run. */
export const gameDayReturn = (state: Partial<FailoverState>, plan: Plan | undefined): string | undefined =>
  plan && isRealGameDay(state) ? `Game day, not an incident: return the world. ${returnFrom(state, plan)}` : undefined;

/** The state machine of the same stack in `region`: `…:execution:SM:NAME` → `…:stateMachine:SM` there. */
const stateMachineIn = (executionArn: string, region: string): string | undefined => {
  const m = /^arn:([\w-]+):states:[\w-]+:(\d{12}):execution:([\w-]+):[^:]+$/.exec(executionArn);
  return m ? `arn:${m[1]}:states:${region}:${m[2]}:stateMachine:${m[3]}` : undefined;
};

/**
 * The return a real round-trip game day arms once its way out succeeded, `returnAfterMinutes` after the way out's
 * last step ended (`now` when the timeline has none); undefined for any other run.
 */
export const returnRequestOf = (
  state: Partial<FailoverState>,
  executionArn: string,
  now: Date,
): ReturnRequest | undefined => {
  const plan = state.plan;
  const roundTrip = plan?.gameday?.roundTrip;
  const stateMachineArn = plan ? stateMachineIn(executionArn, plan.regions.primary) : undefined;
  if (!plan || !roundTrip || !isRealGameDay(state) || !state.input || !stateMachineArn) return undefined;
  const outName = executionArn.split(':').at(-1) ?? '';
  // From the way out's last step (the same in every retry of the notification), so a retry names the same time.
  const lastEnded = Date.parse(state.timeline?.at(-1)?.endedAt ?? '');
  const from = Number.isNaN(lastEnded) ? now.getTime() : lastEnded;
  const at = new Date(Math.ceil((from + roundTrip.returnAfterMinutes * 60_000) / 1000) * 1000);
  return {
    scheduleName: `return-${createHash('sha256').update(executionArn).digest('hex').slice(0, 40)}`,
    at,
    stateMachineArn,
    executionName: executionName(plan.name, 'failback', windowStamp(new Date(state.input.incidentStartedAt), 1)),
    input: {
      plan: plan.name,
      mode: 'planned',
      dryRun: false,
      reason: `round-trip game day: the way back after ${outName}`.slice(0, 512),
      requestedBy: 'schedule:gameday-return',
      incidentStartedAt: at.toISOString(),
      overrideCooldown: false,
      trigger: { kind: 'failback', source: `gameday:${outName}`.slice(0, 512) },
    },
  };
};

/**
 * Arms the way back of a round-trip game day whose way out succeeded, for its Failover Succeeded notification to
 * say: `wayBack` (when and what starts), and `wayBackWarning` when it could not be armed (the SDK already retried):
 * the notification is published anyway and says how to start the way back by hand. Any other run: nothing.
 */
export const armWayBack = async (
  state: Partial<FailoverState>,
  executionArn: string,
  now: Date,
  scheduler: (plan: Plan) => Promise<ReturnScheduler>,
): Promise<Record<string, unknown>> => {
  const request = returnRequestOf(state, executionArn, now);
  if (!request || !state.plan) return {};
  const wayBack = {
    at: request.at.toISOString(),
    stateMachineArn: request.stateMachineArn,
    executionName: request.executionName,
    schedule: request.scheduleName,
  };
  try {
    const armed = await (await scheduler(state.plan)).arm(request);
    return { wayBack: { ...wayBack, alreadyArmed: armed.alreadyArmed } };
  } catch (error) {
    const e = error as { name?: string; message?: string };
    return {
      wayBack,
      wayBackWarning:
        `the way back could not be scheduled (${e.name ?? 'Error'}: ${e.message ?? String(error)}): once the old ` +
        `primary is rebuilt and caught up, start it by hand from ${state.plan.regions.primary}: dr-failover ` +
        `failback --plan ${state.plan.name} --reason "round-trip game day: the way back"`,
    };
  }
};
