import type { ArtifactCheckRecord } from './artifact-run.js';
import type { ComponentReport, ComponentRun } from './components.js';
import type { PreservedCopy, RebuildOutcome, RebuildProgress, RebuildStage } from './failback.js';
import type { ExecutionInput } from './input.js';
import type { Plan } from './plan.js';
import type {
  ChangeStatus,
  FenceResult,
  LagReading,
  PromoteResult,
  PromotionStatus,
  TrafficMechanism,
} from './ports.js';
import type { WarmUpResult } from './warm-up.js';

/**
 * The state that flows through the failover state machine. Every step receives the whole state and returns
 * it with its own part filled in (the Tasks use `OutputPath: $.Payload`), so the timeline travels with the run.
 */
export interface TimelineEntry {
  step: StepName;
  startedAt: string;
  endedAt: string;
  /** What happened, for people: `promoted`, `lag 0.4 s within RPO 30 s`, `would UPSERT ...`. */
  outcome: string;
  /** How many times this step ran (polling loops record one entry with their count). */
  attempts?: number;
}

export const STEP_NAMES = [
  'Prepare',
  'Preserve',
  'Rebuild',
  'RebuildStatus',
  'RequestApproval',
  'NotifyStarted',
  'CheckLag',
  'CheckComponentGates',
  'CheckArtifacts',
  'Fence',
  'Promote',
  'PromotionStatus',
  'ComponentStages',
  'UpdateDns',
  'DnsStatus',
  'Verify',
  'FindArtifacts',
  'NotifySucceeded',
  'NotifyFailed',
  'NotifyAborted',
] as const;
export type StepName = (typeof STEP_NAMES)[number];

export type LagDecision = 'within-rpo' | 'retry' | 'exceeded';

export interface FailoverState {
  input: ExecutionInput;
  plan: Plan;
  run: {
    executionId: string;
    startedAt: string;
    /** A run started by an alarm for a plan with `trigger.automatic: false` waits for a person first. */
    approvalRequired: boolean;
    /** A manual run with `overrideCooldown` that started inside the cooldown of this earlier run. */
    cooldownOverridden?: { run: string; endedAt: string };
    /** The functions Prepare warmed (core/warm-up.ts), those it could not, and how long it took. */
    warmUp?: WarmUpResult;
  };
  timeline: TimelineEntry[];
  /**
   * An RDS or Aurora failback (core/failback.ts, core/aurora-failback.ts): how Prepare found the way back, what
   * preserves the old primary, and the replica built in its region (Aurora: the old primary rejoined). The state machine preserves and rebuilds unless Prepare found it `replicating`.
   */
  failback?: {
    rebuild: RebuildStage;
    /** The old primary (the plan's source): preserved, never changed. */
    oldPrimaryArn: string;
    /** The plan's key for the way back (RDS: it encrypts the rebuilt replica; Aurora: the preserved copy's). */
    kmsKeyArn?: string;
    preserved?: PreservedCopy;
    rebuilt?: RebuildProgress & { outcome?: RebuildOutcome; checks: number; replicatingAt?: string };
    /** Set by RebuildStatus: the replica replicates and the old primary's snapshot is available. */
    ready?: boolean;
  };
  lag?: {
    reading: LagReading;
    checks: number;
    decision: LagDecision;
    /** Why, for people and for the notification. */
    reason: string;
  };
  /** The plan's components (core/components.ts), by name: gate, status, and what the world is now. */
  components?: Record<string, ComponentReport>;
  /** The components' RPO gates, judged together as the database's lag is (CheckComponentGates). */
  componentGates?: { checks: number; decision: LagDecision; reason: string };
  /** The stage loop (NextComponentStage and the stage Map). */
  componentRun?: ComponentRun;
  /** The model-artifact gate of a planned run (CheckArtifacts, before Fence): what the standby's buckets hold. */
  artifactGate?: ArtifactCheckRecord;
  /** What the gate decided: `block` aborts the run (ArtifactsMissingError), nothing changed. */
  artifactGateDecision?: { decision: 'block' | 'proceed'; reason: string };
  /** The model-artifact finding of every run (FindArtifacts, after Verify): recorded, never fails the run. */
  artifacts?: ArtifactCheckRecord;
  /** Set by FindArtifacts' Catch when the step itself failed (a timeout); `artifacts` then records it as unknown. */
  artifactsFailed?: { Error: string; Cause?: string };
  approval?: { approved: boolean; by: string; reason?: string; at?: string };
  fence?: FenceResult & { dryRun?: boolean };
  promote?: PromoteResult & { dryRun?: boolean; at: string };
  promotion?: PromotionStatus & { checks: number; writableAt?: string; dryRun?: boolean };
  dns?: {
    recordName: string;
    target: string;
    ttl: number;
    changeId?: string;
    /** The plan's traffic mechanism, when not `upsert`. */
    mechanism?: TrafficMechanism;
    /** The ARC cluster endpoint (region) that accepted the change. */
    endpoint?: string;
    status: ChangeStatus | 'skipped';
    checks: number;
    /** What the record answered before the change (dry runs and reports). */
    previousAnswer?: string[];
    insyncAt?: string;
  };
  verify?: {
    answer: string[];
    matches: boolean;
    dryRun?: boolean;
    /** `pending`: a stale answer within the TTL and allowance; the state machine checks again. */
    status?: 'pending' | 'matched';
    checks?: number;
    firstCheckAt?: string;
  };
  /** Set by the state machine's Catch (`ResultPath: $.error`). */
  error?: { Error: string; Cause?: string };
  /** Set when a notification failed: recorded, never fatal. */
  notifyError?: { Error: string; Cause?: string };
}

/** Appends one timeline entry, or updates the last one when the same step polls again. */
export const recordStep = (
  state: FailoverState,
  step: StepName,
  startedAt: Date,
  endedAt: Date,
  outcome: string,
): TimelineEntry[] => {
  const timeline = [...(state.timeline ?? [])];
  const last = timeline.at(-1);
  if (last && last.step === step) {
    timeline[timeline.length - 1] = {
      ...last,
      endedAt: endedAt.toISOString(),
      outcome,
      attempts: (last.attempts ?? 1) + 1,
    };
  } else {
    timeline.push({ step, startedAt: startedAt.toISOString(), endedAt: endedAt.toISOString(), outcome });
  }
  return timeline;
};

/**
 * A step's bookkeeping: the clock read when it starts, and `done`, which returns the run state with the step's
 * changes applied and the step recorded on the timeline (started → now, with its outcome).
 */
export const beginStep = (state: FailoverState, step: StepName, now: () => Date) => {
  const startedAt = now();
  return {
    startedAt,
    done: (changes: Partial<FailoverState>, outcome: string): FailoverState => ({
      ...state,
      ...changes,
      timeline: recordStep(state, step, startedAt, now(), outcome),
    }),
  };
};
