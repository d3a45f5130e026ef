/**
 * The local drill as a library: one real regional failover on this machine, measured end to end.
 *
 * Two embedded PostgreSQL "regions" on loopback (primary + streaming standby), the loopback DNS server, a write
 * workload that reaches the database through DNS, a disaster (every process of the primary killed at once, or a
 * planned switchover request), a detector that turns failed probes into a real-shaped `CloudWatch Alarm State
 * Change` event, the real trigger handler, and the real statemachines/failover.asl.yaml executed in
 * aws-local-stepfunctions with every Task bound to the real handler. Only Wait states are shortened (reported).
 *
 * scripts/drill.ts, scripts/bench-drill.ts and the integration tests all call runDrill().
 */
import { Resolver } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import type { Context } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import pg from 'pg';
import { LocalApprovalTimer } from '#adapters/approval/local.js';
import type { LocalNotifier as LocalNotifierType } from '#adapters/notify/local.js';
import type { ExecutionInput } from '#core/input.js';
import { type Plan, type PlanInput, parsePlan } from '#core/plan.js';
import type { FailoverEvent, FenceResult } from '#core/ports.js';
import type { FailoverState, TimelineEntry } from '#core/state.js';
import { executionName, type TriggerResult, windowStamp } from '#core/trigger.js';
import { createTtlResolver } from '../dns-client.js';
import { type LocalDnsServer, startLocalDnsServer } from '../dns-server.js';
import { type LocalRegions, startLocalRegions } from '../regions.js';
import {
  type EventLog,
  type Handlers,
  type LocalRunResult,
  LocalTaskTokens,
  loadDefinition,
  overrideEach,
  runLocal,
} from '../state-machine.js';
import { type Alarm, type CloudWatchAlarmStateChangeEvent, type Detector, startDetector } from './detector.js';
import { LocalExecutions } from './executions.js';
import { type Ack, CREATE_WORKLOAD_TABLE, startWorkload, WORKLOAD_TABLE, type Workload } from './workload.js';

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
  /** Leave servers running; the caller must call `kept.cleanup()`. */
  keep?: boolean;
  onProgress?: (event: DrillProgress) => void;
}

export interface DrillEnvironment {
  regions: LocalRegions;
  dns: LocalDnsServer;
  plan: Plan;
  workload: Workload;
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

export const DRILL_PLAN_NAME = 'drill';
export const DRILL_ALARM_NAME = 'drill-primary-unreachable';
export const DRILL_RECORD = 'db.drill.dr-failover.internal';
const ACCOUNT_ID = '000000000000';

const clock = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
const round = (n: number) => Math.round(n);

/** Cleanups of drills in progress, for a Ctrl-C handler (see cleanupActiveDrills). */
const active = new Set<() => Promise<void>>();

/** Stops and removes everything every drill in progress started. Safe to call at any time. */
export const cleanupActiveDrills = async (): Promise<void> => {
  await Promise.allSettled([...active].map((c) => c()));
};

const withClient = async <T>(config: pg.ClientConfig, fn: (c: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionTimeoutMillis: 3000, ...config });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
};

