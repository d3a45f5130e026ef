/**
 * An estimate of a deployed run's RTO for a plan, from three kinds of figure, each labelled with where it comes
 * from: the plan's own intervals (how long the state machine waits between checks), the cold starts and step
 * times measured on this machine (`bench:cold`, `bench:drill`), and the AWS operation times the documentation
 * states, taken as assumptions. What none of them knows (the alarm's detection time, a person's approval) is named
 * as excluded, never guessed.
 */
import { readFileSync } from 'node:fs';
import type { Plan } from '#core/plan.js';
import { loadPlanCatalog } from '#functions/lib/plan-catalog.js';
import { spread } from './aggregate.js';
import type { DrillReport } from './types.js';

export type FigureSource = 'measured' | 'plan' | 'assumed';

export interface EstimatePart {
  what: string;
  ms: number;
  source: FigureSource;
  note: string;
}

/** An AWS operation's duration as the documentation states it, and where it says so. */
export interface AwsAssumption {
  seconds: number;
  says: string;
  source: string;
}

/** Documented AWS operation times. The estimate is as good as these; each names its page. */
export const AWS_ASSUMPTIONS = {
  route53Propagation: {
    seconds: 60,
    says: 'changes reach all Route 53 authoritative servers within 60 seconds under normal conditions (INSYNC)',
    source: 'https://aws.amazon.com/route53/faqs/',
  },
  auroraGlobalFailover: {
    seconds: 60,
    says: 'a secondary Region can be promoted to read/write, typically in under a minute',
    source: 'https://aws.amazon.com/rds/aurora/global-database/',
  },
  rdsReplicaPromotion: {
    seconds: 300,
    says: '"several minutes or longer, depending on the size of the read replica"; the replica reboots first',
    source:
      'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Replication.CrossRegion.Promote.html',
  },
} as const satisfies Record<string, AwsAssumption>;

/** What this machine measured, which the estimate reuses. */
export interface MeasuredFigures {
  /** Cold start (init + first handler) of the function that starts the run: trigger (alarm) and Prepare (manual). */
  coldStartMs: { trigger: number; prepare: number };
  /** Median duration of one warm Task step in the drill (local services: a floor for AWS API calls). */
  warmStepMs: number;
  /** Median pg_promote(wait => true) call in the drill. */
  postgresPromoteMs: number;
}

export interface RtoEstimate {
  plan: string;
  database: Plan['database']['kind'];
  start: 'alarm' | 'manual';
  parts: EstimatePart[];
  /** The run starts → the record answers the standby's writer. */
  switchedMs: number;
  /** switched + the record's TTL: when the last client's cached answer has expired. */
  clientsMs: number;
  targetSeconds: number;
  meetsTarget: boolean;
  /** Where a plan's polling would give up before the documented time: the run would fail on a normal day. */
  warnings: string[];
  excluded: string[];
  assumptions: AwsAssumption[];
}

/** A poll every `interval` s that starts with a Wait, for an operation of `seconds`: whole intervals, at least one. */
const polledSeconds = (seconds: number, interval: number) => Math.max(1, Math.ceil(seconds / interval)) * interval;

interface Promotion {
  part: EstimatePart;
  checks: number;
  assumption?: AwsAssumption;
}

const promotionOf = (plan: Plan, measured: MeasuredFigures): Promotion => {
  const interval = plan.promotion.statusCheckIntervalSeconds;
  if (plan.database.kind === 'postgres') {
    const note =
      'pg_promote(wait => true), then a write transaction in the same session: Promote confirms the standby writable, so no Wait and no status check';
    return { part: { what: 'promotion', ms: measured.postgresPromoteMs, source: 'measured', note }, checks: 0 };
  }
  const assumption =
    plan.database.kind === 'aurora-global' ? AWS_ASSUMPTIONS.auroraGlobalFailover : AWS_ASSUMPTIONS.rdsReplicaPromotion;
  const seconds = polledSeconds(assumption.seconds, interval);
  const note = `${assumption.seconds} s assumed, seen at the next check every ${interval} s (plan)`;
  return {
    part: { what: 'promotion', ms: seconds * 1000, source: 'assumed', note },
    checks: seconds / interval,
    assumption,
  };
};

