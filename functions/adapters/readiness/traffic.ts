/**
 * The readiness `traffic` probe: reads the plan's data-plane mechanism where a failover would use it, changing
 * nothing. Routing controls: both states, asked of every cluster endpoint in turn (each bounded), so the report says
 * which endpoints answer now; the take-over alarm: DescribeAlarms in the standby region.
 */
import { GetRoutingControlStateCommand } from '@aws-sdk/client-route53-recovery-cluster';
import { onCluster } from '#adapters/traffic/endpoints.js';
import { HealthCheckSwitch } from '#adapters/traffic/health-check.js';
import type { Plan, PlanWithTraffic } from '#core/plan.js';
import type { TrafficFacts } from '#core/ports.js';

const readControls = async (plan: PlanWithTraffic<'routing-control'>): Promise<TrafficFacts> => {
  const t = plan.traffic;
  const controls: { primary?: string; standby?: string } = {};
  const endpoints: NonNullable<TrafficFacts['endpoints']> = [];
  for (const endpoint of t.clusterEndpoints) {
    try {
      for (const side of ['primary', 'standby'] as const) {
        const { value } = await onCluster(
          [endpoint],
          t.endpointTimeoutMs,
          'GetRoutingControlState',
          (client, abortSignal) =>
            client.send(new GetRoutingControlStateCommand({ RoutingControlArn: t.routingControls[side] }), {
              abortSignal,
            }),
        );
        controls[side] ??= value.RoutingControlState;
      }
      endpoints.push({ region: endpoint.region, answered: true });
    } catch (error) {
      // A refusal for good (access denied, no such control) is the same on every endpoint: the check fails on it.
      if (!(error as { retryable?: boolean }).retryable) throw error;
      endpoints.push({ region: endpoint.region, answered: false, detail: (error as Error).message });
    }
  }
  return { controls, endpoints, detail: `routing controls primary ${controls.primary}, standby ${controls.standby}` };
};

export const trafficFacts = async (plan: Plan): Promise<TrafficFacts> => {
  const traffic = plan.traffic ?? { kind: 'upsert' };
  switch (traffic.kind) {
    case 'routing-control':
      return readControls({ ...plan, traffic });
    case 'health-check': {
      const sw = new HealthCheckSwitch({ ...plan, traffic }, { records: { resolve: async () => [] } });
      const alarmState = await sw.alarmState();
      const where = `take-over alarm ${traffic.alarm.name} in ${plan.regions.standby}`;
      return {
        ...(alarmState !== undefined ? { alarmState } : {}),
        detail: alarmState === undefined ? `${where} does not exist` : `${where} is ${alarmState}`,
      };
    }
    case 'upsert':
      return { detail: `traffic moves by UPSERT of ${plan.dns.recordName}` };
  }
};
