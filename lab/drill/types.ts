/** The drill's vocabulary: its options, the environment its hooks see, live progress, and the report it makes. */
import type { Plan, PlanInput } from '#core/plan.js';
import type { FailoverEvent, FenceResult } from '#core/ports.js';
import type { FailoverState, TimelineEntry } from '#core/state.js';
import type { LocalDnsServer } from '../dns-server.js';
import type { MlPlatform, MlSettings } from '../ml/platform.js';
import type { LocalRegions } from '../regions.js';
import type { LocalRoutingCluster } from '../routing-cluster.js';
import type { Handlers } from '../state-machine.js';
import type { CloudWatchAlarmStateChangeEvent } from './detector.js';
import type { FeatureDb } from './feature-db-verdict.js';
import type { MlReport } from './platform.js';
import type { Ack, Workload } from './workload.js';

export type DrillMode = 'planned' | 'unplanned';

export interface DrillOptions {
  mode: DrillMode;
  /** Workload commits per second (default 50, the rate the peer figures were measured at). */
  ratePerSecond?: number;
  /** Detector probe interval (default 500 ms) and consecutive failures that raise the alarm (default 3). */
  detectorIntervalMs?: number;
  detectorFailures?: number;
  /** Every Wait state of the definition runs this long instead of the plan's whole seconds (default 100 ms). */
  waitMs?: number;
  /** TTL of the DNS record the workload resolves (default 1 s). */
  dnsTtlSeconds?: number;
  /** The plan's RTO target (default 30 s). */
  rtoTargetSeconds?: number;
  /** Workload time before the incident (default 1000 ms). */
  warmupMs?: number;
  /** How long the workload keeps writing with the old primary back up (default 1500 ms). */
  splitBrainWindowMs?: number;
  /**
   * How the run starts. `alarm` (unplanned default): kill the primary, the detector raises the alarm, the trigger
   * starts the run. `manual`: an operator starts it (planned always; unplanned with the primary still up).
   */
  start?: 'alarm' | 'manual';
  /** `state-machine` (default): trigger + state machine + handlers. `baseline`: pg_promote then the DNS update by hand. */
  orchestration?: 'state-machine' | 'baseline';
  /** Overrides of the generated plan's `rpo` section (tests use a small threshold and `abort`). */
  rpo?: Partial<PlanInput['rpo']>;
  /** Called with the regions up and the workload writing, just before the incident (tests pause replay here). */
  beforeIncident?: (env: DrillEnvironment) => Promise<void>;
  /**
   * Fault hooks: wraps the real step handlers (keyed by function name: `fence`, `promote`, `updateDns` ...), so a
   * test can break the world around a step (kill a server after Fence, stop the DNS server before UpdateDns).
   */
  wrapHandlers?: (handlers: Handlers, env: DrillEnvironment) => Handlers;
  /**
   * Every Task Retry waits this long instead of the definition's IntervalSeconds with jitter (default: as defined).
   * Tests of faults that exhaust a Retry set it low; it is reported with the waits.
   */
  retryIntervalMs?: number;
  /**
   * How the run moves traffic (the plan's `traffic.kind`, default `upsert`): `routing-control` serves the record as a
   * failover pair following routing controls on the local cluster stand-in (lab/routing-cluster.ts); `health-check`
   * as a pair following a take-over alarm on the CloudWatch stand-in (lab/cloudwatch-standin.ts).
   */
  traffic?: DrillTraffic;
  /** `down`: the DNS server's control API (Route 53's control plane stand-in) refuses every call from the start. */
  controlPlane?: 'up' | 'down';
  /** Regions whose cluster endpoints drop every connection (routing-control only), to show the rotation. */
  clusterEndpointsDown?: string[];
  /**
   * `ml-platform`: the registry of an ML platform (the drill's database, with MLflow's model versions) and its
   * components (the artifact bucket pair, the online-feature table, serving capacity, a custom action) fail over in
   * one run (lab/ml/platform.ts); `database` (default): the database alone.
   */
  platform?: DrillPlatform;
  /** The ML platform's timings (replication delay, version interval ...). */
  ml?: Partial<MlSettings>;
  /** Leave servers running; the caller must call `kept.cleanup()`. */
  keep?: boolean;
  onProgress?: (event: DrillProgress) => void;
}

export type DrillTraffic = 'routing-control' | 'health-check' | 'upsert';
export type DrillPlatform = 'database' | 'ml-platform';

export interface DrillEnvironment {
  regions: LocalRegions;
  dns: LocalDnsServer;
  /** The ARC cluster stand-in, for `routing-control` drills. */
  cluster?: LocalRoutingCluster;
  plan: Plan;
  workload: Workload;
  /** The ML platform around the database, for `ml-platform` drills. */
  platform?: MlPlatform;
  /** The ML platform's second database (the feature store's metadata) on its own pair, for `ml-platform` drills. */
  featureDb?: FeatureDb;
}

/** A line of live progress. `at` is epoch ms; `ms` the duration of a finished step. */
export interface DrillProgress {
  group: 'setup' | 'incident' | 'state' | 'check';
  step: string;
  status: 'running' | 'done' | 'failed' | 'retry' | 'info';
  at: number;
  ms?: number;
  detail?: string;
}

