import type { Plan } from '#core/plan.js';
import type { DatabaseFailover, DnsSwitch } from '#core/ports.js';

/**
 * Maps a plan's `kind` to its adapter. Adapters are imported on first use, so a step pays at cold start only
 * for the SDK client its plan needs (esbuild inlines them, evaluated lazily).
 */
export const databaseFor = async (plan: Plan): Promise<DatabaseFailover> => {
  switch (plan.database.kind) {
    case 'aurora-global': {
      const { AuroraGlobalFailover } = await import('./database/aurora-global.js');
      return new AuroraGlobalFailover({ ...plan, database: plan.database });
    }
    case 'rds-instance': {
      const { RdsInstanceFailover } = await import('./database/rds-instance.js');
      return new RdsInstanceFailover({ ...plan, database: plan.database });
    }
    case 'postgres': {
      const { PostgresFailover } = await import('./database/postgres.js');
      return new PostgresFailover({ ...plan, database: plan.database });
    }
  }
};

export const dnsFor = async (plan: Plan): Promise<DnsSwitch> => {
  switch (plan.dns.kind) {
    case 'route53': {
      const { Route53DnsSwitch } = await import('./dns/route53.js');
      return new Route53DnsSwitch({ ...plan, dns: plan.dns });
    }
    case 'local': {
      const { LocalDnsSwitch } = await import('./dns/local.js');
      return new LocalDnsSwitch({ ...plan, dns: plan.dns });
    }
  }
};
