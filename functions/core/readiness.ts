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
 * | `state-machine`  | the failover state machine (standby region)                       | missing or being deleted                        |
 * | `functions`      | every function of the stack (standby region)                      | missing or failed                               |
 *
 * When a check cannot read at all (it throws a named error or runs out of time), its status says so:
 * - a check that needs the primary region (`scope: primary`) → WARN: a failover does not need that region, and
 *   the region being dark is what the trigger alarms, not readiness, are for;
 * - a standby-region check that times out → CRITICAL: the region a failover runs in did not answer;
 * - a standby-region check refused for a transient reason (throttled, 5xx, busy: `retryable`) → WARN;
 * - a standby-region check refused for good (access denied, not found, bad configuration) → CRITICAL.
 * Anything else (a TypeError, a bug) is not a failed check: it escapes the runner, after every check settled.
 */
import { DrFailoverError } from './errors.js';
import type { Plan } from './plan.js';
import type { LagReading } from './ports.js';

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
  'state-machine',
  'functions',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

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

// ------------------------------------------------------------------------------------------------ facts

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
  stateMachine(): Promise<StackResourceFacts>;
  functions(): Promise<StackResourceFacts[]>;
}

// ------------------------------------------------------------------------------------------------ evaluation

const hours = (ms: number) => Math.round((ms / 3_600_000) * 10) / 10;
const minutes = (ms: number) => Math.round(ms / 60_000);
const normalise = (name: string) => name.trim().replace(/\.$/, '').toLowerCase();

export const evaluateStandby = (facts: StandbyFacts): CheckOutcome => {
  const details = {
    role: facts.role,
    state: facts.state,
    replication: facts.replication,
    detail: facts.detail,
  };
  if (!facts.exists) return { status: 'CRITICAL', summary: `no standby: ${facts.detail}`, details };
  if (facts.blocker) return { status: facts.blocker.status, summary: facts.blocker.reason, details };
  if (facts.role === 'promoted') {
    // Expected right after a failover, so not a page; but the plan protects nothing until replication is rebuilt.
    return {
      status: 'WARN',
      summary: `the standby is already promoted (${facts.state ?? 'unknown state'}): there is nothing to fail over to until replication is re-established`,
      details,
    };
  }
  return {
    status: 'OK',
    summary: `standby ${facts.state ?? 'healthy'}, ${facts.replication ?? 'replicating'}`,
    details,
  };
};

export const evaluateLag = (reading: LagReading, plan: Pick<Plan, 'rpo' | 'readiness'>): CheckOutcome => {
  const { maxLagSeconds, maxLagBytes } = plan.rpo;
  const warnShare = plan.readiness.lagWarnPercent / 100;
  const details = {
    seconds: reading.seconds,
    bytes: reading.bytes,
    maxLagSeconds,
    maxLagBytes,
    source: reading.source,
    observedAt: reading.observedAt,
    detail: reading.detail,
  };
  if (reading.status === 'unknown') {
    return {
      status: 'CRITICAL',
      summary: `replication lag unknown (${reading.source}): the RPO guard would not pass`,
      details,
    };
  }
  const over = (value: number | undefined, limit: number | undefined, share: number) =>
    value !== undefined && limit !== undefined && value > limit * share;
  const s = reading.seconds;
  const b = reading.bytes;
  const what = [s !== undefined ? `${s} s` : undefined, b !== undefined ? `${b} bytes` : undefined]
    .filter(Boolean)
    .join(', ');
  const limits = `limit ${maxLagSeconds} s${maxLagBytes !== undefined ? ` / ${maxLagBytes} bytes` : ''}`;
  if (over(s, maxLagSeconds, 1) || over(b, maxLagBytes, 1)) {
    return { status: 'CRITICAL', summary: `replication lag ${what} is above the RPO (${limits})`, details };
  }
  if (over(s, maxLagSeconds, warnShare) || over(b, maxLagBytes, warnShare)) {
    return {
      status: 'WARN',
      summary: `replication lag ${what} is above ${plan.readiness.lagWarnPercent}% of the RPO (${limits})`,
      details,
    };
  }
  return { status: 'OK', summary: `replication lag ${what || 'none'} within the RPO (${limits})`, details };
};

