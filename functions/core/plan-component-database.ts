/**
 * A second database as a platform component (`kind: database`): the same database union as the plan's main
 * database, optionally a record to move (the same schema as the plan's `dns`, UPSERT only) and its own RPO limits.
 * What the plan as a whole must refuse of it (the same database twice, the main database's resources or record,
 * resources in the wrong region) is said here; where it runs is core/component-database.ts.
 */
import * as z from 'zod';
import { parseArn } from './arn.js';
import { COMPONENT_FENCE_TIMEOUT_MAX_SECONDS } from './limits.js';
import { type DatabaseConfig, databaseArns, databaseConfig, databaseIdentities, dnsTargetOf } from './plan-database.js';
import { type DnsConfig, dnsConfig, recordTypeRefusal } from './plan-dns.js';

/** The RPO limits of a component database, when not the plan's `rpo.maxLagSeconds` / `maxLagBytes`. */
const componentRpo = z
  .object({
    maxLagSeconds: z.number().min(0).max(86400),
    maxLagBytes: z.number().int().min(0).optional(),
  })
  .strict();

export const componentDatabaseFields = {
  kind: z.literal('database'),
  database: databaseConfig,
  /** Its own record, UPSERT to its new writer once it is writable; without it, nothing is moved for it. */
  dns: dnsConfig.optional(),
  rpo: componentRpo.optional(),
};

export interface ComponentDatabase {
  name: string;
  kind: 'database';
  database: DatabaseConfig;
  dns?: DnsConfig | undefined;
  rpo?: z.infer<typeof componentRpo> | undefined;
}

interface PlanScope {
  accountId: string;
  regions: { primary: string; standby: string };
  database: DatabaseConfig;
  dns: DnsConfig;
}
type Issue = { path: (string | number)[]; message: string };

const canonical = (name: string) => name.replace(/\.$/, '').toLowerCase();

/** Its ARNs in the plan's account and each in the region of its side of the pair. */
const regionIssues = (c: ComponentDatabase, at: Issue['path'], plan: PlanScope): Issue[] =>
  databaseArns(c.database).flatMap(({ value, path, side }) => {
    const arn = value === undefined ? undefined : parseArn(value);
    if (!arn) return [];
    const where = [...at, 'database', ...path];
    const region = plan.regions[side];
    return [
      ...(arn.region === region
        ? []
        : [{ path: where, message: `must be in region ${region} (the ${side}), not ${arn.region}` }]),
      ...(arn.account === plan.accountId
        ? []
        : [{ path: where, message: `must belong to account ${plan.accountId}, not ${arn.account}` }]),
    ];
  });

/** A record of its own: not the plan's, inside its zone's rules, of a type that can hold its writer's address. */
const recordIssues = (c: ComponentDatabase, at: Issue['path'], plan: PlanScope): Issue[] => {
  if (!c.dns) return [];
  const issues: Issue[] = [];
  if (canonical(c.dns.recordName) === canonical(plan.dns.recordName))
    issues.push({ path: [...at, 'dns', 'recordName'], message: "must differ from the plan's dns.recordName" });
  const refusal = recordTypeRefusal(c.dns, dnsTargetOf(c.database));
  if (refusal) issues.push({ path: [...at, 'dns', 'recordType'], message: refusal });
  return issues;
};

/**
 * Everything a plan's component databases contradict: the main database's resources or another component's, a
 * record named twice, the wrong region or account, a PostgreSQL database in a VPC (the component function runs
 * outside any VPC).
 */
export const componentDatabaseIssues = (
  entries: readonly { c: ComponentDatabase; at: Issue['path'] }[],
  plan: PlanScope,
): Issue[] => {
  const main = new Set(databaseIdentities(plan.database));
  const seen = new Map<string, string>();
  const records = new Map<string, string>();
  return entries.flatMap(({ c, at }) => {
    const issues = [...regionIssues(c, at, plan), ...recordIssues(c, at, plan)];
    for (const id of databaseIdentities(c.database)) {
      if (main.has(id))
        issues.push({ path: [...at, 'database'], message: `names ${id}, which is the plan's main database` });
      const other = seen.get(id);
      if (other !== undefined && other !== c.name)
        issues.push({ path: [...at, 'database'], message: `names ${id}, which component ${other} already names` });
      seen.set(id, c.name);
    }
    const record = c.dns ? canonical(c.dns.recordName) : undefined;
    const owner = record === undefined ? undefined : records.get(record);
    if (record !== undefined && owner !== undefined)
      issues.push({ path: [...at, 'dns', 'recordName'], message: `is component ${owner}'s record already` });
    if (record !== undefined && owner === undefined) records.set(record, c.name);
    if (c.database.kind === 'postgres' && c.database.vpc)
      issues.push({
        path: [...at, 'database', 'vpc'],
        message: 'is not supported for a component database yet: the component function runs outside any VPC',
      });
    if (c.database.kind === 'postgres' && c.database.wayBackVpc)
      issues.push({
        path: [...at, 'database', 'wayBackVpc'],
        message: 'is not for a component database: a plan with components is never failed back',
      });
    if (c.database.kind === 'postgres' && c.database.fence.timeoutSeconds > COMPONENT_FENCE_TIMEOUT_MAX_SECONDS)
      issues.push({
        path: [...at, 'database', 'fence', 'timeoutSeconds'],
        message: `must be at most ${COMPONENT_FENCE_TIMEOUT_MAX_SECONDS} for a component database: its fence and promotion run in the component function's timeout`,
      });
    return issues;
  });
};
