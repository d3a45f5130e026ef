import type { FailoverState } from './state.js';

export interface RunMeasures {
  /** Incident start → the record answering the new writer (Verify), in seconds. */
  rtoSeconds?: number;
  rtoTargetSeconds?: number;
  rtoMet?: boolean;
  /** The RPO exposure as measured at promotion: the last lag reading before the fence. */
  rpo?: { status: 'known' | 'unknown'; seconds?: number; bytes?: number; source: string; limitSeconds: number };
  /** Incident start → the standby writable, in seconds. */
  promotionSeconds?: number;
}

const secondsBetween = (from: string, to: string | undefined) =>
  to === undefined ? undefined : Math.round((Date.parse(to) - Date.parse(from)) / 10) / 100;

/** RTO and RPO as a run measured them, from its own state; used by notifications and reports. */
export const measureRun = (state: Partial<FailoverState>, now: Date): RunMeasures => {
  const measures: RunMeasures = {};
  const startedAt = state.input?.incidentStartedAt;
  if (startedAt && state.plan) {
    const verified = state.timeline?.findLast((t) => t.step === 'Verify')?.endedAt;
    measures.rtoSeconds = secondsBetween(startedAt, verified ?? now.toISOString());
    measures.rtoTargetSeconds = state.plan.rto.targetSeconds;
    if (measures.rtoSeconds !== undefined) measures.rtoMet = measures.rtoSeconds <= state.plan.rto.targetSeconds;
    measures.promotionSeconds = secondsBetween(startedAt, state.promotion?.writableAt);
  }
  const rpo = rpoExposure(state);
  if (rpo) measures.rpo = rpo;
  return measures;
};

/** The RPO exposure at promotion: the last lag reading before the fence, with the plan's limit. */
export const rpoExposure = (state: Partial<FailoverState>): RunMeasures['rpo'] => {
  if (!state.lag || !state.plan) return undefined;
  const r = state.lag.reading;
  return {
    status: r.status,
    ...(r.seconds !== undefined ? { seconds: r.seconds } : {}),
    ...(r.bytes !== undefined ? { bytes: r.bytes } : {}),
    source: r.source,
    limitSeconds: state.plan.rpo.maxLagSeconds,
  };
};
