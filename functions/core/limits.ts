/**
 * The time limits the deployment sets (the state machine's and its Tasks' timeouts and retries, the functions'
 * Lambda timeouts) and what a plan may ask within them. Pure, no I/O. The definition and serverless.yml are the
 * deployed truth; test/unit/limits.test.ts reads them and fails when these constants disagree.
 */

/**
 * The longest a run can last: the state machine's `TimeoutSeconds`. A run still going then ends `TIMED_OUT`
 * with no step of its own to clean up, so a plan must fit its worst case inside it (`longestRun`).
 */
export const MAX_RUN_SECONDS = 86_400;

/** middy's `timeoutEarlyInMillis` in every step handler: a step fails `TimeoutError` this long before its Lambda timeout. */
export const EARLY_TIMEOUT_MS = 1000;

/** The Lambda timeouts (serverless.yml `functions.<name>.timeout`) the plan's limits depend on. */
export const FUNCTION_TIMEOUT_SECONDS = { fence: 50, notify: 25, component: 55 } as const;

/**
 * What the Fence step does before the fence's own clock starts (reading the primary's credentials from Secrets
 * Manager, with the SDK's retries) and after it (reporting): kept out of `database.fence.timeoutSeconds`.
 */
const FENCE_SETUP_SECONDS = 5;

/**
 * The longest `database.fence.timeoutSeconds` (PostgreSQL) can be: the fence must end inside the Fence function's
 * Lambda timeout, less middy's early timeout and the step's own setup, or the step ends `TimeoutError` while the
 * fence is half done and is retried from the start.
 */
export const FENCE_TIMEOUT_MAX_SECONDS =
  FUNCTION_TIMEOUT_SECONDS.fence - Math.ceil(EARLY_TIMEOUT_MS / 1000) - FENCE_SETUP_SECONDS;

/**
 * A component database's phases run in the component function (FUNCTION_TIMEOUT_SECONDS.component), one phase per
 * ComponentAction: a PostgreSQL promotion waits at most COMPONENT_PROMOTE_WAIT_SECONDS for `pg_promote` (its session
 * 10 s more), and a planned one first reads the fenced primary within its fence timeout, at most
 * COMPONENT_FENCE_TIMEOUT_MAX_SECONDS: both inside the function's timeout, less middy's early timeout.
 */
export const COMPONENT_PROMOTE_WAIT_SECONDS = 20;
export const COMPONENT_FENCE_TIMEOUT_MAX_SECONDS = 20;

/** One `Retry` entry of a Task: how many attempts it adds and how long it waits before each. */
export interface Retrier {
  intervalSeconds: number;
  maxAttempts: number;
  backoffRate: number;
  maxDelaySeconds?: number;
}

/** A Task's bounds in the definition: `TimeoutSeconds` and its `Retry` entries, in order. */
export interface TaskBound {
  timeoutSeconds: number;
  retry: readonly Retrier[];
}

const LAMBDA: Retrier = { intervalSeconds: 1, maxAttempts: 3, backoffRate: 2 };
const NOTIFY: Retrier = { intervalSeconds: 1, maxAttempts: 3, backoffRate: 2, maxDelaySeconds: 10 };
const transient = (maxAttempts: number): Retrier => ({
  intervalSeconds: 2,
  maxAttempts,
  backoffRate: 2,
  maxDelaySeconds: 30,
});
const notifying = (timeoutSeconds: number): TaskBound => ({ timeoutSeconds, retry: [LAMBDA, NOTIFY] });
const stepping = (timeoutSeconds: number, attempts: number): TaskBound => ({
  timeoutSeconds,
  retry: [LAMBDA, transient(attempts)],
});

