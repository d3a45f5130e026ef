/**
 * Readiness of a plan's platform components (plan `components`): one check per component, `component:<name>`,
 * judged from the reads of ./component-facts.ts. The RPO gates are the run's own readings (unknown is never zero:
 * CRITICAL; over a limit: CRITICAL; over `readiness.lagWarnPercent` of one: WARN); the rest asks whether the run's
 * action could be done now: the replication rule and the access point's routes, the capacity target and its limits,
 * the global table's replica in the standby region, the custom action's function, a component database's standby
 * and lag.
 */
import { nextCapacityStep } from '../capacity.js';
import type { Plan } from '../plan.js';
import type { ComponentConfig } from '../plan-components.js';
import type { ComponentFacts } from '../ports.js';
import type { GateVerdict } from '../replication-gates.js';
import { evaluateFunctions, evaluateLag, evaluateStandby } from './checks.js';
import type { Part, PartRefused } from './component-facts.js';
import { type CheckOutcome, type CheckStatus, worstOf } from './model.js';

/** The check of one component: the report says which. */
export const componentCheckName = (c: Pick<ComponentConfig, 'name'>) => `component:${c.name}` as const;

type Finding = { status: CheckStatus; text: string };
type Limits = Pick<Plan, 'readiness'>;

/** A read that did not answer: a missing permission is named; a transient refusal, or the primary's, is WARN. */
const refused = (what: string, part: PartRefused, inPrimary = false): Finding => {
  if (part.deniedAction) {
    return {
      status: 'CRITICAL',
      text: `${what}: the readiness role may not call ${part.deniedAction} (${part.error})`,
    };
  }
  const where = inPrimary ? ' (needs the primary region)' : '';
  const status = part.retryable || inPrimary ? 'WARN' : 'CRITICAL';
  return { status, text: `${what} could not be read${where}: ${part.error}` };
};

/** The run's RPO gate, as it would read now. */
export const judgeGate = (gate: GateVerdict, plan: Limits): Finding => {
  if (gate.status === 'unknown') return { status: 'CRITICAL', text: `${gate.reason}: the RPO gate would not pass` };
  if (!gate.within) return { status: 'CRITICAL', text: `${gate.reason}: the RPO gate would not pass` };
  const share = plan.readiness.lagWarnPercent / 100;
  const near = (gate.readings ?? []).filter((r) => r.limit !== undefined && r.limit > 0 && r.value > r.limit * share);
  if (near.length > 0) {
    const what = near.map((r) => `${r.metric} ${r.value} of ${r.limit} ${r.unit}`).join(', ');
    return { status: 'WARN', text: `replication above ${plan.readiness.lagWarnPercent}% of its limit: ${what}` };
  }
  return { status: 'OK', text: gate.reason };
};

const gateFinding = (part: Part<GateVerdict>, plan: Limits): Finding =>
  part.ok ? judgeGate(part.value, plan) : refused('the replication metrics', part);

type S3 = Extract<ComponentConfig, { kind: 's3-replication' }>;
type S3Facts = Extract<ComponentFacts, { kind: 's3-replication' }>;

/** The rule S3 replicates by, read from the source bucket: it must exist, be Enabled, publish metrics. */
export const judgeReplicationRule = (c: S3, part: S3Facts['rule']): Finding => {
  if (!part.ok) return refused(`the replication rule ${c.ruleId} of ${c.sourceBucket}`, part, true);
  const rule = part.value;
  const name = `rule ${c.ruleId} of ${c.sourceBucket}`;
  if (!rule.exists) return { status: 'CRITICAL', text: `no replication ${name}: ${rule.detail}` };
  if (rule.status !== 'Enabled') return { status: 'CRITICAL', text: `replication ${name} is ${rule.status}` };
  if (rule.destinationBucket !== undefined && rule.destinationBucket !== c.destinationBucket) {
    const to = rule.destinationBucket;
    return { status: 'CRITICAL', text: `replication ${name} replicates to ${to}, not ${c.destinationBucket}` };
  }
  // S3 publishes the metrics the gate reads only for rules with metrics or Replication Time Control enabled.
  if (rule.metrics !== 'Enabled' && rule.replicationTime !== 'Enabled') {
    return {
      status: 'CRITICAL',
      text: `replication ${name} has neither metrics nor RTC enabled: the gate reads nothing`,
    };
  }
  const rtc = rule.replicationTime === 'Enabled' ? 'with Replication Time Control' : 'without RTC';
  return { status: 'OK', text: `replication ${name} Enabled ${rtc}, metrics on` };
};

/** The access point's routes: both buckets must be routes (the switch names both); says which is active now. */
export const judgeRoutes = (c: S3, part: NonNullable<S3Facts['routes']>): Finding => {
  const ap = c.accessPoint;
  if (!ap) return { status: 'OK', text: 'no access point' };
  if (!part.ok) return refused(`the routes of ${ap.mrapArn}`, part);
  const { routes, answeredBy } = part.value;
  const dial = (r: { bucket: string; region: string }) =>
    routes.find((x) => x.bucket === r.bucket && x.region === r.region)?.dial;
  const missing = [ap.standby, ap.primary].filter((r) => dial(r) === undefined).map((r) => `${r.bucket} (${r.region})`);
  if (missing.length > 0) {
    return { status: 'CRITICAL', text: `${ap.mrapArn} has no route to ${missing.join(', ')}: the switch would fail` };
  }
  const active = routes.filter((r) => r.dial === 100).map((r) => r.bucket);
  const now = `routes via ${answeredBy}: ${routes.map((r) => `${r.bucket} ${r.dial}`).join(', ')}`;
  if (dial(ap.standby) === 100 && dial(ap.primary) === 0) {
    return { status: 'WARN', text: `${now}: already on the standby bucket (after a failover?)` };
  }
  if (active.length === 0) return { status: 'WARN', text: `${now}: no route at 100` };
  return { status: 'OK', text: now };
};

