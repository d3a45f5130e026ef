/**
 * The readiness `traffic` check: would a failover now move clients? Pure judgement of what the traffic probe read.
 * - `routing-control`: the controls exist and read primary On, standby Off (traffic on the primary, a run's flip
 *   pending); both the same is CRITICAL (a run's flip would not be the switch the failover records expect: both Off
 *   fails open to the primary, both On sends traffic to both); no endpoint answering is CRITICAL, some not is WARN.
 * - `health-check`: the take-over alarm exists in the standby region (missing: CRITICAL) and is not yet in ALARM.
 * - `upsert`: nothing to read; WARN when the record is in Route 53 and the primary region is us-east-1, where
 *   Route 53's control plane is served: the outage most likely to start a run is the one in which it cannot switch.
 */
import type { Plan } from '../plan.js';
import type { TrafficFacts } from '../ports.js';
import type { CheckOutcome } from './model.js';

const ROUTE53_CONTROL_PLANE_REGION = 'us-east-1';

const judgeRoutingControls = (facts: TrafficFacts): CheckOutcome => {
  const details = { controls: facts.controls, endpoints: facts.endpoints };
  const endpoints = facts.endpoints ?? [];
  const answering = endpoints.filter((e) => e.answered);
  if (endpoints.length > 0 && answering.length === 0) {
    return {
      status: 'CRITICAL',
      summary: 'no cluster endpoint answers: a failover could not flip the routing controls',
      details,
    };
  }
  const { primary, standby } = facts.controls ?? {};
  if (primary === standby) {
    return {
      status: 'CRITICAL',
      summary: `routing controls read primary ${primary ?? 'unknown'}, standby ${standby ?? 'unknown'}: a failover would not move traffic as the failover records expect`,
      details,
    };
  }
  if (primary === 'Off' && standby === 'On') {
    return { status: 'WARN', summary: 'traffic is already on the standby (standby On, primary Off)', details };
  }
  const down = endpoints.filter((e) => !e.answered).map((e) => e.region);
  if (down.length > 0) {
    return {
      status: 'WARN',
      summary: `routing controls primary On, standby Off; ${answering.length} of ${endpoints.length} cluster endpoints answer (not: ${down.join(', ')})`,
      details,
    };
  }
  return {
    status: 'OK',
    summary: `routing controls primary On, standby Off; all ${endpoints.length} cluster endpoints answer`,
    details,
  };
};

export const evaluateTraffic = (plan: Pick<Plan, 'traffic' | 'dns' | 'regions'>, facts: TrafficFacts): CheckOutcome => {
  const kind = plan.traffic?.kind ?? 'upsert';
  if (kind === 'routing-control') return judgeRoutingControls(facts);
  if (kind === 'health-check') {
    const details = { alarmState: facts.alarmState };
    if (facts.alarmState === undefined) {
      return { status: 'CRITICAL', summary: `${facts.detail}: a failover could not take the primary out`, details };
    }
    if (facts.alarmState === 'ALARM') {
      return { status: 'WARN', summary: `${facts.detail}: the primary record is already out`, details };
    }
    return { status: 'OK', summary: facts.detail, details };
  }
  if (plan.dns.kind === 'route53' && plan.regions.primary === ROUTE53_CONTROL_PLANE_REGION) {
    return {
      status: 'WARN',
      summary:
        "traffic moves by UPSERT through Route 53's control plane, served from us-east-1, the primary region: in its " +
        'outage a run promotes but cannot switch the record (use traffic.kind routing-control or health-check)',
    };
  }
  return { status: 'OK', summary: facts.detail };
};
