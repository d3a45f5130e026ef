import { dnsFor } from '#adapters/dns/index.js';
import type { Plan } from '#core/plan.js';
import type { DnsSwitch } from '#core/ports.js';

/**
 * Maps a plan's `traffic.kind` to its switch, imported on first use. `upsert` is the plan's `dns` adapter itself;
 * the data-plane switches read the record through it (Verify) and move traffic by their own mechanism.
 */
export const trafficFor = async (plan: Plan): Promise<DnsSwitch> => {
  const traffic = plan.traffic ?? { kind: 'upsert' };
  switch (traffic.kind) {
    case 'upsert':
      return dnsFor(plan);
    case 'routing-control': {
      const { RoutingControlSwitch } = await import('./routing-control.js');
      return new RoutingControlSwitch({ ...plan, traffic }, { records: await dnsFor(plan) });
    }
    case 'health-check': {
      const { HealthCheckSwitch } = await import('./health-check.js');
      return new HealthCheckSwitch({ ...plan, traffic }, { records: await dnsFor(plan) });
    }
  }
};