export const evaluateBackup = (facts: BackupFacts, plan: Pick<Plan, 'readiness'>, now: Date): CheckOutcome => {
  const maxHours = plan.readiness.maxBackupAgeHours;
  if (facts.kind === 'not-checked') {
    return { status: 'WARN', summary: `backups not checked: ${facts.detail}`, details: { detail: facts.detail } };
  }
  if (facts.kind === 'none' || !facts.newestAt) {
    return {
      status: 'CRITICAL',
      summary: `no backup or snapshot in the standby region: ${facts.detail}`,
      details: { maxBackupAgeHours: maxHours, detail: facts.detail },
    };
  }
  const ageMs = Math.max(0, now.getTime() - facts.newestAt.getTime());
  const details = {
    newestAt: facts.newestAt.toISOString(),
    ageHours: hours(ageMs),
    maxBackupAgeHours: maxHours,
    source: facts.source,
  };
  if (ageMs > maxHours * 3_600_000) {
    return {
      status: 'CRITICAL',
      summary: `newest backup in the standby region is ${hours(ageMs)} h old (${facts.source}), over ${maxHours} h`,
      details,
    };
  }
  return { status: 'OK', summary: `newest backup ${hours(ageMs)} h old (${facts.source})`, details };
};

/**
 * "Where the plan says the writer is": the record must answer the current writer. Before a failover that is the
 * primary (its endpoint, or Aurora's global writer endpoint); after one, the promoted standby. The one answer that
 * is always wrong is the standby while it is still a read-only replica: writes through the record would fail.
 */
export const evaluateDns = (record: DnsRecordFacts, writer: WriterFacts | Error): CheckOutcome => {
  const values = record.values.map(normalise);
  const answer = record.values.join(', ') || 'nothing';
  if (values.length === 0) {
    return { status: 'CRITICAL', summary: `the record does not exist: ${record.detail}`, details: { answer: [] } };
  }
  if (writer instanceof Error) {
    return {
      status: 'WARN',
      summary: `the record answers ${answer}; the current writer could not be read (${writer.message})`,
      details: { answer: record.values, writerError: writer.message },
    };
  }
  const details = {
    answer: record.values,
    writerRole: writer.role,
    writerEndpoints: writer.endpoints,
    writerDetail: writer.detail,
  };
  const forbidden = values.filter((v) => writer.forbidden.map(normalise).includes(v));
  if (forbidden.length > 0) {
    return {
      status: 'CRITICAL',
      summary: `the record answers ${answer}: the standby, which is still a read-only replica`,
      details,
    };
  }
  const expected = writer.endpoints.map(normalise);
  if (values.every((v) => expected.includes(v))) {
    return { status: 'OK', summary: `the record answers the ${writer.role} writer (${answer})`, details };
  }
  if (writer.role === 'unknown' || expected.length === 0) {
    return {
      status: 'WARN',
      summary: `the record answers ${answer}; the writer's address could not be confirmed (${writer.detail})`,
      details,
    };
  }
  return {
    status: 'CRITICAL',
    summary: `the record answers ${answer}, not the ${writer.role} writer (${writer.endpoints.join(' or ')})`,
    details,
  };
};

export const evaluateAlarm = (alarm: AlarmFacts, plan: Pick<Plan, 'readiness'>, now: Date): CheckOutcome => {
  const rule = alarm.rule;
  const details = { state: alarm.state, stateSince: alarm.stateSince?.toISOString(), rule };
  if (!alarm.exists) return { status: 'CRITICAL', summary: `alarm ${alarm.name} does not exist`, details };
  if (!rule.exists)
    return { status: 'CRITICAL', summary: `alarm ${alarm.name}: rule ${rule.name} is missing`, details };
  if (rule.enabled === false) {
    return { status: 'CRITICAL', summary: `alarm ${alarm.name}: rule ${rule.name} is disabled`, details };
  }
  if (rule.matchesAlarm === false) {
    return {
      status: 'CRITICAL',
      summary: `alarm ${alarm.name}: rule ${rule.name} does not match the alarm going into ALARM`,
      details,
    };
  }
  if (rule.targetsTrigger === false) {
    return {
      status: 'CRITICAL',
      summary: `alarm ${alarm.name}: rule ${rule.name} does not target the trigger function`,
      details,
    };
  }
  if (alarm.state === 'INSUFFICIENT_DATA') {
    const limitMin = plan.readiness.alarmInsufficientDataMinutes;
    const forMs = alarm.stateSince ? Math.max(0, now.getTime() - alarm.stateSince.getTime()) : Number.POSITIVE_INFINITY;
    const since = alarm.stateSince ? `for ${minutes(forMs)} min` : 'since an unknown time';
    return forMs > limitMin * 60_000
      ? {
          status: 'CRITICAL',
          summary: `alarm ${alarm.name} has had INSUFFICIENT_DATA ${since} (over ${limitMin} min): it is blind`,
          details,
        }
      : { status: 'WARN', summary: `alarm ${alarm.name} has had INSUFFICIENT_DATA ${since}`, details };
  }
  if (alarm.state === 'ALARM') {
    return {
      status: 'WARN',
      summary: `alarm ${alarm.name} is in ALARM: it will not fire again until it returns to OK`,
      details,
    };
  }
  return { status: 'OK', summary: `alarm ${alarm.name} ${alarm.state ?? 'OK'}, wired to ${rule.name}`, details };
};

