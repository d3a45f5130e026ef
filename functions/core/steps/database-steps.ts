import { FenceFailedError, PromotionFailedError, PromotionTimedOutError } from '../errors.js';
import { decideLag } from '../lag-policy.js';
import { type FailoverState, recordStep } from '../state.js';
import type { StepDeps, StepPayload } from './deps.js';

type DbDeps = Pick<StepDeps, 'now' | 'database'>;

/** The RPO guard: one lag reading, and the plan's verdict on it. Reads only. */
export const checkLag = async ({ state }: StepPayload, deps: DbDeps): Promise<FailoverState> => {
  const started = deps.now();
  const db = await deps.database(state.plan);
  const reading = await db.replicationLag();
  const checks = (state.lag?.checks ?? 0) + 1;
  const verdict = decideLag(state.plan, reading, checks);
  const next: FailoverState = {
    ...state,
    lag: { reading, checks, decision: verdict.decision, reason: verdict.reason },
  };
  next.timeline = recordStep(state, 'CheckLag', started, deps.now(), `${verdict.decision}: ${verdict.reason}`);
  return next;
};

/**
 * Fences the old primary. Planned runs must fence (a planned switchover never promotes over a writable primary);
 * unplanned runs try within the adapter's bound and go on, recording whether the old primary was fenced.
 */
export const fence = async ({ state }: StepPayload, deps: DbDeps): Promise<FailoverState> => {
  const started = deps.now();
  const { mode, dryRun } = state.input;
  if (dryRun) {
    const next: FailoverState = {
      ...state,
      fence: { fenced: false, method: 'dry-run', detail: `would fence the old primary (${mode})`, dryRun: true },
    };
    next.timeline = recordStep(state, 'Fence', started, deps.now(), `dry run: would fence the old primary (${mode})`);
    return next;
  }
  const db = await deps.database(state.plan);
  const result = await db.fenceOldPrimary(mode);
  if (mode === 'planned' && !result.fenced) {
    throw new FenceFailedError(
      `planned run refuses to promote: old primary not fenced (${result.method}: ${result.detail})`,
    );
  }
  const next: FailoverState = { ...state, fence: result };
  const outcome = result.fenced ? `fenced (${result.method})` : `not fenced (${result.method}): ${result.detail}`;
  next.timeline = recordStep(state, 'Fence', started, deps.now(), outcome);
  return next;
};

/** Promotes the standby. Idempotent: an adapter reports a standby that is already the writer as success. */
export const promote = async ({ state }: StepPayload, deps: DbDeps): Promise<FailoverState> => {
  const started = deps.now();
  const { mode, dryRun } = state.input;
  if (dryRun) {
    const next: FailoverState = {
      ...state,
      promote: {
        outcome: 'started',
        detail: `would promote the standby in ${state.plan.regions.standby} (${mode})`,
        dryRun: true,
        at: started.toISOString(),
      },
    };
    next.timeline = recordStep(state, 'Promote', started, deps.now(), `dry run: ${next.promote?.detail}`);
    return next;
  }
  const db = await deps.database(state.plan);
  const result = await db.promote(mode, state.fence ? { fence: state.fence } : {});
  const next: FailoverState = { ...state, promote: { ...result, at: deps.now().toISOString() } };
  next.timeline = recordStep(state, 'Promote', started, deps.now(), `${result.outcome}: ${result.detail}`);
  return next;
};

/**
 * One promotion status check. The state machine polls it with Wait states; after the plan's number of checks
 * a promotion still pending ends the run with PromotionTimedOutError.
 */
export const promotionStatus = async ({ state }: StepPayload, deps: DbDeps): Promise<FailoverState> => {
  const started = deps.now();
  const db = await deps.database(state.plan);
  const status = await db.promotionStatus();
  const checks = (state.promotion?.checks ?? 0) + 1;
  const { maxStatusChecks } = state.plan.promotion;
  if (state.input.dryRun) {
    const next: FailoverState = { ...state, promotion: { ...status, checks, dryRun: true } };
    next.timeline = recordStep(state, 'PromotionStatus', started, deps.now(), `dry run: standby is ${status.state}`);
    return next;
  }
  if (status.state === 'failed') {
    throw new PromotionFailedError(
      `promotion of the standby in ${state.plan.regions.standby} failed: ${status.detail}. ` +
        'DNS still points at the old primary; inspect the standby before retrying.',
    );
  }
  if (status.state === 'pending' && checks >= maxStatusChecks) {
    throw new PromotionTimedOutError(
      `standby not writable after ${checks} checks (${status.detail}). Promotion was requested and may still ` +
        'complete; DNS still points at the old primary. Once the standby is writable, re-run (the re-run finds it ' +
        'already the writer and switches DNS) or update DNS by hand.',
    );
  }
  const next: FailoverState = {
    ...state,
    promotion: {
      ...status,
      checks,
      ...(status.state === 'writable' ? { writableAt: deps.now().toISOString() } : {}),
    },
  };
  next.timeline = recordStep(state, 'PromotionStatus', started, deps.now(), `${status.state}: ${status.detail}`);
  return next;
};
