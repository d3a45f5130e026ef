/**
 * DR readiness: is this plan ready to fail over now? Pure evaluation of what the probes read (thresholds →
 * OK | WARN | CRITICAL with details), the report shape, and a runner that runs every check concurrently, each
 * bounded, so that a check that needs the primary region (which may be dark) never blocks the others.
 *
 * The checks:
 * | check            | reads (where)                                                     | CRITICAL when                                   |
 * | ---------------- | ----------------------------------------------------------------- | ----------------------------------------------- |
 * | `standby`        | the replica / secondary cluster / standby server (standby region) | missing, failed, replication broken, headless   |
 * | `replication-lag`| the lag the RPO guard reads (standby region)                      | unknown, or above rpo.maxLagSeconds/maxLagBytes |
 * | `backup`         | newest snapshot or replicated backup (standby region)             | none, or older than readiness.maxBackupAgeHours |
 * | `dns`            | the record (Route 53: us-east-1) vs the current writer            | the record points anywhere but the writer       |
 * | `trigger-alarms` | each alarm, its rule and the rule's target (standby region)       | missing, unwired, or blind (INSUFFICIENT_DATA)  |
 * | `traffic`        | routing controls on every cluster endpoint, or the take-over alarm | a failover would not move traffic              |
 * | `failover-records`| data-plane kinds on Route 53: each failover pair and its health checks (us-east-1) | missing, or not following the switch |
 * | `state-machine`  | the failover state machine (standby region)                       | missing or being deleted                        |
 * | `functions`      | every function of the stack (standby region)                      | missing or failed                               |
 * | `artifacts`      | plan `artifacts`: the registry's query, HeadObject in each replica | query fails, a bucket unmapped, a run blocked   |
 * | `component:<name>` | each plan component (./components.ts): its RPO gate's metrics, and what its action needs | gate unknown or over, target missing, denied |
 *
 * When a check cannot read at all (it throws a named error or runs out of time), its status says so:
 * - a check that needs the primary region (`scope: primary`) → WARN: a failover does not need that region, and
 *   the region being dark is what the trigger alarms, not readiness, are for;
 * - a standby-region check that times out → CRITICAL: the region a failover runs in did not answer;
 * - a standby-region check refused for a transient reason (throttled, 5xx, busy: `retryable`) → WARN;
 * - a standby-region check refused for good (access denied, not found, bad configuration) → CRITICAL.
 * Anything else (a TypeError, a bug) is not a failed check: it escapes the runner, after every check settled.
 */
import type { Plan } from '../plan.js';

export const CHECK_STATUSES = ['OK', 'WARN', 'CRITICAL'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** The metric value of a status: an alarm on `CheckStatus >= 2` pages on CRITICAL, `>= 1` on WARN too. */
export const STATUS_VALUE: Readonly<Record<CheckStatus, number>> = { OK: 0, WARN: 1, CRITICAL: 2 };

export const CHECK_NAMES = [
  'standby',
  'replication-lag',
  'backup',
  'dns',
  'trigger-alarms',
  'traffic',
  'failover-records',
  'state-machine',
  'functions',
  'artifacts',
] as const;
/** The fixed checks, and one `component:<name>` per plan component (./components.ts). */
export type CheckName = (typeof CHECK_NAMES)[number] | `component:${string}`;

/** Where a check has to reach: only `primary` checks may meet a dark region. */
export type CheckScope = 'standby' | 'primary';

export interface CheckOutcome {
  status: CheckStatus;
  /** One line for people. */
  summary: string;
  /** What was read, for the event (no secrets: endpoints, states, ages). */
  details?: Record<string, unknown>;
}

export interface CheckResult extends CheckOutcome {
  check: CheckName;
  scope: CheckScope;
  durationMs: number;
}

export interface ReadinessReport {
  plan: string;
  /** The worst status of all checks. */
  status: CheckStatus;
  checkedAt: string;
  regions: Plan['regions'];
  counts: Record<CheckStatus, number>;
  checks: CheckResult[];
}

export const worstOf = (statuses: readonly CheckStatus[]): CheckStatus =>
  statuses.reduce<CheckStatus>((worst, s) => (STATUS_VALUE[s] > STATUS_VALUE[worst] ? s : worst), 'OK');

/** One line for people: `orders: DR readiness CRITICAL (1 CRITICAL, 1 WARN of 7): backup: ...`. */
export const summariseReport = (report: ReadinessReport): string => {
  const bad = report.checks.filter((c) => c.status !== 'OK');
  const head = `${report.plan}: DR readiness ${report.status}`;
  if (bad.length === 0) return `${head} (${report.checks.length} checks OK)`;
  const counts = `${report.counts.CRITICAL} CRITICAL, ${report.counts.WARN} WARN of ${report.checks.length}`;
  return `${head} (${counts}): ${bad.map((c) => `${c.check}: ${c.summary}`).join('; ')}`;
};