/** Every Task of statemachines/failover.asl.yaml. */
export const TASK_BOUNDS = {
  Prepare: {
    timeoutSeconds: 30,
    retry: [LAMBDA, { intervalSeconds: 1, maxAttempts: 4, backoffRate: 2, maxDelaySeconds: 10 }],
  },
  Preserve: stepping(60, 5),
  Rebuild: stepping(60, 5),
  RebuildStatus: stepping(30, 5),
  ApproveFailover: notifying(14_700),
  NotifyStarted: notifying(30),
  CheckLag: stepping(30, 5),
  ApproveLagExceeded: notifying(14_700),
  Fence: stepping(60, 5),
  Promote: stepping(120, 8),
  PromotionStatus: stepping(30, 5),
  UpdateDns: stepping(30, 5),
  DnsStatus: stepping(30, 5),
  Verify: stepping(30, 5),
  CheckComponentGates: stepping(60, 5),
  NextComponentStage: stepping(60, 5),
  ComponentAction: stepping(60, 5),
  CheckArtifacts: stepping(60, 5),
  FindArtifacts: stepping(60, 5),
  ArtifactFindingFailed: { timeoutSeconds: 60, retry: [LAMBDA] },
  NotifySucceeded: notifying(30),
  NotifyAborted: notifying(30),
  NotifyFailed: notifying(30),
} as const satisfies Record<string, TaskBound>;
type TaskName = keyof typeof TASK_BOUNDS;

/**
 * The longest the waits between attempts can add up to: each entry's own attempts, each waiting at most
 * `interval × rate^k` capped by `MaxDelaySeconds` (jitter only shortens it). Each entry counts its attempts
 * separately, so errors that alternate between entries can use them all.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
const retryWaitSeconds = (retry: readonly Retrier[]): number =>
  retry.reduce((sum, r) => {
    let waits = 0;
    for (let k = 0; k < r.maxAttempts; k += 1) {
      waits += Math.min(r.intervalSeconds * r.backoffRate ** k, r.maxDelaySeconds ?? Number.POSITIVE_INFINITY);
    }
    return sum + waits;
  }, 0);

const attemptsOf = (retry: readonly Retrier[]) => 1 + retry.reduce((n, r) => n + r.maxAttempts, 0);

/** The longest one Task can take: every attempt up to its `TimeoutSeconds`, and every wait between them. */
export const worstTaskSeconds = (task: TaskName): number => {
  const { timeoutSeconds, retry } = TASK_BOUNDS[task];
  return attemptsOf(retry) * timeoutSeconds + retryWaitSeconds(retry);
};

/**
 * An approval Task: an attempt fails when its notify invocation fails (at most that function's timeout); the one
 * that succeeds waits for the answer up to the Task's `TimeoutSeconds`, the backstop a run reaches when the plan's
 * own timer could not be armed (docs/architecture.md, Approval deadlines).
 */
const worstApprovalSeconds = (task: 'ApproveFailover' | 'ApproveLagExceeded'): number => {
  const { timeoutSeconds, retry } = TASK_BOUNDS[task];
  return (attemptsOf(retry) - 1) * FUNCTION_TIMEOUT_SECONDS.notify + retryWaitSeconds(retry) + timeoutSeconds;
};

type ComponentLimits = NonNullable<RunLimits['components']>;

/** The gates' own loop: one CheckComponentGates per lag check the plan allows, with the waits between them. */
const componentGateSeconds = (plan: RunLimits): number => {
  const gated = new Set(['s3-replication', 'dynamodb-global-table', 'database']);
  const gates = (plan.components ?? []).some((c) => gated.has(c.kind));
  const { maxLagChecks, lagCheckIntervalSeconds } = plan.rpo;
  return gates
    ? maxLagChecks * worstTaskSeconds('CheckComponentGates') + (maxLagChecks - 1) * lagCheckIntervalSeconds
    : 0;
};

/**
 * The stages, one after another: each a NextComponentStage and its slowest component (a capacity component polls
 * up to its maxChecks, a database's phases take up to its maxChecks), then the NextComponentStage that ends them.
 * Named by the field that makes a stage long.
 */
