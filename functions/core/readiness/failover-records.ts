/**
 * The readiness `failover-records` check, for the data-plane traffic kinds on Route 53: would the run's switch move
 * clients? A run never touches the records; it turns a routing control or the take-over alarm, and Route 53 answers
 * each name of `traffic.records` with its PRIMARY failover record while that record's health check is healthy, and
 * with the SECONDARY otherwise. So, for each name:
 * - a PRIMARY and a SECONDARY failover record must exist (CRITICAL: nothing to fail over to, or from);
 * - the PRIMARY must carry a health check that follows the plan's switch: `routing-control`, a RECOVERY_CONTROL health
 *   check on `routingControls.primary`; `health-check`, the plan's `healthCheckId`, a CLOUDWATCH_METRIC health check
 *   on the take-over alarm in the standby region. Route 53 considers a record without a health check, and a disabled
 *   health check, healthy, so the switch would change nothing (CRITICAL), and an inverted one reports the opposite;
 * - a SECONDARY health check, when there is one, must follow `routingControls.standby` (routing controls: otherwise
 *   the standby's record is unhealthy exactly when it is needed);
 * - a take-over health check that turns Unhealthy on insufficient data sends clients to the standby, still a replica,
 *   whenever the alarm loses its data: WARN, CRITICAL while the alarm has none.
 * Sources: https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-how-route-53-chooses-records.html,
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html (Disabled, Inverted,
 * InsufficientDataHealthStatus, RoutingControlArn, AlarmIdentifier).
 */
import type { Plan } from '../plan.js';
import type { FailoverRecordFacts, FailoverSetFacts, HealthCheckFacts } from '../ports.js';
import type { CheckOutcome } from './model.js';

type DataPlaneTraffic = Exclude<Plan['traffic'], { kind: 'upsert' }>;

const canonical = (name: string) => name.replace(/\.$/, '').toLowerCase();

interface Finding {
  status: 'WARN' | 'CRITICAL';
  text: string;
}

/** What the health check `hc` is, in a few words, for a finding. */
const described = (hc: HealthCheckFacts): string => {
  if (hc.type === 'RECOVERY_CONTROL') return `RECOVERY_CONTROL on ${hc.routingControlArn ?? 'no routing control'}`;
  if (hc.type === 'CLOUDWATCH_METRIC') {
    return `CLOUDWATCH_METRIC on ${hc.alarm ? `alarm ${hc.alarm.name} in ${hc.alarm.region}` : 'no alarm'}`;
  }
  return hc.type ?? 'of unknown type';
};

/** Disabled and inverted health checks, whatever they follow. */
const modifierFindings = (where: string, hc: HealthCheckFacts): Finding[] => [
  ...(hc.disabled
    ? [
        {
          status: 'CRITICAL' as const,
          text: `${where} health check ${hc.id} is disabled: Route 53 considers it healthy`,
        },
      ]
    : []),
  ...(hc.inverted
    ? [{ status: 'CRITICAL' as const, text: `${where} health check ${hc.id} is inverted: it reports the opposite` }]
    : []),
];

/** Does `hc` follow what this side of the plan's switch expects? A finding when it does not. */
const followsSwitch = (
  traffic: DataPlaneTraffic,
  side: 'primary' | 'standby',
  hc: HealthCheckFacts,
  alarmRegion: string,
): string | undefined => {
  if (traffic.kind === 'routing-control') {
    const arn = traffic.routingControls[side];
    return hc.type === 'RECOVERY_CONTROL' && hc.routingControlArn === arn
      ? undefined
      : `is ${described(hc)}, not RECOVERY_CONTROL on routingControls.${side} (${arn})`;
  }
  const { name } = traffic.alarm;
  if (hc.id !== traffic.healthCheckId) return `is ${hc.id}, not traffic.healthCheckId ${traffic.healthCheckId}`;
  return hc.type === 'CLOUDWATCH_METRIC' && hc.alarm?.name === name && hc.alarm.region === alarmRegion
    ? undefined
    : `is ${described(hc)}, not CLOUDWATCH_METRIC on the take-over alarm ${name} in ${alarmRegion}`;
};

