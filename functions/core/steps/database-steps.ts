import { FenceFailedError, PromotionFailedError, PromotionTimedOutError } from '../errors.js';
import type { FailoverMode } from '../input.js';
import { decideLag } from '../lag-policy.js';
import { fenceSummary } from '../next-steps.js';
import type { FenceResult } from '../ports.js';
import { beginStep, type FailoverState } from '../state.js';
import type { StepDeps, StepPayload } from './deps.js';

type DbDeps = Pick<StepDeps, 'now' | 'database'>;

/** The RPO guard: one lag reading, and the plan's verdict on it. Reads only. */
export const checkLag = async ({ state }: StepPayload, deps: DbDeps): Promise<FailoverState> => {
  const step = beginStep(state, 'CheckLag', deps.now);
  const db = await deps.database(state.plan);
  const reading = await db.replicationLag();
  const checks = (state.lag?.checks ?? 0) + 1;
  const verdict = decideLag(state.plan, reading, checks, state.input.mode);
  return step.done(
    { lag: { reading, checks, decision: verdict.decision, reason: verdict.reason } },
    `${verdict.decision}: ${verdict.reason}`,
  );
};

/**
 * Fences the old primary. Planned runs must fence (a planned switchover never promotes over a writable primary);
 * unplanned runs try within the adapter's bound and go on, recording whether the old primary was fenced.
 */
export const fence = async ({ state }: StepPayload, deps: DbDeps): Promise<FailoverState> => {
  const step = beginStep(state, 'Fence', deps.now);
  const { mode, dryRun } = state.input;
  if (dryRun) {
    const detail = `would fence the old primary (${mode})`;
    return step.done({ fence: { fenced: false, method: 'dry-run', detail, dryRun: true } }, `dry run: ${detail}`);
  }
  const db = await deps.database(state.plan);
  const previous = state.fence?.pending ? state.fence : undefined;
  const result = await db.fenceOldPrimary(mode, previous);
  const fence = judgeFence(mode, result, previous, state.plan.promotion.maxStatusChecks);
  return step.done({ fence }, fenceSummary(result));
};

/**
 * What a fence result means for the promotion, for the main database (Fence) and a component database: a planned
 * fence not yet confirmed is checked again (`pending`, counted) until `maxChecks`; a planned run never promotes over
 * an old primary that is not fenced (FenceFailedError); an unplanned run goes on, recording what the fence did.
 */
export const judgeFence = (
  mode: FailoverMode,
  result: FenceResult,
  previous: FenceResult | undefined,
  maxChecks: number,
): FenceResult => {
  if (mode === 'planned' && result.pending) {
    const checks = (previous?.checks ?? 0) + 1;
    if (checks >= maxChecks) {
      throw new FenceFailedError(
        `planned run refuses to promote: the fence of the old primary was not confirmed after ${checks} checks ` +
          `(${result.detail}); it was asked to be read-only and may be`,
      );
    }
    return { ...result, checks };
  }
  if (mode === 'planned' && !result.fenced) {
    throw new FenceFailedError(`planned run refuses to promote: old primary ${fenceSummary(result)}`);
  }
  return result;
};

/** Promotes the standby. Idempotent: an adapter reports a standby that is already the writer as success. */
export const promote = async ({ state }: StepPayload, deps: DbDeps): Promise<FailoverState> => {
  const step = beginStep(state, 'Promote', deps.now);
  const { mode, dryRun } = state.input;
  if (dryRun) {
    const detail = `would promote the standby in ${state.plan.regions.standby} (${mode})`;
    const at = step.startedAt.toISOString();
    return step.done({ promote: { outcome: 'started', detail, dryRun: true, at } }, `dry run: ${detail}`);
  }
  const db = await deps.database(state.plan);
  const { status, ...result } = await db.promote(mode, state.fence ? { fence: state.fence } : {});
  const at = deps.now().toISOString();
  // Writability confirmed as it promoted: this is the run's promotion status, and `PromotionKnown?` goes on through
  // `Writable?` without a status check (one step, one connection less between the kill and the traffic switch).
  const confirmed = status?.state === 'writable' ? { promotion: { ...status, checks: 0, writableAt: at } } : {};
  return step.done({ promote: { ...result, at }, ...confirmed }, `${result.outcome}: ${result.detail}`);
};

/**
 * One promotion status check. The state machine polls it with Wait states; after the plan's number of checks
 * a promotion still pending ends the run with PromotionTimedOutError.
 */
export const promotionStatus = async ({ state }: StepPayload, deps: DbDeps): Promise<FailoverState> => {
  const step = beginStep(state, 'PromotionStatus', deps.now);
  const db = await deps.database(state.plan);
  const status = await db.promotionStatus();
  const checks = (state.promotion?.checks ?? 0) + 1;
  const { maxStatusChecks } = state.plan.promotion;
  if (state.input.dryRun) {
    return step.done({ promotion: { ...status, checks, dryRun: true } }, `dry run: standby is ${status.state}`);
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
  const writableAt = status.state === 'writable' ? { writableAt: deps.now().toISOString() } : {};
  return step.done({ promotion: { ...status, checks, ...writableAt } }, `${status.state}: ${status.detail}`);
};
