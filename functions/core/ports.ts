/**
 * Ports: what the core needs from the outside world. One folder per adapter under functions/adapters/.
 * Every adapter translates provider failures into the named errors of ./errors.ts, keeping `cause`.
 */
import type { ApprovalTimeoutCause } from './approval.js';
import type { FailoverMode } from './input.js';

/** What the standby knows about how far behind the primary it is. */
export interface LagReading {
  /** `unknown` when the source has no recent data: never read as zero lag. */
  status: 'known' | 'unknown';
  /** Seconds of data at risk (Aurora RPO lag, RDS ReplicaLag, PostgreSQL replay delay). */
  seconds?: number;
  /** Bytes of WAL not yet replayed on the standby, where the engine exposes it. */
  bytes?: number;
  /** When the reading was taken (ISO-8601). */
  observedAt: string;
  /** Where it came from, e.g. `cloudwatch:AuroraGlobalDBRPOLag` or `postgres:pg_last_wal_replay_lsn`. */
  source: string;
  /** What the reading does and does not know, for people. */
  detail?: string;
  /**
   * Set only when the adapter has seen that the standby is already the writer (a re-run after promotion): replication
   * is over, so nothing further can be lost by this run. Such a reading is `known` with zero lag.
   */
  alreadyPromoted?: true;
}

export interface FenceResult {
  /** True when the old primary is known to reject writes (or be stopped). */
  fenced: boolean;
  /** How: `read-only`, `stopped`, `unreachable`, `not-supported`, `switchover` ... */
  method: string;
  detail: string;
  /** For planned runs: the primary's last WAL position after fencing, which the standby must replay. */
  finalLsn?: string;
}

export interface PromoteResult {
  /** `started`: the API accepted it; `already-promoted`: the standby was already the writer (idempotent success). */
  outcome: 'started' | 'already-promoted';
  detail: string;
}

/** What the run knows when it promotes. */
export interface PromoteContext {
  /**
   * The run's Fence result. A planned promotion checks the standby against the fenced primary's current WAL
   * position; if that primary has become unreachable since it was fenced, its recorded final position stands in.
   */
  fence?: FenceResult;
}

export interface PromotionStatus {
  state: 'pending' | 'writable' | 'failed';
  detail: string;
  /** The writer's address once known. */
  writerEndpoint?: string;
}

export interface DatabaseFailover {
  replicationLag(): Promise<LagReading>;
  /** Planned: must fence or throw FenceFailedError. Unplanned: best-effort within the plan's bound. */
  fenceOldPrimary(mode: FailoverMode): Promise<FenceResult>;
  /** Idempotent: a standby that is already the writer is success. */
  promote(mode: FailoverMode, context?: PromoteContext): Promise<PromoteResult>;
  promotionStatus(): Promise<PromotionStatus>;
  /** The address DNS should point at once the standby is the writer. */
  writerEndpoint(): Promise<string>;
}

export interface DnsSwitch {
  /** UPSERT `recordName` → `target` with `ttl`; returns a change id. Idempotent. */
  point(recordName: string, target: string, ttl: number): Promise<{ changeId: string }>;
  changeStatus(changeId: string): Promise<'pending' | 'insync'>;
  /** What the authoritative servers answer for the record now. */
  resolve(recordName: string): Promise<string[]>;
}

export const EVENT_DETAIL_TYPES = [
  'Failover Started',
  'Failover Step Completed',
  'Failover Succeeded',
  'Failover Failed',
  'Failover Aborted',
  'Approval Required',
  'Readiness Report',
] as const;
export type FailoverEventType = (typeof EVENT_DETAIL_TYPES)[number];

/** One notification: what happened, why, who or what started it, and the measured RTO/RPO where known. */
export interface FailoverEvent {
  type: FailoverEventType;
  plan: string;
  executionId: string;
  mode: FailoverMode;
  dryRun: boolean;
  requestedBy: string;
  reason: string;
  /** A one-line summary for people. */
  summary: string;
  /** Structured detail (timeline, lag, error, next steps); must contain no secrets. */
  detail: Record<string, unknown>;
  occurredAt: string;
}

export interface Notifier {
  publish(event: FailoverEvent): Promise<void>;
}

/** One approval request's deadline: the waiting task fails with `ApprovalTimedOutError` and `cause` at `deadline`. */
export interface ApprovalTimeout {
  taskToken: string;
  deadline: Date;
  executionId: string;
  cause: ApprovalTimeoutCause;
}

/** A one-time timer that fails a waiting approval task at the plan's deadline unless a person answered first. */
export interface ApprovalTimer {
  /** Idempotent per task token: arming the same request again (a retried step) leaves one timer. */
  arm(request: ApprovalTimeout): Promise<{ timerId: string }>;
}
