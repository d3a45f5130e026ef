/**
 * The run model: one failover run as people read it, whichever way it ran (a local drill, or a Step Functions
 * execution on AWS rebuilt from its history). Both are turned into this model, and one set of renderers
 * (./render.ts) writes report.json, report.md and timeline.svg from it.
 */
import { artifactLines } from '#core/artifact-run.js';
import type { ComponentStatus } from '#core/components.js';
import type { ExecutionInput } from '#core/input.js';
import { rpoExposure } from '#core/measures.js';
import { describeWorld, nextStepsFor } from '#core/next-steps.js';
import type { Plan } from '#core/plan.js';
import { hasGate } from '#core/plan-components.js';
import type { FailoverState } from '#core/state.js';

export type RunOutcome = 'succeeded' | 'failed' | 'aborted' | 'running';

/** What a bar is: a state machine Task or Wait, or a phase around the run (detection, trigger, clients). */
export type StepKind = 'detect' | 'trigger' | 'task' | 'wait' | 'approval' | 'notify' | 'client' | 'fail';

export interface StepFailure {
  error: string;
  cause?: string;
  /** Milliseconds since the run's time zero. */
  atMs?: number;
}

export interface StepRun {
  name: string;
  kind: StepKind;
  /** Milliseconds since the run's time zero (the incident). */
  startMs: number;
  /** Absent while the step is still running. */
  endMs?: number;
  /** How many times the step's work was attempted (1 + retries). */
  attempts: number;
  /** Every failed attempt, retried or final. */
  failures: StepFailure[];
  /** What happened, for people (the step's own timeline outcome). */
  outcome?: string;
  /** The error the step ended with, when it did not succeed (caught by the state machine, or fatal). */
  error?: string;
}

export interface RunModel {
  source: 'aws' | 'drill';
  execution: {
    name: string;
    arn?: string;
    /** Step Functions' status: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED. */
    status: string;
    startedAt?: string;
    stoppedAt?: string;
  };
  outcome: RunOutcome;
  /** Time zero of every `…Ms` figure: the incident's start (ISO-8601). */
  zeroAt: string;
  /** What time zero is, for the chart: `incident`, `primary killed`. */
  zeroLabel: string;
  plan?: {
    name: string;
    primaryRegion: string;
    standbyRegion: string;
    rtoTargetSeconds: number;
    rpoMaxLagSeconds: number;
    onExceeded: string;
  };
  /** Who or what started the run, and why. */
  start?: {
    mode: string;
    dryRun: boolean;
    reason: string;
    requestedBy: string;
    trigger?: { kind: string; source: string };
    overrideCooldown?: boolean;
  };
  steps: StepRun[];
  /** State names in the order they were entered. */
  visited: string[];
  rto?: {
    ms: number;
    targetSeconds: number;
    met: boolean;
    /** What ended the measure: `DNS answers the new writer (Verify)`, `first write on the new primary`. */
    until: string;
  };
  rpo?: {
    limitSeconds: number;
    /** Undefined when it cannot be judged (lag unknown). */
    met?: boolean;
    /** The measure in words. */
    measured: string;
    lag?: { status: 'known' | 'unknown'; seconds?: number; bytes?: number; source: string };
    lostCommits?: number;
  };
  error?: { name: string; cause?: string };
  /** Things a reader must not miss: retries, notification failures, an old primary left unfenced, dry runs. */
  warnings: string[];
  /** Where the run left the database, DNS and the old primary, when it did not succeed. */
  world?: string[];
  /** What on-call must do next, when the run did not succeed. */
  nextSteps?: string;
  /** The plan's components, one lane each, when the plan has components. */
  components?: ComponentLane[];
  /** The model-artifact check's records (the gate before Fence, the finding after the promotion), in words. */
  artifacts?: { phase: 'gate' | 'after-promotion'; checkedAt: string; lines: string[] }[];
}

/** The run's model-artifact checks as the run state recorded them; undefined when it has none. */
export const artifactChecksOf = (state: Partial<FailoverState> | undefined): RunModel['artifacts'] => {
  const records = [state?.artifactGate, state?.artifacts].filter((r) => r !== undefined);
  return records.length === 0
    ? undefined
    : records.map((r) => ({ phase: r.phase, checkedAt: r.checkedAt, lines: artifactLines(r) }));
};