export const evaluateAlarms = (alarms: AlarmFacts[], plan: Pick<Plan, 'readiness'>, now: Date): CheckOutcome => {
  if (alarms.length === 0) {
    return {
      status: 'WARN',
      summary: 'the plan has no trigger alarms: only manual runs and game days start a failover',
    };
  }
  const each = alarms.map((a) => ({ alarm: a.name, ...evaluateAlarm(a, plan, now) }));
  const status = worstOf(each.map((e) => e.status));
  const bad = each.filter((e) => e.status !== 'OK');
  return {
    status,
    summary:
      bad.length === 0
        ? `${alarms.length} trigger alarm(s) OK and wired to the trigger`
        : bad.map((e) => e.summary).join('; '),
    details: { alarms: each },
  };
};

const FUNCTION_FAILED = new Set(['Failed']);
const FUNCTION_WAITING = new Set(['Pending', 'Inactive']);

export const evaluateStateMachine = (facts: StackResourceFacts): CheckOutcome => {
  const details = { name: facts.name, state: facts.state };
  if (!facts.exists) return { status: 'CRITICAL', summary: `state machine ${facts.name} does not exist`, details };
  if (facts.state !== 'ACTIVE') {
    return {
      status: 'CRITICAL',
      summary: `state machine ${facts.name} is ${facts.state ?? 'in an unknown state'}`,
      details,
    };
  }
  return { status: 'OK', summary: `state machine ${facts.name} ACTIVE`, details };
};

export const evaluateFunctions = (facts: StackResourceFacts[]): CheckOutcome => {
  const each = facts.map((f): { name: string; status: CheckStatus; why: string } => {
    if (!f.exists) return { name: f.name, status: 'CRITICAL', why: `${f.name} does not exist` };
    if ((f.state && FUNCTION_FAILED.has(f.state)) || f.lastUpdate === 'Failed') {
      return {
        name: f.name,
        status: 'CRITICAL',
        why: `${f.name} is ${f.state}${f.lastUpdate === 'Failed' ? ', last update failed' : ''}${f.detail ? `: ${f.detail}` : ''}`,
      };
    }
    if (f.state && FUNCTION_WAITING.has(f.state)) {
      // An Inactive function fails its first invocations while Lambda re-creates its resources.
      return { name: f.name, status: 'WARN', why: `${f.name} is ${f.state}` };
    }
    return { name: f.name, status: 'OK', why: `${f.name} ${f.state ?? 'Active'}` };
  });
  const status = worstOf(each.map((e) => e.status));
  const bad = each.filter((e) => e.status !== 'OK');
  return {
    status,
    summary: bad.length === 0 ? `${facts.length} function(s) Active` : bad.map((e) => e.why).join('; '),
    details: { functions: each },
  };
};

// ------------------------------------------------------------------------------------------------ runner

interface CheckDefinition {
  check: CheckName;
  scope: CheckScope;
  run: () => Promise<CheckOutcome>;
}

export interface ReadinessDeps {
  probes: ReadinessProbes;
  now: () => Date;
}

export interface ReadinessOptions {
  /** Bound on each check; default plan.readiness.checkTimeoutSeconds. */
  timeoutMs?: number;
  /** Run only these checks (the CLI's --check). */
  only?: readonly CheckName[];
}

/** The check that ran out of time: not a DrFailoverError, so it never reaches the state machine's vocabulary. */
class CheckTimedOut extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'CheckTimedOut';
  }
}

/**
 * Does the DNS check need the primary region? Route 53's control plane is served from us-east-1 only, and before a
 * failover the writer's endpoint is read where the writer is. The local DNS server of a postgres drill needs neither.
 */
const dnsScope = (plan: Plan): CheckScope =>
  plan.dns.kind === 'route53' || plan.database.kind !== 'postgres' ? 'primary' : 'standby';

