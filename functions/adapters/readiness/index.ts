/**
 * Builds the readiness probes of a plan: one reader per concern, each importing its SDK client only when the
 * plan's kind needs it, so the readiness bundle pays at cold start only for what it reads.
 */
import type { Plan } from '#core/plan.js';
import type { ReadinessProbes, StackNames } from '#core/ports.js';
import { AlarmReader } from './alarms.js';
import { StackReader } from './stack.js';

export const readinessProbesFor = async (plan: Plan, stack: StackNames): Promise<ReadinessProbes> => {
  const database = await databaseReader(plan);
  const dnsRecord = await dnsReader(plan);
  const alarms = new AlarmReader(plan, stack);
  const own = new StackReader(plan.regions.standby, stack);
  return {
    standby: () => database.standby(),
    replicationLag: () => database.replicationLag(),
    backup: () => database.backup(),
    writer: () => database.writer(),
    dnsRecord,
    alarms: () => alarms.alarms(),
    traffic: async () => (await import('./traffic.js')).trafficFacts(plan),
    failoverRecords: async () => {
      if (plan.dns.kind !== 'route53') return { sets: [], healthChecks: [] };
      const { FailoverRecordReader } = await import('./failover-records.js');
      return new FailoverRecordReader({ ...plan, dns: plan.dns }).failoverRecords();
    },
    stateMachine: () => own.stateMachine(),
    functions: () => own.functions(),
    // Imported on first use: a plan without components never loads the S3, DynamoDB and capacity clients.
    component: async (c) =>
      (await import('./components.js')).componentFacts(plan, {
        components: async () => (await import('#adapters/components/index.js')).platformComponents(),
        // A component database is read as the main database is: the same readers, for its own section.
        database: (scope) => databaseReader({ ...plan, ...scope }),
      })(c),
  };
};

type DatabaseReader = Pick<ReadinessProbes, 'standby' | 'replicationLag' | 'backup' | 'writer'>;

/** An RDS plan's readiness reads, with the lag read by its failover adapter: the reading the failover itself gates on. */
const withFailoverLag = (
  reader: Omit<DatabaseReader, 'replicationLag'>,
  failover: Pick<DatabaseReader, 'replicationLag'>,
): DatabaseReader => ({
  standby: () => reader.standby(),
  replicationLag: () => failover.replicationLag(),
  backup: () => reader.backup(),
  writer: () => reader.writer(),
});

const databaseReader = async (plan: Plan): Promise<DatabaseReader> => {
  switch (plan.database.kind) {
    case 'rds-instance': {
      const [{ RdsInstanceReadiness }, { RdsInstanceFailover }] = await Promise.all([
        import('./rds.js'),
        import('#adapters/database/rds-instance.js'),
      ]);
      const p = { ...plan, database: plan.database };
      return withFailoverLag(new RdsInstanceReadiness(p), new RdsInstanceFailover(p));
    }
    case 'aurora-global': {
      const [{ AuroraGlobalReadiness }, { AuroraGlobalFailover }] = await Promise.all([
        import('./rds.js'),
        import('#adapters/database/aurora-global.js'),
      ]);
      const p = { ...plan, database: plan.database };
      return withFailoverLag(new AuroraGlobalReadiness(p), new AuroraGlobalFailover(p));
    }
    case 'postgres': {
      const [{ PostgresReadiness }, { PostgresFailover }] = await Promise.all([
        import('./postgres.js'),
        import('#adapters/database/postgres.js'),
      ]);
      const p = { ...plan, database: plan.database };
      // Its standby, lag and writer reads share one lag reading of its own.
      return new PostgresReadiness(p, new PostgresFailover(p));
    }
  }
};

const dnsReader = async (plan: Plan): Promise<ReadinessProbes['dnsRecord']> => {
  switch (plan.dns.kind) {
    case 'route53': {
      const { Route53RecordReader } = await import('./route53.js');
      const reader = new Route53RecordReader({ ...plan, dns: plan.dns });
      return () => reader.dnsRecord();
    }
    case 'local': {
      const { LocalDnsSwitch } = await import('#adapters/dns/local.js');
      const dns = new LocalDnsSwitch({ ...plan, dns: plan.dns });
      const { recordName, nameserver } = plan.dns;
      return async () => {
        const values = await dns.resolve(recordName);
        return { values, detail: `${recordName} A via ${nameserver}: ${values.join(', ') || 'no answer'}` };
      };
    }
  }
};