const componentStageParts = (components: ComponentLimits): RunPart[] => {
  if (components.length === 0) return [];
  const action = worstTaskSeconds('ComponentAction');
  const stages = new Map<number, { field: string; seconds: number }>();
  components.forEach((c, i) => {
    const polled = c.kind === 'capacity' || c.kind === 'database';
    const checks = polled ? (c.maxChecks ?? 1) : 1;
    const seconds = checks * action + (checks - 1) * (c.checkIntervalSeconds ?? 0);
    const field = polled ? `components.${i}.maxChecks` : 'component stages';
    const stage = stages.get(c.stage);
    if (!stage || seconds > stage.seconds) stages.set(c.stage, { field, seconds });
  });
  return [
    { field: 'component stages', seconds: (stages.size + 1) * worstTaskSeconds('NextComponentStage') },
    ...[...stages.values()].map((s) => ({ field: s.field, seconds: s.seconds })),
  ];
};
/**
 * The way back's wait for the replica it builds (RDS): `WaitForRebuild` (Seconds in the definition) between two
 * RebuildStatus checks, and how many checks one run makes before RebuildTimedOutError. A cross-Region replica of a
 * large database can take longer: RDS goes on building it, and the next failback run finds it and waits again.
 */
export const REBUILD_CHECK_INTERVAL_SECONDS = 60;
export const REBUILD_MAX_CHECKS = 60;

/**
 * How long an RDS failback keeps reading the rebuilt replica's lag before it gives up: a replica that has just begun
 * replicating has no ReplicaLag datapoint yet (RDS publishes each minute late), so the plan's checks (sized for an
 * incident) could run out before the first one.
 */
export const FAILBACK_LAG_WINDOW_SECONDS = 300;

/**
 * The RPO an RDS failback runs with: lag 0 (the way back loses nothing), over at least FAILBACK_LAG_WINDOW_SECONDS of
 * checks, and a lag over it or unknown after them aborts (the way back is never urgent).
 */
export const failbackRpo = <R extends RunLimits['rpo'] & { maxLagSeconds?: number; maxLagBytes?: number }>(
  rpo: R,
): R => ({
  ...rpo,
  maxLagSeconds: 0,
  ...(rpo.maxLagBytes !== undefined ? { maxLagBytes: 0 } : {}),
  maxLagChecks: Math.max(rpo.maxLagChecks, Math.ceil(FAILBACK_LAG_WINDOW_SECONDS / rpo.lagCheckIntervalSeconds)),
  onExceeded: 'abort',
});

/** What of a plan the longest run depends on (a plan is one). */
export interface RunLimits {
  trigger: { automatic: boolean };
  rpo: { maxLagChecks: number; lagCheckIntervalSeconds: number; onExceeded: string };
  promotion: { maxStatusChecks: number; statusCheckIntervalSeconds: number };
  dnsSync: { maxStatusChecks: number; statusCheckIntervalSeconds: number };
  /** Verify through a resolver checks until the switch + TTL + allowance has passed (core/steps/dns-steps.ts). */
  dns?: { ttl: number };
  traffic?: { verify?: { allowanceSeconds: number } };
  /** Platform components (plan-components.ts): their gates join the RPO guard, their actions run in stages. */
  components?: readonly { kind: string; stage: number; maxChecks?: number; checkIntervalSeconds?: number }[];
  database?: { kind: string };
  /** The model-artifact check: the gate (planned runs) and the finding after the promotion. */
  artifacts?: unknown;
}

/** One part of the longest run, named by the plan field that decides it. */
export interface RunPart {
  field: string;
  seconds: number;
}

/**
 * The longest run a plan allows, by part: every Task on the longest path (both approvals where the plan can ask,
 * every lag, promotion and DNS check the plan allows, with the waits between them), each at its worst. An upper
 * bound: every attempt is taken to run to its `TimeoutSeconds`.
 */