interface DnsSwitch {
  part: EstimatePart;
  checks: number;
  assumption?: AwsAssumption;
}

const dnsSwitchOf = (plan: Plan): DnsSwitch => {
  if (plan.traffic.kind !== 'upsert') {
    // The switch is confirmed where it is kept (the cluster, the alarm): one DnsStatus check, no Wait.
    const note =
      plan.traffic.kind === 'routing-control'
        ? 'routing controls confirmed from the cluster at once (one check)'
        : 'the take-over alarm read until ALARM';
    return { part: { what: 'traffic switch confirmed', ms: 0, source: 'measured', note }, checks: 1 };
  }
  if (plan.dns.kind !== 'route53') {
    const note = 'the change is answered INSYNC: no Wait, straight to Verify';
    return { part: { what: 'DNS change in sync', ms: 0, source: 'measured', note }, checks: 0 };
  }
  const assumption = AWS_ASSUMPTIONS.route53Propagation;
  const interval = plan.dnsSync.statusCheckIntervalSeconds;
  const seconds = polledSeconds(assumption.seconds, interval);
  const note = `PENDING → INSYNC ${assumption.seconds} s assumed, seen at the next check every ${interval} s (plan)`;
  return {
    part: { what: 'DNS change in sync', ms: seconds * 1000, source: 'assumed', note },
    checks: seconds / interval,
    assumption,
  };
};

/** Where the plan's number of checks ends before the documented operation time. */
const warningsOf = (plan: Plan, promotion: Promotion, dns: DnsSwitch): string[] => {
  const warnings: string[] = [];
  const promotionBudget = plan.promotion.maxStatusChecks * plan.promotion.statusCheckIntervalSeconds;
  if (promotion.assumption && promotionBudget < promotion.assumption.seconds) {
    warnings.push(
      `promotion: the plan stops checking after ${promotionBudget} s, before the ${promotion.assumption.seconds} s ` +
        'AWS documents: PromotionTimedOutError on a normal day',
    );
  }
  const dnsBudget = plan.dnsSync.maxStatusChecks * plan.dnsSync.statusCheckIntervalSeconds;
  if (dns.assumption && dnsBudget < dns.assumption.seconds) {
    warnings.push(
      `DNS: the plan stops checking after ${dnsBudget} s, before the ${dns.assumption.seconds} s AWS documents: ` +
        'DnsSyncTimedOutError on a normal day',
    );
  }
  return warnings;
};

/**
 * The unplanned run of an incident, lag within the RPO at the first check: the run's start, its Task steps warm
 * (the warm-up started their environments), the promotion and the DNS change as the plan polls them.
 */
export const estimateDeployedRto = (plan: Plan, measured: MeasuredFigures): RtoEstimate => {
  const start = plan.trigger.automatic ? 'alarm' : 'manual';
  const promotion = promotionOf(plan, measured);
  const dns = dnsSwitchOf(plan);
  // Prepare, NotifyStarted, CheckLag, Fence, Promote, the promotion checks, UpdateDns, the DNS checks, Verify;
  // a manual run's Prepare is counted in its cold start (an alarm's run starts cold in the trigger).
  const warmSteps = 7 + promotion.checks + dns.checks - (start === 'manual' ? 1 : 0);
  const coldStart =
    start === 'alarm'
      ? { what: 'trigger cold start', ms: measured.coldStartMs.trigger, note: 'it warms the run functions at once' }
      : { what: 'Prepare cold start', ms: measured.coldStartMs.prepare, note: 'it warms the run functions at once' };
  const parts: EstimatePart[] = [
    { ...coldStart, source: 'measured' },
    {
      what: `${warmSteps} warm steps`,
      ms: warmSteps * measured.warmStepMs,
      source: 'measured',
      note: `${measured.warmStepMs} ms each, the drill's median (local services; AWS API calls take longer)`,
    },
    promotion.part,
    dns.part,
  ];
  const switchedMs = parts.reduce((sum, p) => sum + p.ms, 0);
  const excluded = [
    'detection: the trigger alarms’ period × datapoints to alarm (defined with the alarms, not in the plan)',
    ...(start === 'manual' ? ['the on-call engineer’s decision to start the run (trigger.automatic: false)'] : []),
    'lag above the RPO at the first check (each further check adds rpo.lagCheckIntervalSeconds)',
    ...(plan.traffic.kind === 'routing-control'
      ? ['the Route 53 health check of the routing control turning, which AWS does not give a time for']
      : []),
    ...(plan.traffic.kind === 'health-check'
      ? ['the take-over alarm’s evaluation period and the health check following it (set with the alarm)']
      : []),
  ];
  const assumptions = [promotion.assumption, dns.assumption].filter((a): a is AwsAssumption => a !== undefined);
  return {
    plan: plan.name,
    database: plan.database.kind,
    start,
    parts,
    switchedMs,
    clientsMs: switchedMs + plan.dns.ttl * 1000,
    targetSeconds: plan.rto.targetSeconds,
    meetsTarget: switchedMs + plan.dns.ttl * 1000 <= plan.rto.targetSeconds * 1000,
    warnings: warningsOf(plan, promotion, dns),
    excluded,
    assumptions,
  };
};