const lambdaContext = (functionName: string): Context => {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT_ID}:function:dr-failover-local-${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: `drill-${Date.now()}`,
    logGroupName: `/aws/lambda/dr-failover-local-${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

/** Builds and validates the drill's plan for the ports chosen at run time. */
export const drillPlan = (
  regions: LocalRegions,
  dns: LocalDnsServer,
  opts: { dnsTtlSeconds: number; rtoTargetSeconds: number; rpo?: Partial<PlanInput['rpo']> },
): Plan =>
  parsePlan(
    {
      name: DRILL_PLAN_NAME,
      description: 'Local drill: embedded PostgreSQL primary and streaming standby on loopback',
      accountId: ACCOUNT_ID,
      regions: { primary: 'us-east-1', standby: 'eu-west-1' },
      trigger: { alarms: [DRILL_ALARM_NAME], automatic: true, windowMinutes: 15, cooldownMinutes: 60 },
      // After a kill the standby cannot know what the dead primary wrote after its last message: the adapter says
      // "unknown", which the RPO guard never reads as zero. The drill's plan therefore proceeds after its checks
      // (RPO measured, not bounded); plans that must bound it say `abort` or `wait-for-approval`.
      rpo: {
        maxLagSeconds: 5,
        maxLagChecks: 2,
        lagCheckIntervalSeconds: 1,
        onExceeded: 'proceed',
        ...opts.rpo,
      },
      rto: { targetSeconds: opts.rtoTargetSeconds },
      promotion: { maxStatusChecks: 30, statusCheckIntervalSeconds: 1 },
      database: regions.databaseConfig(
        { file: regions.credentialsFile },
        { fence: { method: 'read-only', timeoutSeconds: 3 } },
      ),
      dns: {
        kind: 'local',
        controlEndpoint: dns.controlEndpoint,
        nameserver: dns.nameserver,
        recordName: DRILL_RECORD,
        recordType: 'A',
        ttl: opts.dnsTtlSeconds,
      },
      dnsSync: { maxStatusChecks: 30, statusCheckIntervalSeconds: 1 },
      notify: { eventBus: 'dr-failover-drill' },
    } satisfies PlanInput,
    'drill plan (generated for this run)',
  );

/** Reads `$.plan.a.b` from the state a Wait state sees. */
const planSeconds = (plan: Plan, secondsPath: string | undefined): number => {
  if (!secondsPath?.startsWith('$.plan.')) return 0;
  let v: unknown = plan;
  for (const key of secondsPath.slice('$.plan.'.length).split('.'))
    v = (v as Record<string, unknown> | undefined)?.[key];
  return typeof v === 'number' ? v : 0;
};

/** Follows the execution's events into per-state records and live progress. */
class StateTracker {
  readonly states: StateRecord[] = [];
  executionStartedAt: number | undefined;

  constructor(private readonly progress: (p: DrillProgress) => void) {}

  on = (event: EventLog): void => {
    const e = event as EventLog & { state?: { name: string; type: string; output?: unknown }; Error?: string };
    if (event.type === 'ExecutionStarted') {
      this.executionStartedAt = event.timestamp;
      return;
    }
    if (!e.state) return;
    const open = this.states.findLast((s) => s.name === e.state?.name && s.exitedAt === undefined);
    switch (event.type) {
      case 'StateEntered': {
        // A caught state may not report its exit: it ended when the next one began.
        for (const s of this.states) if (s.exitedAt === undefined && s.caught) s.exitedAt = event.timestamp;
        this.states.push({ name: e.state.name, type: e.state.type, enteredAt: event.timestamp, retries: 0 });
        if (e.state.type === 'Task' || e.state.type === 'Wait' || e.state.type === 'Fail') {
          this.progress({ group: 'state', step: e.state.name, status: 'running', at: event.timestamp });
        }
        break;
      }
      case 'StateExited': {
        if (!open) break;
        open.exitedAt = event.timestamp;
        const output = e.state.output as Partial<FailoverState> | undefined;
        const last = output?.timeline?.at(-1);
        if (open.type === 'Task' && last) open.outcome = last.outcome;
        if (open.type === 'Task' || open.type === 'Wait') {
          this.progress({
            group: 'state',
            step: open.name,
            status: open.caught ? 'failed' : 'done',
            at: event.timestamp,
            ms: event.timestamp - open.enteredAt,
            ...(open.outcome ? { detail: open.outcome } : open.failed ? { detail: open.failed } : {}),
          });
        }
        break;
      }
      case 'StateFailed':
        if (open) open.failed = `${e.Error ?? 'Error'}`;
        break;
      case 'StateRetried':
        if (open) {
          open.retries += 1;
          this.progress({
            group: 'state',
            step: open.name,
            status: 'retry',
            at: event.timestamp,
            detail: `retry ${open.retries} after ${open.failed ?? 'an error'}`,
          });
        }
        break;
      case 'StateCaught':
        if (open) {
          open.caught = true;
          this.progress({
            group: 'state',
            step: open.name,
            status: 'failed',
            at: event.timestamp,
            ms: event.timestamp - open.enteredAt,
            detail: `${open.failed ?? 'error'} caught`,
          });
        }
        break;
      default:
        break;
    }
  };

  span(first: string[], last: string[], incidentAt: number): Interval | undefined {
    const start = this.states.find((s) => first.includes(s.name))?.enteredAt;
    const end = this.states.findLast((s) => last.includes(s.name))?.exitedAt;
    if (start === undefined || end === undefined) return undefined;
    return { start: round(start - incidentAt), end: round(end - incidentAt), ms: round(end - start) };
  }

  duration(name: string): number | undefined {
    const s = this.states.find((x) => x.name === name);
    return s?.exitedAt === undefined ? undefined : round(s.exitedAt - s.enteredAt);
  }
}

const tally = <T>(items: readonly T[], key: (t: T) => string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return out;
};

/** Runs one drill. Everything it starts is stopped and removed before it returns (unless `keep`). */
export const runDrill = async (options: DrillOptions): Promise<DrillResult> => {
  const mode = options.mode;
  const orchestration = options.orchestration ?? 'state-machine';
  const start = mode === 'planned' ? 'manual' : (options.start ?? 'alarm');
  const o = {
    ratePerSecond: options.ratePerSecond ?? 50,
    detectorIntervalMs: options.detectorIntervalMs ?? 500,
    detectorFailures: options.detectorFailures ?? 3,
    waitMs: options.waitMs ?? 100,
    dnsTtlSeconds: options.dnsTtlSeconds ?? 1,
    rtoTargetSeconds: options.rtoTargetSeconds ?? 30,
    warmupMs: options.warmupMs ?? 1000,
    splitBrainWindowMs: options.splitBrainWindowMs ?? 1500,
  };
  if (orchestration === 'baseline' && (mode !== 'unplanned' || start !== 'alarm')) {
    throw new TypeError('the baseline handles the unplanned, alarm-started drill only');
  }
  const progress = (p: DrillProgress) => options.onProgress?.(p);
  const setup = (step: string, detail?: string, ms?: number) =>
    progress({
      group: 'setup',
      step,
      status: 'done',
      at: clock(),
      ...(ms !== undefined ? { ms } : {}),
      ...(detail ? { detail } : {}),
    });
  // The handlers log through Powertools; the drill shows its own progress instead. Set before they are imported.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

  const startedAt = new Date();
  const t0 = clock();
  let regions: LocalRegions | undefined;
  let dns: LocalDnsServer | undefined;
  let workload: Workload | undefined;
  let detector: Detector | undefined;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    active.delete(cleanup);
    await detector?.stop().catch(() => undefined);
    await workload?.stop().catch(() => undefined);
    await dns?.stop().catch(() => undefined);
    await regions?.cleanup().catch(() => undefined);
  };
  active.add(cleanup);
  let keepAlive = false;

  try {
    // ---------------------------------------------------------------- 1. regions and DNS
    let mark = clock();
    regions = await startLocalRegions();
    setup(
      'regions',
      `primary ${regions.primary.host}:${regions.primary.port}, standby ${regions.standby.host}:${regions.standby.port} streaming`,
      round(clock() - mark),
    );
    mark = clock();
    dns = await startLocalDnsServer({
      records: { [DRILL_RECORD]: { address: regions.primary.host, ttl: o.dnsTtlSeconds } },
    });
    setup(
      'dns',
      `${DRILL_RECORD} A ${regions.primary.host} TTL ${o.dnsTtlSeconds} s via ${dns.nameserver}`,
      round(clock() - mark),
    );
    const plan = drillPlan(regions, dns, { ...o, ...(options.rpo ? { rpo: options.rpo } : {}) });
    const { primary, standby } = regions;

    await withClient(primary.connectionConfig(), (c) => c.query(CREATE_WORKLOAD_TABLE));
    // The workload starts only once the standby has the table, so every acknowledged row can replicate.
    for (const deadline = clock() + 15_000; ; ) {
      const found = await withClient(standby.connectionConfig(), (c) =>
        c.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [WORKLOAD_TABLE]),
      );
      if (found.rows[0]?.t) break;
      if (clock() > deadline) throw new Error('the standby did not replay the workload table within 15 s');
      await sleep(20);
    }

    // ---------------------------------------------------------------- 2. workload
    const resolver = createTtlResolver(dns.nameserver);
    workload = startWorkload({
      resolver,
      recordName: DRILL_RECORD,
      port: primary.port,
      credentials: regions.credentials,
      ratePerSecond: o.ratePerSecond,
      clock,
    });
    await workload.waitForAck(() => true, 10_000);
    await sleep(o.warmupMs);
    setup('workload', `${workload.acks.length} commits acknowledged at ${o.ratePerSecond}/s through ${DRILL_RECORD}`);

    // ---------------------------------------------------------------- handlers and executions
    const notifications: FailoverEvent[] = [];
    const { LocalNotifier } = await import('#adapters/notify/local.js');
    const notifier: LocalNotifierType = new LocalNotifier({
      onEvent: (e) => {
        notifications.push(e);
        progress({ group: 'state', step: e.type, status: 'info', at: clock(), detail: e.summary });
      },
    });
    const catalog = new Map([[plan.name, plan]]);
    const now = () => new Date();
    const [
      prepareM,
      checkLagM,
      fenceM,
      promoteM,
      promotionStatusM,
      updateDnsM,
      dnsStatusM,
      verifyM,
      notifyM,
      triggerM,
    ] = await Promise.all([
      import('#functions/prepare.js'),
      import('#functions/check-lag.js'),
      import('#functions/fence.js'),
      import('#functions/promote.js'),
      import('#functions/promotion-status.js'),
      import('#functions/update-dns.js'),
      import('#functions/dns-status.js'),
      import('#functions/verify.js'),
      import('#functions/notify.js'),
      import('#functions/trigger.js'),
    ]);
    const taskTokens = new LocalTaskTokens();
    const realHandlers: Handlers = {
      // Prepare's run guard reads the drill's own executions (`executions` below), as it reads Step Functions on AWS.
      prepare: prepareM.createHandler({ now, plans: () => catalog, runs: () => executions }),
      checkLag: checkLagM.handler,
      fence: fenceM.handler,
      promote: promoteM.handler,
      promotionStatus: promotionStatusM.handler,
      updateDns: updateDnsM.handler,
      dnsStatus: dnsStatusM.handler,
      verify: verifyM.handler,
      // An approval request's deadline fails the waiting task locally, as EventBridge Scheduler does on AWS.
      notify: notifyM.createHandler({
        now,
        notifier: async () => notifier,
        approvalTimer: async () => new LocalApprovalTimer((t, e, c) => taskTokens.sendTaskFailure(t, e, c)),
      }),
    };
    const handlers = options.wrapHandlers?.(realHandlers, { regions, dns, plan, workload }) ?? realHandlers;
    const definition = loadDefinition();
    // Validated once here, as CreateStateMachine does at deployment; executions then start without re-validating.
    new StateMachine(definition, { validationOptions: { checkArn: false } });
    const waitStates = Object.entries(definition.States).filter(([, s]) => s.Type === 'Wait');
    const waitTimeOverrides = overrideEach(definition, 'Wait', o.waitMs);
    const { retryIntervalMs } = options;
    const retryIntervalOverrides =
      retryIntervalMs === undefined ? undefined : overrideEach(definition, 'Task', retryIntervalMs);
    const tracker = new StateTracker(progress);
    const executions = new LocalExecutions((name, input) =>
      runLocal(input, {
        handlers,
        executionName: name,
        taskTokens,
        waitTimeOverrides,
        ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}),
        onEvent: tracker.on,
        definition,
        validate: false,
      }),
    );
    const trigger = triggerM.createHandler({ plans: () => catalog, now, executions: () => executions });

    // ---------------------------------------------------------------- 3. the incident
    if (start === 'alarm') {
      detector = startDetector({
        host: primary.host,
        port: primary.port,
        credentials: regions.credentials,
        intervalMs: o.detectorIntervalMs,
        failuresToAlarm: o.detectorFailures,
        alarmName: DRILL_ALARM_NAME,
        accountId: plan.accountId,
        region: plan.regions.standby,
        clock,
      });
      // Let the alarm see the primary healthy first: its previous state is OK, as CloudWatch's would be.
      while (!detector.probes.some((p) => p.ok)) await sleep(10);
    }
    await options.beforeIncident?.({ regions, dns, plan, workload });

    const incidentAt = clock();
    let killMs: number | undefined;
    let runName: string | undefined;
    let triggerReport: DrillReport['trigger'];
    let alarm: Alarm | undefined;
    let baseline: { promoteMs: number; dnsUpdateMs: number; promotion: Interval; dnsSwitch: Interval } | undefined;
    const rel = (t: number) => round(t - incidentAt);

    if (start === 'alarm') {
      progress({ group: 'incident', step: 'kill primary', status: 'running', at: incidentAt });
      await primary.kill();
      killMs = round(clock() - incidentAt);
      progress({
        group: 'incident',
        step: 'kill primary',
        status: 'done',
        at: clock(),
        ms: killMs,
        detail: `postmaster and every backend SIGKILLed at once (${primary.host}:${primary.port})`,
      });
      progress({ group: 'incident', step: 'detection', status: 'running', at: clock() });
      alarm = await (detector as Detector).alarm;
      progress({
        group: 'incident',
        step: 'detection',
        status: 'done',
        at: alarm.at,
        ms: rel(alarm.at),
        detail: `${o.detectorFailures} failed probes every ${o.detectorIntervalMs} ms → ${DRILL_ALARM_NAME} in ALARM`,
      });
      if (orchestration === 'baseline') {
        baseline = await handByHand(regions, plan, incidentAt, progress);
      } else {
        const triggerAt = clock();
        const result = (await trigger(alarm.event, lambdaContext('trigger'))) as TriggerResult;
        triggerReport = {
          outcome: result.outcome,
          ms: round(clock() - triggerAt),
          ...(result.executionName ? { executionName: result.executionName } : {}),
          ...('reason' in result ? { reason: result.reason } : {}),
        };
        progress({
          group: 'incident',
          step: 'trigger',
          status: result.outcome === 'started' ? 'done' : 'failed',
          at: clock(),
          ms: triggerReport.ms,
          detail: `${result.outcome}${result.executionName ? ` ${result.executionName}` : ''}${'reason' in result ? `: ${result.reason}` : ''}`,
        });
        if (result.outcome !== 'started') throw new Error(`the trigger did not start a run: ${JSON.stringify(result)}`);
        runName = result.executionName;
      }
    } else {
      const input: ExecutionInput = {
        plan: plan.name,
        mode,
        dryRun: false,
        reason:
          mode === 'planned'
            ? 'drill: planned switchover to the standby region'
            : 'drill: operator declares the primary region lost',
        requestedBy: 'drill:operator',
        incidentStartedAt: new Date(incidentAt).toISOString(),
        overrideCooldown: false,
        trigger: { kind: 'manual', source: 'scripts/drill.ts' },
      };
      runName = executionName(plan.name, 'manual', windowStamp(new Date(incidentAt), 1));
      progress({
        group: 'incident',
        step: mode === 'planned' ? 'switchover request' : 'manual start',
        status: 'done',
        at: incidentAt,
        detail: runName,
      });
      const started = await executions.start(runName, input);
      triggerReport = { outcome: started.outcome, executionName: runName, ms: round(clock() - incidentAt) };
    }

    // ---------------------------------------------------------------- 4–5. the run
    let run: LocalRunResult | undefined;
    if (runName) run = await executions.result(runName);
    const final = run?.output as Partial<FailoverState> | undefined;
    const failedState = run?.events
      .filter((e) => e.type === 'StateExited' || e.type === 'StateEntered')
      .map((e) => (e as { state: { output?: unknown; input?: unknown } }).state)
      .findLast((s) => (s.output ?? s.input) !== undefined);
    const lastState = (final ?? failedState?.output ?? failedState?.input) as Partial<FailoverState> | undefined;
    const succeeded = orchestration === 'baseline' || run?.status === 'SUCCEEDED';
    const aborted = run?.status === 'FAILED' && run.visited.includes('Aborted');

    // ---------------------------------------------------------------- 6. RTO: first write on the new primary
    let rto: DrillReport['rto'];
    let firstAck: Ack | undefined;
    if (succeeded) {
      firstAck = await workload
        .waitForAck((a, c) => c.openingAt >= incidentAt && a.server === standby.host, 30_000)
        .catch(() => undefined);
    }
    const promoteMs = baseline?.promoteMs ?? tracker.duration('Promote');
    const dnsUpdateMs = baseline?.dnsUpdateMs ?? tracker.duration('UpdateDns');
    const detectionMs = alarm ? alarm.at - incidentAt : 0;
    if (firstAck) {
      const ms = round(firstAck.ackAt - incidentAt);
      const connection = workload.connections[firstAck.connection - 1];
      rto = {
        ms,
        targetSeconds: plan.rto.targetSeconds,
        met: ms <= plan.rto.targetSeconds * 1000,
        firstWrite: {
          id: firstAck.id,
          server: firstAck.server,
          connectionOpenedMs: rel(connection?.openedAt ?? firstAck.sentAt),
          ackMs: ms,
        },
        overheadMs: round(ms - detectionMs - (promoteMs ?? 0) - (dnsUpdateMs ?? 0)),
      };
      progress({
        group: 'check',
        step: 'first write on new primary',
        status: 'done',
        at: firstAck.ackAt,
        ms,
        detail: `id ${firstAck.id} acknowledged by ${firstAck.server} on a connection opened after the incident: RTO ${ms} ms`,
      });
    }

    // ---------------------------------------------------------------- 7. split brain, then RPO
    let splitBrain: SplitBrainCheck | undefined;
    if (succeeded && firstAck) {
      splitBrain = await checkSplitBrain(regions, plan, workload, mode, o.splitBrainWindowMs);
      progress({
        group: 'check',
        step: 'split-brain check',
        status: splitBrain.ok ? 'done' : 'failed',
        at: clock(),
        detail: splitBrainLine(splitBrain),
      });
    }
    let standbyInRecovery: boolean | undefined;
    if (!succeeded) {
      standbyInRecovery = await withClient(standby.connectionConfig(), async (c) => {
        return (await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r ?? false;
      });
    }
    const acksSnapshot = [...workload.acks];
    if (!options.keep) await workload.stop();

    let rpo: DrillReport['rpo'];
    // Whenever the standby was promoted, even if the run failed after that: what it lacks is then lost.
    if ((succeeded && firstAck) || standbyInRecovery === false) {
      const byOld = acksSnapshot.filter((a) => a.server === primary.host);
      const present = new Set(
        await withClient(standby.connectionConfig(), async (c) => {
          const r = await c.query<{ id: string }>(`SELECT id FROM ${WORKLOAD_TABLE} WHERE id = ANY($1::bigint[])`, [
            byOld.map((a) => a.id),
          ]);
          return r.rows.map((row) => Number(row.id));
        }),
      );
      const lost = byOld.filter((a) => !present.has(a.id));
      const first = lost[0];
      const last = lost.at(-1);
      rpo = {
        lostCount: lost.length,
        lostIds: lost.map((a) => a.id),
        ...(first && last
          ? { spanMs: { first: rel(first.ackAt), last: rel(last.ackAt), ms: round(last.ackAt - first.ackAt) } }
          : {}),
        acknowledgedByOldPrimary: byOld.length,
        ackedAfterIncident: byOld.filter((a) => a.ackAt >= incidentAt).length,
      };
      progress({
        group: 'check',
        step: 'RPO count',
        status: mode === 'planned' && lost.length > 0 ? 'failed' : 'done',
        at: clock(),
        detail: lostCommitsLine(rpo),
      });
    }

    // ---------------------------------------------------------------- report
    const phases: DrillReport['phases'] = {};
    if (alarm) {
      phases.detection = { start: 0, end: rel(alarm.at), ms: rel(alarm.at) };
    }
    if (tracker.executionStartedAt !== undefined) {
      const from = alarm?.at ?? incidentAt;
      phases.trigger = {
        start: rel(from),
        end: rel(tracker.executionStartedAt),
        ms: round(tracker.executionStartedAt - from),
      };
    }
    const lagCheck = tracker.span(['CheckLag'], ['CheckLag'], incidentAt);
    if (lagCheck) phases.lagCheck = lagCheck;
    const fence = tracker.span(['Fence'], ['Fence'], incidentAt);
    if (fence) phases.fence = fence;
    const promotion = baseline?.promotion ?? tracker.span(['Promote'], ['PromotionStatus'], incidentAt);
    if (promotion) phases.promotion = promotion;
    const dnsSwitch = baseline?.dnsSwitch ?? tracker.span(['UpdateDns'], ['Verify'], incidentAt);
    const dnsUpserted = baseline?.dnsSwitch.end ?? tracker.span(['UpdateDns'], ['UpdateDns'], incidentAt)?.end;
    if (dnsSwitch) phases.dnsSwitch = dnsSwitch;
    // From the UPSERT (visible at once: the local server propagates instantly) to the first write on the new
    // primary: what clients spend on a cached answer (TTL) and on reconnecting.
    if (dnsUpserted !== undefined && rto) {
      phases.clientReconnect = { start: dnsUpserted, end: rto.ms, ms: rto.ms - dnsUpserted };
    }

    const waits: WaitReport[] = waitStates.map(([name, s]) => ({
      state: name,
      planSeconds: planSeconds(plan, (s as { SecondsPath?: string }).SecondsPath),
      overrideMs: o.waitMs,
      entered: tracker.states.filter((x) => x.name === name).length,
    }));
    const report: DrillReport = {
      mode,
      orchestration,
      outcome: succeeded ? 'succeeded' : aborted ? 'aborted' : 'failed',
      startedAt: startedAt.toISOString(),
      wallMs: round(clock() - t0),
      where: {
        primary: `${primary.host}:${primary.port}`,
        standby: `${standby.host}:${standby.port}`,
        dns: {
          record: DRILL_RECORD,
          ttl: o.dnsTtlSeconds,
          nameserver: dns.nameserver,
          controlEndpoint: dns.controlEndpoint,
        },
        setupMs: { ...regions.timings },
      },
      options: {
        ratePerSecond: o.ratePerSecond,
        detectorIntervalMs: o.detectorIntervalMs,
        detectorFailures: o.detectorFailures,
        waitMs: o.waitMs,
        dnsTtlSeconds: o.dnsTtlSeconds,
        start,
        ...(retryIntervalMs !== undefined ? { retryIntervalMs } : {}),
      },
      plan,
      incident: {
        kind: start === 'alarm' ? 'kill' : mode === 'planned' ? 'switchover-request' : 'manual-unplanned',
        at: new Date(incidentAt).toISOString(),
        ...(killMs !== undefined ? { killMs } : {}),
      },
      ...(alarm && detector
        ? {
            detection: {
              ms: rel(alarm.at),
              firstFailedProbeMs: rel(alarm.firstFailedProbeAt),
              probes: detector.probes.length,
              event: alarm.event,
            },
          }
        : {}),
      ...(triggerReport ? { trigger: triggerReport } : {}),
      ...(run && runName
        ? {
            execution: {
              name: runName,
              status: run.status,
              ...(run.error ? { error: run.error } : {}),
              ...(run.cause ? { cause: run.cause } : {}),
              visited: run.visited,
              states: tracker.states.map((s) => ({
                ...s,
                enteredAt: rel(s.enteredAt),
                ...(s.exitedAt !== undefined ? { exitedAt: rel(s.exitedAt) } : {}),
              })),
              timeline: lastState?.timeline ?? [],
              ...(lastState?.lag ? { lag: lastState.lag } : {}),
              ...(lastState?.fence ? { fence: lastState.fence } : {}),
            },
          }
        : {}),
      phases,
      calls: {
        ...(promoteMs !== undefined ? { promoteMs } : {}),
        ...(dnsUpdateMs !== undefined ? { dnsUpdateMs } : {}),
      },
      waits,
      deployedWaitExtraMs: waits.reduce(
        (sum, w) => sum + w.entered * Math.max(0, w.planSeconds * 1000 - w.overrideMs),
        0,
      ),
      ...(rto ? { rto } : {}),
      ...(rpo ? { rpo } : {}),
      workload: {
        acks: acksSnapshot.length,
        failedAttempts: workload.failures.length,
        connections: workload.connections.length,
        failuresByCode: tally(workload.failures, (f) => `${f.phase}:${f.code}`),
        acksByServer: tally(acksSnapshot, (a) => a.server),
      },
      ...(splitBrain ? { splitBrain } : {}),
      ...(standbyInRecovery !== undefined ? { standbyInRecovery } : {}),
      notifications: notifications.map((n) => ({ type: n.type, summary: n.summary, at: n.occurredAt })),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    if (options.keep) {
      keepAlive = true;
      const env = { regions, dns, plan, workload };
      return { report, acks: acksSnapshot, notifications, kept: { ...env, cleanup } };
    }
    return { report, acks: acksSnapshot, notifications };
  } finally {
    if (!keepAlive) await cleanup();
  }
};

/** The baseline: the same alarm handled by the minimal hand-written sequence, pg_promote then the DNS UPSERT. */
const handByHand = async (
  regions: LocalRegions,
  plan: Plan,
  incidentAt: number,
  progress: (p: DrillProgress) => void,
): Promise<{ promoteMs: number; dnsUpdateMs: number; promotion: Interval; dnsSwitch: Interval }> => {
  const p0 = clock();
  await withClient(regions.standby.connectionConfig(), (c) => c.query('SELECT pg_promote(true, 60)'));
  const p1 = clock();
  progress({ group: 'state', step: 'pg_promote', status: 'done', at: p1, ms: round(p1 - p0) });
  if (plan.dns.kind !== 'local') throw new Error('the drill plan uses the local DNS server');
  const base = `http://${plan.dns.controlEndpoint}`;
  const put = await fetch(`${base}/records/${encodeURIComponent(plan.dns.recordName)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ address: regions.standby.host, ttl: plan.dns.ttl }),
  });
  const { changeId } = (await put.json()) as { changeId: string };
  const d1 = clock();
  for (;;) {
    const status = (await (await fetch(`${base}/changes/${changeId}`)).json()) as { status: string };
    if (status.status === 'INSYNC') break;
    await sleep(10);
  }
  const d2 = clock();
  progress({ group: 'state', step: 'DNS UPSERT', status: 'done', at: d2, ms: round(d2 - p1) });
  return {
    promoteMs: round(p1 - p0),
    dnsUpdateMs: round(d1 - p1),
    promotion: { start: round(p0 - incidentAt), end: round(p1 - incidentAt), ms: round(p1 - p0) },
    dnsSwitch: { start: round(p1 - incidentAt), end: round(d2 - incidentAt), ms: round(d2 - p1) },
  };
};

const writeRejected = async (config: pg.ClientConfig): Promise<boolean> =>
  withClient(config, async (c) => {
    await c.query('BEGIN');
    try {
      // An id the workload never uses; rolled back even when it is accepted.
      await c.query(`INSERT INTO ${WORKLOAD_TABLE} (id) VALUES (-1)`);
      return false;
    } catch (error) {
      if ((error as { code?: string }).code === '25006') return true;
      throw error;
    } finally {
      await c.query('ROLLBACK').catch(() => undefined);
    }
  });

/**
 * Restarts the old primary (a region coming back) and checks that it takes no workload write: fenced, out of
 * DNS, and no id the workload tried after the restart on it.
 */
const checkSplitBrain = async (
  regions: LocalRegions,
  plan: Plan,
  workload: Workload,
  mode: DrillMode,
  windowMs: number,
): Promise<SplitBrainCheck> => {
  const { primary } = regions;
  const restartAt = clock();
  // A planned run left it running (fenced): stop it first, so the check covers a real restart.
  if (mode === 'planned') await primary.stop();
  await primary.start();
  const restartMs = round(clock() - restartAt);
  const lastIdBefore = workload.lastAttemptedId();
  const state = await withClient(primary.connectionConfig(), async (c) => {
    const r = await c.query<{ r: boolean; ro: string }>(
      `SELECT pg_is_in_recovery() AS r, current_setting('default_transaction_read_only') AS ro`,
    );
    return { inRecovery: r.rows[0]?.r ?? false, readOnly: r.rows[0]?.ro === 'on' };
  });
  const rejected = await writeRejected(primary.connectionConfig());
  // The workload keeps resolving and writing while the old primary is back.
  await sleep(windowMs);
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  if (plan.dns.kind !== 'local') throw new Error('the drill plan uses the local DNS server');
  resolver.setServers([plan.dns.nameserver]);
  const dnsAnswer = await resolver.resolve4(plan.dns.recordName);
  const rows = await withClient(primary.connectionConfig(), async (c) => {
    const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${WORKLOAD_TABLE} WHERE id > $1`, [lastIdBefore]);
    return Number(r.rows[0]?.n ?? 0);
  });
  const acksAfter = workload.acks.filter((a) => a.ackAt >= restartAt && a.server === primary.host).length;
  let refence: SplitBrainCheck['refence'];
  if (!rejected && mode === 'unplanned') {
    // It was dark when the run's Fence step tried: apply the same fence now, as the runbook says.
    const { PostgresFailover } = await import('#adapters/database/postgres.js');
    if (plan.database.kind !== 'postgres') throw new Error('the drill plan uses the postgres adapter');
    const fence = await new PostgresFailover({ ...plan, database: plan.database }).fenceOldPrimary('unplanned');
    refence = { fence, writeRejected: await writeRejected(primary.connectionConfig()) };
  }
  const outOfDns = !dnsAnswer.includes(primary.host);
  return {
    restartMs,
    inRecovery: state.inRecovery,
    readOnlyOnReturn: state.readOnly,
    writeRejectedOnReturn: rejected,
    dnsAnswer,
    outOfDns,
    workloadRowsAfterRestart: rows,
    workloadAcksAfterRestart: acksAfter,
    windowMs,
    ...(refence ? { refence } : {}),
    ok: outOfDns && rows === 0 && acksAfter === 0,
  };
};