/** One component of the plan as the run left it: its gate reading, its action, its result. */
export interface ComponentLane {
  name: string;
  kind: string;
  stage: number;
  status: ComponentStatus;
  /** What the world is now, as its last call saw it (or why it failed). */
  detail: string;
  /**
   * Its RPO gate: the last reading before Fence (`atMs` when the gates' last check ended, `checks` readings in all),
   * or, for a component with a gate that was not read, why not. Absent for a component without a gate.
   */
  gate?:
    | { read: true; within: boolean; status: 'known' | 'unknown'; reason: string; atMs?: number; checks: number }
    | { read: false; why: string };
  /** Its action's first call and last answer, ms since time zero; absent when not recorded. */
  startMs?: number;
  endMs?: number;
  checks?: number;
  error?: string;
}

/** The bar a state machine state is drawn as, by its type and name; none for Choice, Pass and Succeed. */
export const stepKindOf = (stateType: string, name: string): StepKind | undefined => {
  if (stateType === 'Task') {
    if (name.startsWith('Notify')) return 'notify';
    if (name.startsWith('Approve')) return 'approval';
    return 'task';
  }
  if (stateType === 'Wait') return 'wait';
  if (stateType === 'Fail') return 'fail';
  return undefined;
};

export const planSummary = (plan: Plan): NonNullable<RunModel['plan']> => ({
  name: plan.name,
  primaryRegion: plan.regions.primary,
  standbyRegion: plan.regions.standby,
  rtoTargetSeconds: plan.rto.targetSeconds,
  rpoMaxLagSeconds: plan.rpo.maxLagSeconds,
  onExceeded: plan.rpo.onExceeded,
});

export const startSummary = (input: ExecutionInput): NonNullable<RunModel['start']> => ({
  mode: input.mode,
  dryRun: input.dryRun,
  reason: input.reason,
  requestedBy: input.requestedBy,
  ...(input.trigger ? { trigger: input.trigger } : {}),
  ...(input.overrideCooldown ? { overrideCooldown: true } : {}),
});

const fmtLag = (lag: NonNullable<FailoverState['lag']>['reading']) =>
  lag.status === 'unknown'
    ? 'unknown (never read as zero)'
    : [lag.seconds !== undefined ? `${lag.seconds} s` : undefined, lag.bytes !== undefined ? `${lag.bytes} bytes` : '']
        .filter(Boolean)
        .join(', ') || 'known';

/** The RPO as the state machine measured it (core's rpoExposure): the last lag reading before the fence, against the plan's limit. */
export const rpoFromState = (state: Partial<FailoverState>): RunModel['rpo'] => {
  const rpo = rpoExposure(state);
  if (!rpo || !state.lag) return undefined;
  const { limitSeconds, ...lag } = rpo;
  const met = lag.status === 'known' && lag.seconds !== undefined ? lag.seconds <= limitSeconds : undefined;
  return {
    limitSeconds,
    ...(met !== undefined ? { met } : {}),
    measured: `replication lag ${fmtLag(state.lag.reading)} at the last of ${state.lag.checks} check(s) (${lag.source}); ${state.lag.decision}`,
    lag,
  };
};

export const UNFENCED = 'The old primary was NOT fenced';

/** Warnings read from the run's own state. */
export const warningsFromState = (state: Partial<FailoverState>): string[] => {
  const out: string[] = [];
  if (state.input?.dryRun) out.push('Dry run: every read and check ran for real; nothing was changed.');
  if (state.input?.overrideCooldown) out.push("Started inside the plan's cooldown (overrideCooldown).");
  if (state.lag?.decision === 'exceeded' && state.fence) {
    out.push(
      `Replication lag exceeded the plan's RPO and the run went on (${state.plan?.rpo.onExceeded ?? 'by the plan'}): ${state.lag.reason}`,
    );
  }
  if (state.lag?.reading.status === 'unknown' && !(state.lag.decision === 'exceeded' && state.fence)) {
    out.push(`Replication lag was unknown (${state.lag.reading.detail ?? state.lag.reading.source}).`);
  }
  if (state.fence && !state.fence.fenced) {
    const how = state.fence.readOnly ? ' completely' : '';
    out.push(`${UNFENCED}${how} (${state.fence.method}): ${state.fence.detail}`);
  }
  if (state.notifyError) {
    out.push(
      `A notification failed (recorded, not fatal): ${state.notifyError.Error}${state.notifyError.Cause ? `: ${state.notifyError.Cause}` : ''}`,
    );
  }
  return out;
};

