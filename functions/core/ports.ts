/**
 * Ports: what the core needs from the outside world. One folder per adapter under functions/adapters/.
 * Every adapter translates provider failures into the named errors of ./errors.ts, keeping `cause`.
 */
import type { AccessPointConfig } from './access-point.js';
import type { ApprovalTimeoutCause } from './approval.js';
import type { CustomActionRequest, CustomActionVerdict } from './custom-action.js';
import type { NodeView, PlanSide } from './direction.js';
import type { ExecutionInput, FailoverMode } from './input.js';
import type { CapacityConfig } from './plan-capacity.js';
import type { ComponentConfig, ReplicationGateComponent } from './plan-components.js';
import type { ComponentDatabasePorts } from './platform-components.js';
import type { ComponentFactsOf } from './readiness/component-facts.js';
import type { FailoverRecordFacts } from './readiness/failover-facts.js';
import type { CheckStatus, ReadinessReport } from './readiness/model.js';
import type { GateVerdict } from './replication-gates.js';

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
  /**
   * Set when nothing more can reach the standby: it has lost its source (PostgreSQL: the primary does not answer and
   * no WAL receiver streams; RDS: read replication broken). A later reading differs only if the source comes back.
   */
  sourceLost?: true;
}

export interface FenceResult {
  /** True when the old primary is known to reject writes (or be stopped). */
  fenced: boolean;
  /** How: `read-only`, `stopped`, `unreachable`, `not-supported`, `switchover` ... */
  method: string;
  detail: string;
  /** For planned runs: the primary's last WAL position after fencing, which the standby must replay. */
  finalLsn?: string;
  /**
   * The promotion itself fences the old primary (an Aurora switchover demotes it as it promotes the standby):
   * `fenced` holds only once the standby is promoted; until then the old primary is still the writer.
   */
  byPromotion?: boolean;
  /**
   * Set when the fence made the old primary read-only but could not finish (`fenced` is then false): it refuses new
   * write transactions, but client sessions were still open, and one inside a transaction it began before the
   * fence can still commit.
   */
  readOnly?: FenceLeftReadOnly;
  /**
   * A planned fence asked for but not yet confirmed (`fenced` is then false): the old primary was told to refuse
   * writes, and the adapter waits until it can see that it does and that the standby has every commit it
   * acknowledged. The state machine waits and calls Fence again, which checks instead of fencing again.
   */
  pending?: boolean;
  /** When the fence was first asked for (ISO 8601): a reading taken after it says what the fence achieved. */
  requestedAt?: string;
  /** Fence checks so far while pending (bounded by the plan's `promotion.maxStatusChecks`). */
  checks?: number;
}

/** What an unfinished fence left on the old primary. */
export interface FenceLeftReadOnly {
  /** Written to the server's configuration (PostgreSQL: ALTER SYSTEM), so a restart keeps it read-only. */
  persisted: boolean;
  /** Client sessions still open when the fence's bound ran out; absent when the fence could not tell. */
  openSessions?: number;
  /** The first of them, described (pid, user, application, state and since when, client address). */
  sessions?: string[];
}

export interface PromoteResult {
  /** `started`: the API accepted it; `already-promoted`: the standby was already the writer (idempotent success). */
  outcome: 'started' | 'already-promoted';
  detail: string;
  /**
   * The adapter saw the standby writable as it answered (PostgreSQL's `pg_promote(wait => true)` returned, or it was
   * already promoted): the state machine then checks the promotion status at once instead of waiting first.
   */
  writable?: boolean;
  /**
   * The promotion status the adapter confirmed as it answered (PostgreSQL: a write transaction committed in the
   * promoting session). The step records it as the run's promotion, and the state machine skips the status check.
   */
  status?: PromotionStatus;
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
  /**
   * Planned: must fence or throw FenceFailedError; may answer `pending`, and is then called again with that result
   * as `previous` to check on it. Unplanned: best-effort within the plan's bound.
   */
  fenceOldPrimary(mode: FailoverMode, previous?: FenceResult): Promise<FenceResult>;
  /** Idempotent: a standby that is already the writer is success. */
  promote(mode: FailoverMode, context?: PromoteContext): Promise<PromoteResult>;
  promotionStatus(): Promise<PromotionStatus>;
  /** The address DNS should point at once the standby is the writer. */
  writerEndpoint(): Promise<string>;
}