/** The part of bench/cold.json the estimate reads. */
export interface ColdBench {
  functions: { function: string; readyMs: number }[];
}

/** Steps whose time is the world's (pg_promote) or the plan's (Waits), not one step's own. */
const NOT_A_STEP_TIME = new Set(['Promote']);

/**
 * The measured figures from drills of the state machine and a `bench:cold` result; undefined (with the reason)
 * when one is missing, so the estimate is never made of figures nobody measured.
 */
export const measuredFigures = (
  drills: readonly DrillReport[],
  cold: ColdBench | undefined,
): MeasuredFigures | { missing: string } => {
  const ready = (name: string) => cold?.functions.find((f) => f.function === name)?.readyMs;
  const trigger = ready('trigger');
  const prepare = ready('prepare');
  if (trigger === undefined || prepare === undefined) return { missing: 'bench/cold.json (npm run bench:cold)' };
  const stepTimes = drills.flatMap((r) =>
    (r.execution?.timeline ?? [])
      .filter((t) => (t.attempts ?? 1) === 1 && !NOT_A_STEP_TIME.has(t.step))
      .map((t) => Date.parse(t.endedAt) - Date.parse(t.startedAt)),
  );
  const warmStepMs = spread(stepTimes)?.median;
  const postgresPromoteMs = spread(drills.flatMap((r) => r.calls.promoteMs ?? []))?.median;
  if (warmStepMs === undefined || postgresPromoteMs === undefined) {
    return { missing: 'a succeeded drill of the state machine' };
  }
  return { coldStartMs: { trigger, prepare }, warmStepMs: Math.round(warmStepMs), postgresPromoteMs };
};

export type DeployedEstimates = { measured: MeasuredFigures; plans: RtoEstimate[] } | { missing: string };

/** The estimate for every plan of `plansDir` (the shipped ones), from the drills just run and bench/cold.json. */
export const deployedEstimates = (
  drills: readonly DrillReport[],
  coldFile: string,
  plansDir: string,
): DeployedEstimates => {
  let cold: ColdBench | undefined;
  try {
    cold = JSON.parse(readFileSync(coldFile, 'utf8')) as ColdBench;
  } catch {
    cold = undefined;
  }
  const measured = measuredFigures(drills, cold);
  if ('missing' in measured) return measured;
  return { measured, plans: [...loadPlanCatalog(plansDir).values()].map((p) => estimateDeployedRto(p, measured)) };
};

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Lines for the bench's summary: one per plan, its parts, its warnings. */
export const estimateLines = (estimates: DeployedEstimates): string[] => {
  if ('missing' in estimates) return [`  deployed RTO estimate: not made, missing ${estimates.missing}`];
  return estimates.plans.flatMap((e) => [
    `  deployed RTO estimate, ${e.plan} (${e.database}, ${e.start} start): DNS switched ${seconds(e.switchedMs)}, ` +
      `clients ${seconds(e.clientsMs)} against ${e.targetSeconds} s: ${e.meetsTarget ? 'met' : 'MISSED'}`,
    `    ${e.parts.map((p) => `${p.what} ${seconds(p.ms)} (${p.source})`).join(' + ')}`,
    ...e.warnings.map((w) => `    ! ${w}`),
  ]);
};
