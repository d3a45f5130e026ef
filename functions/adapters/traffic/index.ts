import { dnsFor } from '#adapters/dns/index.js';
import type { Plan } from '#core/plan.js';
import type { DnsSwitch } from '#core/ports.js';
import { ResolverRecords } from './resolver.js';

/**
 * Maps a plan's `traffic.kind` to its switch, imported on first use. `upsert` is the plan's `dns` adapter itself
 * (Verify reads the record through it, unless the plan sets `traffic.verify`); the data-plane switches move traffic
 * by their own mechanism and Verify resolves the record through a resolver, as clients do, so that no step of a
 * data-plane run needs Route 53's control plane.
 */
export const trafficFor = async (plan: Plan): Promise<DnsSwitch> => {
  const traffic = plan.traffic ?? { kind: 'upsert' };
  switch (traffic.kind) {
    case 'upsert': {
      const dns = await dnsFor(plan);
      if (!traffic.verify) return dns;
      const records = new ResolverRecords(traffic.verify);
      return {
        point: (name, target, ttl) => dns.point(name, target, ttl),
        changeStatus: (changeId) => dns.changeStatus(changeId),
        resolve: (name) => records.resolve(name),
      };
    }
    case 'routing-control': {
      const { RoutingControlSwitch } = await import('./routing-control.js');
      return new RoutingControlSwitch({ ...plan, traffic }, { records: new ResolverRecords(traffic.verify) });
    }
    case 'health-check': {
      const { HealthCheckSwitch } = await import('./health-check.js');
      return new HealthCheckSwitch({ ...plan, traffic }, { records: new ResolverRecords(traffic.verify) });
    }
  }
};