/** Warnings for every retried attempt. */
export const retryWarnings = (steps: readonly StepRun[]): string[] => {
  const out: string[] = [];
  for (const s of steps) {
    const retried = s.error ? s.failures.slice(0, -1) : s.failures;
    retried.forEach((f, i) => {
      out.push(
        `${s.name}: attempt ${i + 1} failed with ${f.error}${f.cause ? ` (${oneLine(f.cause, 200)})` : ''}; retried.`,
      );
    });
  }
  return out;
};

const ended = (outcome: RunOutcome) => outcome === 'failed' || outcome === 'aborted';

/** What on-call must do next, with the advice the Failover Failed notification gives (naming the run's resources). */
export const nextStepsOf = (
  outcome: RunOutcome,
  errorName: string | undefined,
  state?: Partial<FailoverState>,
): string | undefined => {
  if (!ended(outcome)) return undefined;
  return nextStepsFor(errorName, {
    promoted: state?.promotion?.state === 'writable' || state?.promote?.outcome === 'already-promoted',
    dnsSwitched: state?.dns?.status === 'insync',
    ...(state?.plan ? { plan: state.plan } : {}),
    ...(state?.dns ? { dns: state.dns } : {}),
  });
};

/** The state of the world after a run that did not succeed, as the notification states it. */
export const worldOf = (outcome: RunOutcome, state: Partial<FailoverState> | undefined): string[] | undefined =>
  ended(outcome) && state?.plan ? describeWorld(state, state.plan) : undefined;

/** A cause (often JSON from Lambda) on one short line. */
export const oneLine = (text: string, max = 300): string => {
  let t = text;
  try {
    const parsed = JSON.parse(text) as { errorMessage?: string; errorType?: string };
    if (parsed && typeof parsed.errorMessage === 'string') t = parsed.errorMessage;
  } catch {
    // not JSON: keep the text
  }
  const flat = t.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** `850 ms`, `12.4 s`, `5 min 3 s`. */
export const fmtDuration = (ms: number | undefined): string => {
  if (ms === undefined) return '—';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const min = Math.floor(abs / 60_000);
  const s = Math.round((abs % 60_000) / 1000);
  return `${ms < 0 ? '-' : ''}${min} min${s ? ` ${s} s` : ''}`;
};

const OUTCOME_WORD: Record<RunModel['outcome'], string> = {
  succeeded: 'SUCCEEDED',
  failed: 'FAILED',
  aborted: 'ABORTED',
  running: 'RUNNING',
};

export const outcomeWord = (m: RunModel) => OUTCOME_WORD[m.outcome];

/** Why a component's gate has no reading: the run went on past the database's RPO, or ended before the gates. */
const gateNotRead = (state: Partial<FailoverState>): string => {
  if (state.lag?.decision === 'exceeded' && (state.fence || state.promote)) {
    return `not read: the database's lag was not within the RPO and the run went on (rpo.onExceeded ${state.plan?.rpo.onExceeded}), accepting the loss`;
  }
  if (state.input?.mode === 'unplanned' && state.lag?.decision !== 'within-rpo') {
    return 'not read: the run never had the database within the RPO';
  }
  return 'not read: the run ended before the gates';
};

/** The plan's components as lanes, from the run state; undefined for a plan without components. */
export const componentLanes = (
  state: Partial<FailoverState> | undefined,
  zeroMs: number,
): ComponentLane[] | undefined => {
  const components = state?.plan?.components;
  if (!state || !components || components.length === 0) return undefined;
  const at = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso) - zeroMs);
  const gateCheck = state.timeline?.findLast((t) => t.step === 'CheckComponentGates');
  return components.map((c) => {
    const r = state.components?.[c.name];
    const lane: ComponentLane = {
      name: c.name,
      kind: c.kind,
      stage: c.stage,
      status: r?.status ?? 'not-started',
      detail: r?.detail ?? 'not started',
    };
    if (r?.gate) {
      const atMs = at(gateCheck?.endedAt);
      lane.gate = {
        read: true,
        within: r.gate.within,
        status: r.gate.status,
        reason: r.gate.reason,
        checks: state.componentGates?.checks ?? 1,
        ...(atMs !== undefined ? { atMs } : {}),
      };
    } else if (hasGate(c)) {
      lane.gate = { read: false, why: gateNotRead(state) };
    }
    const startMs = at(r?.startedAt);
    const endMs = at(r?.endedAt);
    if (startMs !== undefined) lane.startMs = startMs;
    if (endMs !== undefined) lane.endMs = endMs;
    if (r?.checks !== undefined) lane.checks = r.checks;
    if (r?.error) lane.error = r.error.Error;
    return lane;
  });
};