/** Where a traffic change stands: PENDING until in effect where the mechanism keeps it, then INSYNC. */
export type ChangeStatus = 'pending' | 'insync';

/** How a traffic switch moved traffic: the plan's `traffic.kind`. */
export type TrafficMechanism = 'routing-control' | 'health-check' | 'upsert';

/** What a traffic switch did when asked to point the record at the new writer. */
export interface TrafficChange {
  /** What `changeStatus` follows. */
  changeId: string;
  /** Set by the data-plane switches; absent means `upsert`. */
  mechanism?: TrafficMechanism;
  /** For people: what was changed, and where (the cluster endpoint that answered). */
  detail?: string;
  /** The ARC cluster endpoint (region) that accepted the change. */
  endpoint?: string;
  /**
   * The status the service answered the change with: Route 53 answers PENDING; a server that applies it at once,
   * INSYNC (then no Wait before Verify). Absent: pending.
   */
  status?: ChangeStatus;
}

/**
 * The traffic port: one per plan, chosen by `traffic.kind` (functions/adapters/traffic/index.ts). The `upsert`
 * adapters rewrite the record; the data-plane ones flip routing controls or a health check's alarm, and the
 * record's pre-provisioned failover pair answers with the standby.
 */
/**
 * Reads how the plan's pair of database nodes stands now, each node's own view, once, before a run changes anything
 * (core/direction.ts decides the direction from it). Never throws for a node that does not answer: that node is
 * `reachable: false`. Bounded as a whole by the adapter (a dark region must not hold the run).
 */
export interface PairObserver {
  observe(): Promise<Record<PlanSide, NodeView>>;
}

export type { AuroraPairObserver } from './aurora-failback.js';
export type { FailbackRebuilder, RdsPairObserver } from './failback.js';
export interface DnsSwitch {
  /**
   * Moves clients of `recordName` to `target`: UPSERT it (with `ttl`), or switch the plan's data-plane mechanism.
   * Idempotent: a retry or a second run makes the same change and never points traffic back.
   */
  point(recordName: string, target: string, ttl: number): Promise<TrafficChange>;
  /** `insync` once the change is in effect where the mechanism keeps it (Route 53's name servers, ARC's cluster, the alarm). */
  changeStatus(changeId: string): Promise<ChangeStatus>;
  /**
   * What the record answers now: the authoritative answer read through the `dns` adapter (`upsert`), or a DNS
   * resolver's, as clients get it (the data-plane mechanisms, and `upsert` with `traffic.verify`).
   */
  resolve(recordName: string): Promise<string[]>;
}

