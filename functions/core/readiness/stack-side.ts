/**
 * Which way the stack running a readiness check would fail a plan over. A self-managed PostgreSQL plan is run, by
 * each of its two stacks, from the side the pair stands on (core/direction.ts): the standby region's stack runs it
 * as written, the primary region's stack turned round once the pair was rebuilt the other way. So its readiness,
 * scheduled in both, observes the pair first, as Prepare would in that stack, and checks the plan that stack would
 * run; when the pair's standby is in the other region, the pair is the other stack's to fail over, and this one
 * says so (OK; WARN when neither node answered, so that nothing could be told) instead of judging a pair it would
 * refuse to run. A contradictory pair (two writers, two standbys, an old primary following a third server) is a
 * CRITICAL finding of its own.
 * Other kinds, and a check run with no stack region (the CLI, the lab), check the plan as written.
 */
import { observedWriter, orientPlan } from '../direction.js';
import { AmbiguousTopologyError } from '../errors.js';
import type { Plan } from '../plan.js';
import type { PairObserver } from '../ports.js';
import type { CheckOutcome, ReadinessReport } from './model.js';

export interface StackSide {
  /** The region of the stack the check runs in (DR_FAILOVER_REGION); unset: the plan as written. */
  region?: string | undefined;
  /** Observes the plan's pair, for the kinds whose every run observes it; undefined: the plan as written. */
  pair?: ((plan: Plan) => Promise<PairObserver | undefined>) | undefined;
}

/** The plan this stack would run, or the report that this stack has nothing to run now, and why. */
export const planForStack = async (
  written: Plan,
  side: StackSide,
  now: () => Date,
): Promise<{ plan: Plan } | { report: ReadinessReport }> => {
  const { region } = side;
  const observer = region === undefined ? undefined : await side.pair?.(written);
  if (region === undefined || !observer) return { plan: written };
  const started = now();
  let outcome: CheckOutcome;
  try {
    const views = await observer.observe();
    const direction = observedWriter(views, region === written.regions.primary ? 'primary' : 'standby');
    const plan = orientPlan(written, direction.writer);
    if (plan.regions.standby === region) return { plan };
    const details = { observed: direction.observed, standbyRegion: plan.regions.standby };
    outcome =
      views.primary.reachable || views.standby.reachable
        ? {
            status: 'OK',
            summary:
              `the pair as observed (${direction.observed}) is for the stack in ${plan.regions.standby} to fail ` +
              `over, not this one (${region}): that stack's readiness says whether it can`,
            details,
          }
        : {
            status: 'WARN',
            summary: `neither node of the pair answered (${direction.observed}): this stack (${region}) cannot tell whether the pair is its to fail over`,
            details,
          };
  } catch (error) {
    if (!(error instanceof AmbiguousTopologyError)) throw error;
    outcome = { status: 'CRITICAL', summary: error.message };
  }
  const check = { check: 'standby' as const, scope: 'standby' as const, ...outcome };
  return {
    report: {
      plan: written.name,
      status: outcome.status,
      checkedAt: started.toISOString(),
      regions: written.regions,
      counts: { OK: 0, WARN: 0, CRITICAL: 0, [outcome.status]: 1 },
      checks: [{ ...check, durationMs: Math.max(0, now().getTime() - started.getTime()) }],
    },
  };
};