const primaryFindings = (
  plan: Pick<Plan, 'regions'>,
  traffic: DataPlaneTraffic,
  set: FailoverSetFacts,
  checks: Map<string, HealthCheckFacts>,
  alarmState: string | undefined,
): Finding[] => {
  const where = `${set.name} PRIMARY`;
  if (!set.healthCheckId) {
    return [
      {
        status: 'CRITICAL',
        text: `${where} has no health check: Route 53 always answers it, the switch moves nothing`,
      },
    ];
  }
  const hc = checks.get(set.healthCheckId);
  if (!hc?.exists) return [{ status: 'CRITICAL', text: `${where} health check ${set.healthCheckId} does not exist` }];
  const findings = modifierFindings(where, hc);
  const wrong = followsSwitch(traffic, 'primary', hc, plan.regions.standby);
  if (wrong) findings.push({ status: 'CRITICAL', text: `${where} health check ${wrong}` });
  if (!wrong && traffic.kind === 'health-check' && hc.insufficientDataHealthStatus === 'Unhealthy') {
    const blind = alarmState === 'INSUFFICIENT_DATA';
    findings.push({
      status: blind ? 'CRITICAL' : 'WARN',
      text:
        `${where} health check turns Unhealthy when the take-over alarm has insufficient data` +
        (blind ? ', as it has now: clients are sent to the standby, still a replica' : ': a blind alarm moves clients'),
    });
  }
  return findings;
};

const secondaryFindings = (traffic: DataPlaneTraffic, set: FailoverSetFacts, checks: Map<string, HealthCheckFacts>) => {
  const where = `${set.name} SECONDARY`;
  if (!set.healthCheckId) return [];
  const hc = checks.get(set.healthCheckId);
  if (!hc?.exists) {
    return [{ status: 'CRITICAL' as const, text: `${where} health check ${set.healthCheckId} does not exist` }];
  }
  const findings = modifierFindings(where, hc);
  if (traffic.kind === 'routing-control') {
    const wrong = followsSwitch(traffic, 'standby', hc, '');
    if (wrong) findings.push({ status: 'CRITICAL', text: `${where} health check ${wrong}` });
  }
  return findings;
};

/** The findings for one name of `traffic.records`: its failover pair, of any one record type. */
const nameFindings = (
  plan: Pick<Plan, 'regions'>,
  traffic: DataPlaneTraffic,
  name: string,
  facts: FailoverRecordFacts,
  alarmState: string | undefined,
): Finding[] => {
  const sets = facts.sets.filter((s) => canonical(s.name) === canonical(name));
  const primary = sets.find((s) => s.role === 'PRIMARY');
  const secondary = sets.find((s) => s.role === 'SECONDARY');
  const checks = new Map(facts.healthChecks.map((h) => [h.id, h]));
  const findings: Finding[] = [];
  if (!primary) findings.push({ status: 'CRITICAL', text: `${name} has no PRIMARY failover record` });
  if (!secondary) {
    findings.push({ status: 'CRITICAL', text: `${name} has no SECONDARY failover record: nothing to fail over to` });
  }
  if (primary) findings.push(...primaryFindings(plan, traffic, primary, checks, alarmState));
  if (secondary) findings.push(...secondaryFindings(traffic, secondary, checks));
  const same = (a: string[], b: string[]) => a.length > 0 && [...a].sort().join() === [...b].sort().join();
  if (primary && secondary && same(primary.values, secondary.values)) {
    findings.push({
      status: 'CRITICAL',
      text: `${name} PRIMARY and SECONDARY both answer ${primary.values.join(', ')}`,
    });
  }
  return findings;
};

export const evaluateFailoverRecords = (
  plan: Pick<Plan, 'regions' | 'traffic'>,
  facts: FailoverRecordFacts,
  alarmState?: string,
): CheckOutcome => {
  const traffic = plan.traffic;
  if (traffic.kind === 'upsert') return { status: 'OK', summary: 'no failover records: traffic moves by UPSERT' };
  const findings = traffic.records.flatMap((name) => nameFindings(plan, traffic, name, facts, alarmState));
  const details = {
    records: facts.sets.map((s) => ({
      name: s.name,
      type: s.type,
      role: s.role,
      values: s.values,
      healthCheckId: s.healthCheckId,
    })),
    healthChecks: facts.healthChecks,
    findings: findings.map((f) => `${f.status}: ${f.text}`),
  };
  const critical = findings.filter((f) => f.status === 'CRITICAL');
  if (critical.length > 0) {
    return {
      status: 'CRITICAL',
      summary: `a failover would not move traffic as planned: ${critical.map((f) => f.text).join('; ')}`,
      details,
    };
  }
  if (findings.length > 0) return { status: 'WARN', summary: findings.map((f) => f.text).join('; '), details };
  const n = traffic.records.length;
  return {
    status: 'OK',
    summary: `${n} failover record pair${n === 1 ? '' : 's'}, each PRIMARY health check following the plan's ${traffic.kind === 'routing-control' ? 'primary routing control' : 'take-over alarm'}`,
    details,
  };
};