export const EVENT_DETAIL_TYPES = [
  'Failover Started',
  'Failover Step Completed',
  'Failover Succeeded',
  'Failover Failed',
  'Failover Aborted',
  'Failover Stopped',
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

/** The way back a round-trip game day arms when its way out succeeded (core/game-day-return.ts). */
export interface ReturnRequest {
  /** The schedule's name: from the way out's execution alone, so a retried notification arms the same one. */
  scheduleName: string;
  /** When the failback starts (whole seconds, UTC). */
  at: Date;
  /** The failback's state machine: the same stack's, in the plan's primary region. */
  stateMachineArn: string;
  /** The failback's execution name: from the game day's time, so a schedule that fires twice starts one run. */
  executionName: string;
  input: ExecutionInput;
}

export interface ReturnScheduler {
  /** Idempotent per schedule name: arming the same request again (a retried notification) leaves one schedule. */
  arm(request: ReturnRequest): Promise<{ scheduleArn?: string; alreadyArmed: boolean }>;
}

// ------------------------------------------------------------------------------------------------ readiness

/** What the standby looks like from its own region. */
export interface StandbyFacts {
  /** False when the replica / secondary / server does not exist (or cannot be reached, for a server). */
  exists: boolean;
  /** `replica`: still following the primary; `promoted`: standalone or already the writer. */
  role?: 'replica' | 'promoted';
  /** The resource's own status word (`available`, `modifying`, `in recovery` ...). */
  state?: string;
  /** Replication as the standby reports it (`replicating`, `error`, `connected`, `pending-resync`, `streaming` ...). */
  replication?: string;
  /** Something that stops the standby becoming a usable writer (headless cluster, failover in progress). */
  blocker?: { status: Exclude<CheckStatus, 'OK'>; reason: string };
  detail: string;
}

/** The newest backup of the plan's data that lives in the standby region. */
export interface BackupFacts {
  /** `not-checked`: the plan's kind has no backup this stack can see (self-managed PostgreSQL). */
  kind: 'found' | 'none' | 'not-checked';
  newestAt?: Date;
  /** `snapshot orders-eu-2026-11-26`, `replicated automated backup of feature-store` ... */
  source?: string;
  detail: string;
}

/** Who is the writer now, and the addresses a record may point at to reach it. */
export interface WriterFacts {
  role: 'primary' | 'standby' | 'unknown';
  /** Addresses that reach the current writer (an Aurora global writer endpoint is always one). */
  endpoints: string[];
  /** Addresses that must never be the record's answer now (the standby while it is a read-only replica). */
  forbidden: string[];
  detail: string;
}

export interface DnsRecordFacts {
  /** The record's values as the zone holds them (no trailing dot); empty when the record does not exist. */
  values: string[];
  detail: string;
  /** Route 53: the hosted zone as Route 53 describes it (GetHostedZone). */
  zone?: { name: string; private: boolean; vpcs?: { id: string; region: string }[] };
  /** Route 53: every record set of the record's name, of any type (what an UPSERT will be validated against). */
  sameName?: { type: string; routingPolicy: boolean }[];
  /** Route 53: the values of the record's failover sets of the plan's type, by role (data-plane traffic kinds). */
  failover?: { primary: string[]; secondary: string[] };
}

// The failover records readiness reads: declared beside their judgement.
export type { FailoverRecordFacts, FailoverSetFacts, HealthCheckFacts } from './readiness/failover-facts.js';

/** How the plan's traffic mechanism stands now (readiness `traffic` check). */
export interface TrafficFacts {
  /** Routing controls: each side's state as the cluster reads it (`On` / `Off`). */
  controls?: { primary?: string; standby?: string };
  /** Routing controls: each cluster endpoint, and whether it answered (with why not). */
  endpoints?: { region: string; answered: boolean; detail?: string }[];
  /** Health check: the take-over alarm's state; undefined when the alarm does not exist. */
  alarmState?: string;
  detail: string;
}

export interface AlarmRuleFacts {
  name: string;
  exists: boolean;
  enabled?: boolean;
  /** The rule's pattern names the alarm's ARN and the ALARM state. */
  matchesAlarm?: boolean;
  /** One of the rule's targets is the stack's trigger function. */
  targetsTrigger?: boolean;
}

export interface AlarmFacts {
  name: string;
  exists: boolean;
  state?: string;
  stateSince?: Date;
  rule: AlarmRuleFacts;
}

export interface StackResourceFacts {
  name: string;
  exists: boolean;
  /** ACTIVE / DELETING (state machine); Active / Pending / Inactive / Failed (function). */
  state?: string;
  /** A function's last update: Successful / InProgress / Failed. */
  lastUpdate?: string;
  detail?: string;
}

/** The reads: one adapter per plan kind and concern (functions/adapters/readiness). */
export interface ReadinessProbes {
  standby(): Promise<StandbyFacts>;
  replicationLag(): Promise<LagReading>;
  backup(): Promise<BackupFacts>;
  /** May need the primary region (the writer's endpoint before a failover). */
  writer(): Promise<WriterFacts>;
  /** May need the primary region (Route 53's control plane is in us-east-1). */
  dnsRecord(): Promise<DnsRecordFacts>;
  alarms(): Promise<AlarmFacts[]>;
  /** The plan's data-plane traffic mechanism (routing controls, take-over alarm); nothing to read for `upsert`. */
  traffic(): Promise<TrafficFacts>;
  /** Data-plane traffic kinds on Route 53: the failover records and their health checks (Route 53's control plane). */
  failoverRecords(): Promise<FailoverRecordFacts>;
  stateMachine(): Promise<StackResourceFacts>;
  functions(): Promise<StackResourceFacts[]>;
  /** One platform component's reads (plan `components`), each part bounded; some need the primary region. */
  component(component: ComponentConfig): Promise<ComponentFacts>;
}
export type ComponentFacts = ComponentFactsOf<CapacityObservation, StandbyFacts, LagReading, StackResourceFacts>;
export type {
  AccessPointRouteFacts,
  Part,
  ReplicationRuleFacts,
  TableReplicaFacts,
} from './readiness/component-facts.js';

/** What the readiness checks need to know about the deployed stack. */
export interface StackNames {
  stage: string;
  stateMachineArn: string;
  triggerFunctionArn: string;
  /** Every function of the stack the failover needs (not the readiness function itself). */
  functionNames: string[];
}

/** Where a readiness report's figures go, for the alarms that page when readiness degrades. */
export interface ReadinessMetrics {
  /** Records one datapoint per check and one for the plan; never throws for a report it is given. */
  record(report: ReadinessReport): void;
}

// ------------------------------------------------------------------------------------------------ executions

/** An execution of the state machine, as ListExecutions / DescribeExecution describe it. */
export interface ExecutionSummary {
  executionArn?: string;
  name?: string;
  status?: string;
  startDate?: Date;
  stopDate?: Date;
}

/** Port: the state machine's executions, read only. */
export interface ExecutionLister {
  /** Every RUNNING execution, however old, then the executions started since `since`, newest first. */
  recentExecutions(since: Date): Promise<ExecutionSummary[]>;
  /** One execution with its input (parsed JSON), for runs whose name does not say whose or how they run. */
  describeExecution(executionArn: string): Promise<ExecutionSummary & { input?: unknown }>;
}

/** Port: the state machine's executions, as the trigger reads and starts them. */
export interface ExecutionStarter extends ExecutionLister {
  /** StartExecution; `duplicate` when Step Functions already has an execution of that name (same incident). */
  start(name: string, input: ExecutionInput): Promise<{ outcome: 'started' | 'duplicate'; executionArn?: string }>;
}

/** What the service says of the capacity now: the count asked for now (`desired`), how many serve, healthy (`ready`). */
export interface CapacityObservation {
  desired: number;
  ready: number;
  /** The most the resource allows without changing its limits (an Auto Scaling group's MaxSize). */
  max?: number;
  /** The service is busy with an earlier change (an endpoint Updating, a deployment rolling). */
  busy: boolean;
  detail: string;
}

/** Capacity of one resource in the standby region (core/capacity.ts). */
export interface CapacityControl {
  observe(): Promise<CapacityObservation>;
  /** Sets the desired count; called only to raise it. */
  setDesired(count: number): Promise<void>;
}

/**
 * A plan's components (core/steps/component-steps.ts): one reading of a gate (unknown is never within), actions, and
 * a component database's own adapters (core/platform-components.ts).
 */
export interface PlatformComponents extends ComponentDatabasePorts<DatabaseFailover, DnsSwitch> {
  readGate(component: ReplicationGateComponent, regions: { primary: string; standby: string }): Promise<GateVerdict>;
  capacity(config: CapacityConfig, region: string): Promise<CapacityControl>;
  switchRoutes(config: AccessPointConfig): Promise<{ detail: string }>;
  invoke(functionArn: string, request: CustomActionRequest): Promise<CustomActionVerdict>;
}
export type {
  ArtifactPortsFor,
  ArtifactRegistry,
  ArtifactStore,
  HeadAnswer,
} from './artifact-ports.js';