export const splitBrainLine = (s: SplitBrainCheck): string =>
  [
    `old primary restarted in ${s.restartMs} ms`,
    s.writeRejectedOnReturn
      ? 'fenced (read-only) on return'
      : `came back WRITABLE (it was dark when Fence ran)${s.refence ? `, re-fenced then: writes ${s.refence.writeRejected ? 'rejected' : 'STILL ACCEPTED'}` : ''}`,
    s.outOfDns ? `out of DNS (record → ${s.dnsAnswer.join(', ')})` : `STILL IN DNS (${s.dnsAnswer.join(', ')})`,
    `${s.workloadRowsAfterRestart} workload writes landed on it in ${s.windowMs} ms`,
  ].join('; ');

export const lostCommitsLine = (r: NonNullable<DrillReport['rpo']>): string =>
  r.lostCount === 0
    ? `0 of ${r.acknowledgedByOldPrimary} commits acknowledged by the old primary are missing on the new one`
    : `${r.lostCount} of ${r.acknowledgedByOldPrimary} acknowledged commits missing on the new primary ` +
      `(acknowledged ${r.spanMs?.first} … ${r.spanMs?.last} ms relative to the incident, a ${r.spanMs?.ms} ms span; ` +
      `${r.ackedAfterIncident} of the acknowledgements arrived after the kill instant)`;
