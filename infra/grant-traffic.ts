/**
 * The grants of the data-plane traffic mechanisms (plan `traffic`): exactly the calls the traffic switches make
 * (functions/adapters/traffic/), on the plan's own resources. A stack whose plans all UPSERT gets none of them.
 */
import { alarmArn } from '#core/arn.js';
import type { Plan } from '#core/plan.js';
import type { Grant, GrantPerPlan, Scope } from './grant-rows.js';
import { camelPascal } from './json.js';

/** The plans' routing controls, both sides: a run turns one On and the other Off. */
const routingControls = (s: Scope) => [
  ...new Set(
    s.plans.flatMap((p) =>
      p.traffic.kind === 'routing-control'
        ? [p.traffic.routingControls.standby, p.traffic.routingControls.primary]
        : [],
    ),
  ),
];

type HealthCheckTraffic = Extract<Plan['traffic'], { kind: 'health-check' }>;
const healthCheckPlans = (s: Scope): { plan: Plan; traffic: HealthCheckTraffic }[] =>
  s.plans.flatMap((plan) => (plan.traffic.kind === 'health-check' ? [{ plan, traffic: plan.traffic }] : []));

/** UpdateDns: both states in one UpdateRoutingControlStates call. */
export const SWITCH_ROUTING_CONTROLS: Grant = {
  sid: 'SwitchRoutingControls',
  actions: ['route53-recovery-cluster:UpdateRoutingControlStates'],
  resources: routingControls,
};

/** DnsStatus and readiness: read the states back. */
export const READ_ROUTING_CONTROLS: Grant = {
  sid: 'ReadRoutingControls',
  actions: ['route53-recovery-cluster:GetRoutingControlState'],
  resources: routingControls,
};

/**
 * UpdateDns: the take-over datapoint. PutMetricData has no resource-level permissions for metrics ("*"); the
 * `cloudwatch:namespace` condition keeps each plan to its own namespace.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html
 */
export const PUBLISH_TAKE_OVER: GrantPerPlan = {
  perPlan: (s) =>
    healthCheckPlans(s).map(({ plan, traffic }) => ({
      Sid: `PublishTakeOver${camelPascal(plan.name)}`,
      Effect: 'Allow' as const,
      Action: ['cloudwatch:PutMetricData'],
      Resource: ['*'],
      Condition: { StringEquals: { 'cloudwatch:namespace': traffic.alarm.namespace } },
    })),
};

/** DnsStatus and readiness: the take-over alarm's state, in the standby region. */
export const READ_TAKE_OVER_ALARM: Grant = {
  sid: 'ReadTakeOverAlarm',
  actions: ['cloudwatch:DescribeAlarms'],
  resources: (s) => healthCheckPlans(s).map(({ plan, traffic }) => alarmArn(plan, traffic.alarm.name)),
};

/**
 * Readiness: the health checks the failover records name. Their ids are read from the records themselves
 * (ListResourceRecordSets) and checked against the plan, so they cannot be named in advance: any health check of the
 * account, for the read of its configuration only. Only stacks with a data-plane plan on Route 53 get it.
 */
export const READ_RECORD_HEALTH_CHECKS: Grant = {
  sid: 'ReadinessReadHealthChecks',
  actions: ['route53:GetHealthCheck'],
  resources: (s) =>
    s.plans.some((p) => p.traffic.kind !== 'upsert' && p.dns.kind === 'route53')
      ? ['arn:aws:route53:::healthcheck/*']
      : [],
};
