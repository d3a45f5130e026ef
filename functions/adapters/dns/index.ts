import type { DnsScope } from '#core/plan.js';
import type { DnsSwitch } from '#core/ports.js';

/**
 * Maps a `dns.kind` (the plan's, or a component database's record) to its adapter, imported on first use (see
 * ../database/index.ts).
 */
export const dnsFor = async (plan: DnsScope): Promise<DnsSwitch> => {
  switch (plan.dns.kind) {
    case 'route53': {
      const { Route53DnsSwitch } = await import('./route53.js');
      return new Route53DnsSwitch({ ...plan, dns: plan.dns });
    }
    case 'local': {
      const { LocalDnsSwitch } = await import('./local.js');
      return new LocalDnsSwitch({ ...plan, dns: plan.dns });
    }
  }
};