const definitions = (plan: Plan, deps: ReadinessDeps): CheckDefinition[] => {
  const { probes, now } = deps;
  return [
    { check: 'standby', scope: 'standby', run: async () => evaluateStandby(await probes.standby()) },
    { check: 'replication-lag', scope: 'standby', run: async () => evaluateLag(await probes.replicationLag(), plan) },
    { check: 'backup', scope: 'standby', run: async () => evaluateBackup(await probes.backup(), plan, now()) },
    {
      check: 'dns',
      scope: dnsScope(plan),
      run: async () => {
        // The writer read may be cut short on its own (a dark primary region): the record is still worth judging.
        const [record, writer] = await Promise.all([
          probes.dnsRecord(),
          probes.writer().catch((error: unknown) => {
            if (error instanceof DrFailoverError) return error;
            throw error;
          }),
        ]);
        return evaluateDns(record, writer);
      },
    },
    {
      check: 'trigger-alarms',
      scope: 'standby',
      run: async () => evaluateAlarms(await probes.alarms(), plan, now()),
    },
    { check: 'state-machine', scope: 'standby', run: async () => evaluateStateMachine(await probes.stateMachine()) },
    { check: 'functions', scope: 'standby', run: async () => evaluateFunctions(await probes.functions()) },
  ];
};

/** The status of a check that could not read (see the table at the top of this file). */
export const failedCheckOutcome = (scope: CheckScope, error: Error): CheckOutcome => {
  const timedOut = error instanceof CheckTimedOut;
  const reason = `${error.name}: ${error.message}`;
  if (scope === 'primary') {
    return {
      status: 'WARN',
      summary: `could not check (needs the primary region or Route 53's control plane): ${reason}`,
      details: { error: error.name, timedOut },
    };
  }
  const transient = !timedOut && (error as DrFailoverError).retryable === true;
  return {
    status: transient ? 'WARN' : 'CRITICAL',
    summary: timedOut
      ? `the standby region did not answer: ${reason}`
      : `could not check${transient ? ' this time' : ''}: ${reason}`,
    details: { error: error.name, timedOut },
  };
};

const bounded = <T>(work: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimedOut(ms)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
};

/**
 * Runs every check at once, each bounded by the timeout; a check that fails or runs out of time becomes a status
 * with its reason. Resolves once every check has an outcome; rejects only on a bug (an error that is not a named
 * dr-failover error), after the others settled.
 */
export const runReadinessChecks = async (
  plan: Plan,
  deps: ReadinessDeps,
  options: ReadinessOptions = {},
): Promise<ReadinessReport> => {
  const timeoutMs = options.timeoutMs ?? plan.readiness.checkTimeoutSeconds * 1000;
  const checkedAt = deps.now();
  const selected = definitions(plan, deps).filter((d) => !options.only || options.only.includes(d.check));
  const settled = await Promise.allSettled(
    selected.map(async (d): Promise<CheckResult> => {
      const started = deps.now().getTime();
      let outcome: CheckOutcome;
      try {
        outcome = await bounded(d.run(), timeoutMs);
      } catch (error) {
        if (!(error instanceof DrFailoverError || error instanceof CheckTimedOut)) throw error;
        outcome = failedCheckOutcome(d.scope, error);
      }
      return { check: d.check, scope: d.scope, ...outcome, durationMs: Math.max(0, deps.now().getTime() - started) };
    }),
  );
  const bug = settled.find((s) => s.status === 'rejected');
  if (bug) throw bug.reason;
  const checks = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const counts: Record<CheckStatus, number> = { OK: 0, WARN: 0, CRITICAL: 0 };
  for (const c of checks) counts[c.status] += 1;
  return {
    plan: plan.name,
    status: worstOf(checks.map((c) => c.status)),
    checkedAt: checkedAt.toISOString(),
    regions: plan.regions,
    counts,
    checks,
  };
};

/** One line for people: `orders: DR readiness CRITICAL (1 CRITICAL, 1 WARN of 7): backup: ...`. */
export const summariseReport = (report: ReadinessReport): string => {
  const bad = report.checks.filter((c) => c.status !== 'OK');
  const head = `${report.plan}: DR readiness ${report.status}`;
  if (bad.length === 0) return `${head} (${report.checks.length} checks OK)`;
  const counts = `${report.counts.CRITICAL} CRITICAL, ${report.counts.WARN} WARN of ${report.checks.length}`;
  return `${head} (${counts}): ${bad.map((c) => `${c.check}: ${c.summary}`).join('; ')}`;
};

// ------------------------------------------------------------------------------------------------ stack names

/** The ARN of a plan's trigger alarm: the resource its rule's pattern names (infra/wiring.ts) and readiness checks. */
export const alarmArn = (plan: Pick<Plan, 'regions' | 'accountId'>, name: string): string =>
  `arn:aws:cloudwatch:${plan.regions.standby}:${plan.accountId}:alarm:${name}`;

/** What the readiness checks need to know about the deployed stack. */
export interface StackNames {
  stage: string;
  stateMachineArn: string;
  triggerFunctionArn: string;
  /** Every function of the stack the failover needs (not the readiness function itself). */
  functionNames: string[];
}
