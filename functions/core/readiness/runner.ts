/**
 * Runs a plan's readiness checks concurrently, each bounded, so that a check that needs the primary region (which
 * may be dark) never blocks the others; a check that cannot read becomes a status with its reason (./model.ts).
 */
import type { ArtifactPortsFor } from '../artifact-ports.js';
import { type PlanWithArtifacts, runArtifactCheck } from '../artifact-run.js';
import { DrFailoverError } from '../errors.js';
import type { Plan } from '../plan.js';
import type { DnsRecordFacts, ReadinessProbes, WriterFacts } from '../ports.js';
import { evaluateArtifacts } from './artifacts.js';
import {
  evaluateAlarms,
  evaluateBackup,
  evaluateDns,
  evaluateFunctions,
  evaluateLag,
  evaluateStandby,
  evaluateStateMachine,
} from './checks.js';
import { componentCheckName, evaluateComponent } from './components.js';
import { route53Refusals, verifyMethodOf, verifyReach } from './dns-route53.js';
import { evaluateFailoverRecords } from './failover-records.js';
import {
  type CheckName,
  type CheckOutcome,
  type CheckResult,
  type CheckScope,
  type CheckStatus,
  type ReadinessReport,
  worstOf,
} from './model.js';
import { evaluateTraffic } from './traffic.js';

interface CheckDefinition {
  check: CheckName;
  scope: CheckScope;
  run: () => Promise<CheckOutcome>;
}

export interface ReadinessDeps {
  probes: ReadinessProbes;
  now: () => Date;
  /** The model-artifact check's ports (plans with `artifacts`); without them the check is not run. */
  artifacts?: ArtifactPortsFor | undefined;
}

/** The `artifacts` check of a plan that has the section, when the caller can make its ports. */
const artifactCheck = (plan: Plan, deps: ReadinessDeps): CheckDefinition[] => {
  const ports = deps.artifacts;
  if (!plan.artifacts || !ports) return [];
  const p = plan as PlanWithArtifacts;
  return [
    {
      check: 'artifacts',
      scope: 'standby',
      run: async () => evaluateArtifacts(plan, await runArtifactCheck(p, 'gate', ports, deps.now)),
    },
  ];
};

/** One check per platform component, each reading its parts at once (the runner bounds the whole check). */
const componentChecks = (plan: Plan, probes: ReadinessProbes): CheckDefinition[] =>
  (plan.components ?? []).map((c) => ({
    check: componentCheckName(c),
    scope: 'standby',
    run: async () => evaluateComponent(c, await probes.component(c), plan),
  }));

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

/**
 * The record against the writer, after what Route 53 would refuse at UpdateDns (CRITICAL: the run would fail after
 * promoting), and saying how Verify will read the record back.
 */
const judgeDns = (plan: Plan, record: DnsRecordFacts, writer: WriterFacts | DrFailoverError): CheckOutcome => {
  if (plan.dns.kind !== 'route53' || !record.zone) return evaluateDns(record, writer);
  const outcome =
    plan.traffic.kind !== 'upsert' && record.failover
      ? judgeFailoverAnswer(plan, record.failover, writer)
      : judgeUpsertTarget(plan, record, writer);
  const reach = verifyReach(plan, record.zone);
  if (!reach) return outcome;
  return {
    status: worstOf([outcome.status, reach.status]),
    summary: `${outcome.summary}; ${reach.text}`,
    details: { ...outcome.details, verifyReach: reach.text },
  };
};

/** An `upsert` plan's record: what Route 53 would refuse, then the record against the writer. */
const judgeUpsertTarget = (plan: Plan, record: DnsRecordFacts, writer: WriterFacts | DrFailoverError): CheckOutcome => {
  if (plan.dns.kind !== 'route53' || !record.zone) return evaluateDns(record, writer);
  const verifyMethod = plan.traffic.verify ? 'a DNS resolver (traffic.verify)' : verifyMethodOf(record.zone);
  const refusals = route53Refusals(plan.dns, record);
  if (refusals.length > 0) {
    return {
      status: 'CRITICAL',
      summary: `Route 53 would refuse UpdateDns after the promotion: ${refusals.join('; ')}`,
      details: { answer: record.values, refusals, verifyMethod },
    };
  }
  const outcome = evaluateDns(record, writer);
  return {
    ...outcome,
    summary: `${outcome.summary}; Verify will read it with ${verifyMethod}`,
    details: { ...outcome.details, verifyMethod },
  };
};

/**
 * A data-plane plan never UPSERTs the record: its failover pair answers by health. The set that answers now is the
 * PRIMARY while the primary is the writer (the routing control or alarm not yet turned), the SECONDARY once the
 * standby is; that set must reach the writer. The pair itself is judged by the `failover-records` check.
 */
const judgeFailoverAnswer = (
  plan: Plan,
  failover: NonNullable<DnsRecordFacts['failover']>,
  writer: WriterFacts | DrFailoverError,
): CheckOutcome => {
  const role = !(writer instanceof DrFailoverError) && writer.role === 'standby' ? 'SECONDARY' : 'PRIMARY';
  const values = role === 'PRIMARY' ? failover.primary : failover.secondary;
  const detail = `${plan.dns.recordName} ${role} failover record`;
  const outcome = evaluateDns({ values, detail: `no ${detail}` }, writer);
  return {
    ...outcome,
    summary: `${detail}: ${outcome.summary}; traffic moves by ${plan.traffic.kind}, never by UPSERT`,
    details: { ...outcome.details, failover },
  };
};

const definitions = (plan: Plan, deps: ReadinessDeps): CheckDefinition[] => {
  const { probes, now } = deps;
  // The traffic and failover-records checks both need the traffic mechanism's state: one read serves both.
  let trafficRead: ReturnType<typeof probes.traffic> | undefined;
  const traffic = () => {
    trafficRead ??= probes.traffic();
    return trafficRead;
  };
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
        return judgeDns(plan, record, writer);
      },
    },
    {
      check: 'trigger-alarms',
      scope: 'standby',
      run: async () => evaluateAlarms(await probes.alarms(), plan, now()),
    },
    { check: 'traffic', scope: 'standby', run: async () => evaluateTraffic(plan, await traffic()) },
    ...(plan.traffic.kind !== 'upsert' && plan.dns.kind === 'route53'
      ? [
          {
            check: 'failover-records' as const,
            scope: 'primary' as const,
            run: async () => {
              // The take-over alarm's state tells whether a health check that turns Unhealthy on no data has already.
              const [records, alarmState] = await Promise.all([
                probes.failoverRecords(),
                plan.traffic.kind === 'health-check'
                  ? traffic().then(
                      (t) => t.alarmState,
                      () => undefined,
                    )
                  : undefined,
              ]);
              return evaluateFailoverRecords(plan, records, alarmState);
            },
          },
        ]
      : []),
    { check: 'state-machine', scope: 'standby', run: async () => evaluateStateMachine(await probes.stateMachine()) },
    { check: 'functions', scope: 'standby', run: async () => evaluateFunctions(await probes.functions()) },
    ...artifactCheck(plan, deps),
    ...componentChecks(plan, probes),
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
