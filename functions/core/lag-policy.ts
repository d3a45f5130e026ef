import type { FailoverMode } from './input.js';
import type { Plan } from './plan.js';
import type { LagReading } from './ports.js';
import type { LagDecision } from './state.js';

export interface LagVerdict {
  decision: LagDecision;
  reason: string;
}

/**
 * The RPO guard. A reading within the plan's limits lets the run go on; otherwise the run checks again until
 * `maxLagChecks` readings have been taken, then the plan's `onExceeded` applies. An unknown lag (no datapoints,
 * a standby that lost its primary) is never read as zero: it counts as not within the RPO. A standby the adapter has
 * seen to be already the writer (a re-run after promotion) is within the RPO: replication is over, this run can lose
 * nothing more, and judging it on a stale or absent metric would stop the re-run from finishing the failover.
 * A standby that lost its source is not read again when no later reading could change what the run does
 * (laterReadingMatters): the run goes on at once instead of waiting out checks that cannot help.
 *
 * Planned runs are stricter on bytes: PostgreSQL reports exact WAL bytes, and a planned switchover promises
 * zero loss, which the fence-then-catch-up sequence enforces later; here only the plan's limits apply.
 */
export const decideLag = (plan: Plan, reading: LagReading, checks: number, mode: FailoverMode): LagVerdict => {
  const { maxLagChecks } = plan.rpo;
  if (reading.alreadyPromoted && reading.status === 'known') {
    return {
      decision: 'within-rpo',
      reason: `the standby is already the writer (${reading.detail ?? reading.source}): nothing further can be lost by this run`,
    };
  }
  const judged = judgeLag(plan.rpo, reading);
  if (judged.within) return { decision: 'within-rpo', reason: judged.reason };
  if (checks < maxLagChecks && (!reading.sourceLost || laterReadingMatters(plan, mode))) {
    return { decision: 'retry', reason: `${judged.reason}; check ${checks} of ${maxLagChecks}, checking again` };
  }
  if (checks < maxLagChecks) {
    return {
      decision: 'exceeded',
      reason:
        `${judged.reason} after ${checks} of ${maxLagChecks} checks: nothing more can reach the standby, and the ` +
        'plan proceeds whatever a later reading says, so the run does not wait to read again; plan says proceed',
    };
  }
  return {
    decision: 'exceeded',
    reason: `${judged.reason} after ${checks} checks; plan says ${plan.rpo.onExceeded}`,
  };
};

/**
 * Whether a later reading could take the run elsewhere than this one does. Under `onExceeded: proceed` a reading
 * within the RPO and one past it both lead to Fence, unless the plan has a gate that only a reading within the RPO
 * reaches (its components' gates; in a planned run, the model-artifact check). A standby that lost its source gains
 * nothing by waiting either (no change can reach it), so such a reading is not taken again when nothing hangs on it.
 * The gates are the state machine's own routes after CheckLag (statemachines/failover.asl.yaml, `LagWithinRpo?` and
 * `ComponentGatesWithin?`: components, then a planned run's artifacts): a new route there must be named here too.
 */
const laterReadingMatters = (plan: Plan, mode: FailoverMode): boolean =>
  plan.rpo.onExceeded !== 'proceed' ||
  plan.components !== undefined ||
  (mode === 'planned' && plan.artifacts !== undefined);

/**
 * One lag reading against RPO limits, for the main database (decideLag) and a component database's gate: unknown,
 * or a reading with no value, is never within; a standby already the writer is.
 */
export const judgeLag = (
  limits: { maxLagSeconds: number; maxLagBytes?: number | undefined },
  reading: LagReading,
): { within: boolean; reason: string } => {
  const { maxLagSeconds, maxLagBytes } = limits;
  const limit = `RPO ${maxLagSeconds} s${maxLagBytes !== undefined ? ` / ${maxLagBytes} bytes` : ''}`;
  if (reading.alreadyPromoted && reading.status === 'known') {
    return { within: true, reason: `already the writer (${reading.detail ?? reading.source})` };
  }
  if (reading.status === 'unknown')
    return { within: false, reason: `lag unknown (${reading.detail ?? reading.source})` };
  if (reading.seconds === undefined && reading.bytes === undefined) {
    return { within: false, reason: `lag reading from ${reading.source} carries no value` };
  }
  if (reading.seconds !== undefined && reading.seconds > maxLagSeconds) {
    return { within: false, reason: `lag ${reading.seconds} s exceeds ${limit}` };
  }
  if (maxLagBytes !== undefined && reading.bytes !== undefined && reading.bytes > maxLagBytes) {
    return { within: false, reason: `lag ${reading.bytes} bytes exceeds ${limit}` };
  }
  const parts = [
    reading.seconds !== undefined ? `${reading.seconds} s` : undefined,
    reading.bytes !== undefined ? `${reading.bytes} bytes` : undefined,
  ].filter(Boolean);
  return { within: true, reason: `lag ${parts.join(' / ')} within ${limit}` };
};