type Table = Extract<ComponentConfig, { kind: 'dynamodb-global-table' }>;
type TableFacts = Extract<ComponentFacts, { kind: 'dynamodb-global-table' }>;

/**
 * The standby region's replica (DynamoDB API reference, DescribeTable: TableStatus, Replicas): the table must be there
 * and ACTIVE, and so must any replica it lists for the standby region itself (one it does not list is not required:
 * which Regions `Replicas` includes, as seen from one replica, is not relied on). A table that lists no replicas at
 * all is WARN: not a current-version global table as DescribeTable sees it (the 2017.11.29 version is not read).
 */
export const judgeTableReplica = (c: Table, standby: string, part: TableFacts['replica']): Finding => {
  if (!part.ok) return refused(`table ${c.tableName} in ${standby}`, part);
  const t = part.value;
  const name = `table ${c.tableName} in ${standby}`;
  if (!t.exists) return { status: 'CRITICAL', text: `no ${name}: nothing would serve the features there` };
  const own = t.replicas.find((r) => r.region === standby)?.status;
  const bad = [t.tableStatus, own].filter((s) => s !== undefined && s !== 'ACTIVE') as string[];
  if (bad.length > 0) {
    return { status: bad.every((s) => s === 'UPDATING') ? 'WARN' : 'CRITICAL', text: `${name} is ${bad.join(', ')}` };
  }
  if (t.replicas.length === 0) return { status: 'WARN', text: `${name} is ACTIVE but lists no replicas` };
  const regions = t.replicas.map((r) => `${r.region} ${r.status ?? '?'}`).join(', ');
  return { status: 'OK', text: `${name} ACTIVE, replicas ${regions}` };
};

type Capacity = Extract<ComponentConfig, { kind: 'capacity' }>;

/** The target must exist in the standby region and be able to reach the plan's count. */
export const judgeCapacityTarget = (c: Capacity, part: Extract<ComponentFacts, { kind: 'capacity' }>['target']) => {
  const { kind, count } = c.target;
  if (!part.ok) return refused(`the ${kind}`, part);
  const now = part.value;
  const max = now.max !== undefined ? `, max ${now.max}` : '';
  const seen = `${kind}: desired ${now.desired}, ready ${now.ready}${max} (${now.detail})`;
  const step = nextCapacityStep(count, now);
  if (step.action === 'refuse') return { status: 'CRITICAL' as const, text: `${seen}: ${step.reason}` };
  if (now.busy) return { status: 'WARN' as const, text: `${seen}: busy now, a run would wait for it` };
  const plan = now.desired >= count ? `already at ${count} or more` : `a run raises it to ${count}`;
  return { status: 'OK' as const, text: `${seen}; ${plan}` };
};

/** A finding from a check of checks.ts: its status, its summary. */
const asFinding = (o: CheckOutcome): Finding => ({ status: o.status, text: o.summary });

const findings = (c: ComponentConfig, facts: ComponentFacts, plan: Plan): Finding[] => {
  if (c.kind === 's3-replication' && facts.kind === 's3-replication') {
    const routes = c.accessPoint && facts.routes ? [judgeRoutes(c, facts.routes)] : [];
    return [gateFinding(facts.gate, plan), judgeReplicationRule(c, facts.rule), ...routes];
  }
  if (c.kind === 'dynamodb-global-table' && facts.kind === 'dynamodb-global-table') {
    return [gateFinding(facts.gate, plan), judgeTableReplica(c, plan.regions.standby, facts.replica)];
  }
  if (c.kind === 'capacity' && facts.kind === 'capacity') return [judgeCapacityTarget(c, facts.target)];
  if (c.kind === 'custom-action' && facts.kind === 'custom-action') {
    const fn = facts.function;
    return [fn.ok ? asFinding(evaluateFunctions([fn.value])) : refused(`function ${c.functionArn}`, fn)];
  }
  if (c.kind === 'database' && facts.kind === 'database') {
    const rpo = c.rpo ?? plan.rpo;
    return [
      facts.standby.ok ? asFinding(evaluateStandby(facts.standby.value)) : refused('the standby', facts.standby),
      facts.lag.ok
        ? asFinding(evaluateLag(facts.lag.value, { rpo, readiness: plan.readiness }))
        : refused('the lag', facts.lag),
    ];
  }
  return [{ status: 'CRITICAL', text: `read ${facts.kind} facts for a ${c.kind} component` }];
};

/** One component's check: the worst of its findings; the summary names the bad ones, or all when OK. */
export const evaluateComponent = (c: ComponentConfig, facts: ComponentFacts, plan: Plan): CheckOutcome => {
  const each = findings(c, facts, plan);
  const status = worstOf(each.map((f) => f.status));
  const shown = status === 'OK' ? each : each.filter((f) => f.status !== 'OK');
  return {
    status,
    summary: `${c.kind}, stage ${c.stage}: ${shown.map((f) => f.text).join('; ')}`,
    details: { component: c.name, kind: c.kind, stage: c.stage, findings: each },
  };
};