export const longestRun = (plan: RunLimits): { seconds: number; parts: RunPart[] } => {
  const { rpo, promotion, dnsSync } = plan;
  const parts: RunPart[] = [
    {
      field: 'the fixed steps',
      seconds:
        worstTaskSeconds('Prepare') +
        worstTaskSeconds('NotifyStarted') +
        worstTaskSeconds('Fence') +
        worstTaskSeconds('Promote') +
        worstTaskSeconds('UpdateDns') +
        worstTaskSeconds('Verify') +
        Math.max(worstTaskSeconds('NotifySucceeded'), worstTaskSeconds('NotifyFailed')),
    },
    ...(plan.trigger.automatic
      ? []
      : [{ field: 'trigger.automatic', seconds: worstApprovalSeconds('ApproveFailover') }]),
    {
      field: 'rpo.maxLagChecks',
      seconds:
        rpo.maxLagChecks * worstTaskSeconds('CheckLag') +
        (rpo.maxLagChecks - 1) * rpo.lagCheckIntervalSeconds +
        componentGateSeconds(plan),
    },
    ...componentStageParts(plan.components ?? []),
    ...(plan.artifacts
      ? [
          {
            field: 'artifacts',
            seconds:
              worstTaskSeconds('CheckArtifacts') +
              worstTaskSeconds('FindArtifacts') +
              worstTaskSeconds('ArtifactFindingFailed'),
          },
        ]
      : []),
    ...(rpo.onExceeded === 'wait-for-approval'
      ? [{ field: 'rpo.onExceeded', seconds: worstApprovalSeconds('ApproveLagExceeded') }]
      : []),
    {
      field: 'promotion.maxStatusChecks',
      seconds: promotion.maxStatusChecks * (promotion.statusCheckIntervalSeconds + worstTaskSeconds('PromotionStatus')),
    },
    {
      field: 'dnsSync.maxStatusChecks',
      seconds: dnsSync.maxStatusChecks * (dnsSync.statusCheckIntervalSeconds + worstTaskSeconds('DnsStatus')),
    },
    // The Verify loop ends once its window (TTL + allowance) has passed: one more wait and check at most.
    ...(plan.traffic?.verify
      ? [
          {
            field: 'traffic.verify.allowanceSeconds',
            seconds:
              (plan.dns?.ttl ?? 0) +
              plan.traffic.verify.allowanceSeconds +
              dnsSync.statusCheckIntervalSeconds +
              worstTaskSeconds('Verify'),
          },
        ]
      : []),
  ];
  return { seconds: parts.reduce((sum, p) => sum + p.seconds, 0), parts };
};

/**
 * The longest failback run of a plan whose way back preserves and rebuilds (RDS, Aurora): the planned run back
 * (started by hand, so no approval; a lag over the RPO aborts it) after the snapshot, the replica's creation (Aurora:
 * the wait for the rejoin) and every RebuildStatus check a run allows. Undefined for a kind the state machine does
 * not rebuild, and for a plan with components, whose failback Prepare refuses before anything runs.
 */
export const longestFailback = (plan: RunLimits): { seconds: number; parts: RunPart[] } | undefined => {
  if (plan.components) return undefined;
  if (plan.database?.kind !== 'rds-instance' && plan.database?.kind !== 'aurora-global') return undefined;
  const back = longestRun({ ...plan, trigger: { automatic: true }, rpo: failbackRpo(plan.rpo) });
  const rebuild: RunPart = {
    field: 'failback rebuild',
    seconds:
      worstTaskSeconds('Preserve') +
      worstTaskSeconds('Rebuild') +
      REBUILD_MAX_CHECKS * (REBUILD_CHECK_INTERVAL_SECONDS + worstTaskSeconds('RebuildStatus')),
  };
  return { seconds: back.seconds + rebuild.seconds, parts: [...back.parts, rebuild] };
};