export interface Interval {
  /** Milliseconds relative to the incident. */
  start: number;
  end: number;
  ms: number;
}

export interface StateRecord {
  name: string;
  type: string;
  enteredAt: number;
  exitedAt?: number;
  retries: number;
  failed?: string;
  caught?: boolean;
  outcome?: string;
}

export interface WaitReport {
  state: string;
  planSeconds: number;
  overrideMs: number;
  entered: number;
}

export interface SplitBrainCheck {
  restartMs: number;
  inRecovery: boolean;
  readOnlyOnReturn: boolean;
  /** A test write on the returned old primary was rejected (then, if it was accepted, rolled back). */
  writeRejectedOnReturn: boolean;
  dnsAnswer: string[];
  outOfDns: boolean;
  /** Rows with ids the workload tried after the restart, found on the old primary (must be 0). */
  workloadRowsAfterRestart: number;
  /** Acknowledgements the workload received from the old primary after its restart (must be 0). */
  workloadAcksAfterRestart: number;
  windowMs: number;
  /** Unplanned only, when it came back writable: the runbook's fence applied then, and its effect. */
  refence?: { fence: FenceResult; writeRejected: boolean };
  ok: boolean;
}

export interface DrillReport {
  mode: DrillMode;
  orchestration: 'state-machine' | 'baseline';
  outcome: 'succeeded' | 'failed' | 'aborted';
  startedAt: string;
  wallMs: number;
  where: {
    primary: string;
    standby: string;
    dns: { record: string; ttl: number; nameserver: string; controlEndpoint: string };
    /** How traffic moved, whether the control plane stand-in answered, and the cluster requests per endpoint. */
    traffic?: { kind: DrillTraffic; controlPlane: 'up' | 'down'; clusterAnswered?: Record<string, number> };
    setupMs: Record<string, number>;
  };
  options: {
    ratePerSecond: number;
    detectorIntervalMs: number;
    detectorFailures: number;
    waitMs: number;
    dnsTtlSeconds: number;
    start: 'alarm' | 'manual';
    retryIntervalMs?: number;
  };
  plan: Plan;
  incident: { kind: 'kill' | 'switchover-request' | 'manual-unplanned'; at: string; killMs?: number };
  detection?: { ms: number; firstFailedProbeMs: number; probes: number; event: CloudWatchAlarmStateChangeEvent };
  trigger?: { outcome: string; executionName?: string; ms: number; reason?: string };
  execution?: {
    name: string;
    status: 'SUCCEEDED' | 'FAILED';
    error?: string;
    cause?: string;
    visited: string[];
    states: StateRecord[];
    timeline: TimelineEntry[];
    lag?: FailoverState['lag'];
    fence?: FailoverState['fence'];
    /** The plan's components as the run left them, and its gates' last decision. */
    components?: FailoverState['components'];
    componentGates?: FailoverState['componentGates'];
    /** The model-artifact check's gate and finding, as the run recorded them. */
    artifactGate?: FailoverState['artifactGate'];
    artifacts?: FailoverState['artifacts'];
  };
  /** Phases relative to the incident (ms). */
  phases: Partial<
    Record<'detection' | 'trigger' | 'lagCheck' | 'fence' | 'promotion' | 'dnsSwitch' | 'clientReconnect', Interval>
  >;
  /** Durations of the two calls the baseline also makes (pg_promote, the DNS UPSERT), for the overhead. */
  calls: { promoteMs?: number; dnsUpdateMs?: number };
  waits: WaitReport[];
  /** What the waits would have cost more with the plan's whole seconds, as a deployed run waits. */
  deployedWaitExtraMs: number;
  rto?: {
    ms: number;
    targetSeconds: number;
    met: boolean;
    firstWrite: { id: number; server: string; connectionOpenedMs: number; ackMs: number };
    /** RTO − detection − promotion call − DNS call: what orchestration and client reconnection cost. */
    overheadMs: number;
  };
  /** Counted whenever the standby was promoted, also when the run then failed (e.g. DNS not switched). */
  rpo?: {
    lostCount: number;
    lostIds: number[];
    /** Ack times of the lost commits, relative to the incident. */
    spanMs?: { first: number; last: number; ms: number };
    acknowledgedByOldPrimary: number;
    /** Acks from the old primary received after the incident instant (commits in flight as it died). */
    ackedAfterIncident: number;
  };
  workload: {
    acks: number;
    failedAttempts: number;
    connections: number;
    failuresByCode: Record<string, number>;
    acksByServer: Record<string, number>;
  };
  splitBrain?: SplitBrainCheck;
  /** `ml-platform` drills: the artifacts' ground truth against the run's check, each component's RTO and RPO. */
  ml?: MlReport;
  /** After a failed or aborted run: was anything promoted? */
  standbyInRecovery?: boolean;
  notifications: { type: string; summary: string; at: string }[];
  peakRssMb: number;
}

export interface DrillResult {
  report: DrillReport;
  /** Every acknowledged commit, as the workload recorded it (epoch ms). */
  acks: Ack[];
  /** Every notification the run published, in full (the report keeps their summaries). */
  notifications: FailoverEvent[];
  /** With `keep`: the running environment; call cleanup() when done. */
  kept?: DrillEnvironment & { cleanup: () => Promise<void> };
}
