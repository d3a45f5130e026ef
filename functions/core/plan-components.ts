/**
 * A plan's platform components: what fails over besides the plan's main database (plan.database + traffic).
 * Each component has a kind, its resources, its RPO expectations and a stage. Stages run one after another,
 * the components of a stage in parallel. Where each part runs (docs/architecture.md, Platform components):
 * the RPO gates of every component are part of the RPO guard, before Fence; the actions (access point routes,
 * capacity, custom actions) run stage by stage after the database is promoted and before traffic moves.
 */
import * as z from 'zod';
import { accessPointConfig } from './access-point.js';
import { parseArn } from './arn.js';
import { customActionConfig } from './custom-action.js';
import { capacityConfig } from './plan-capacity.js';
import { type ComponentDatabase, componentDatabaseFields, componentDatabaseIssues } from './plan-component-database.js';
import type { DatabaseConfig } from './plan-database.js';
import type { DnsConfig } from './plan-dns.js';
import { dynamoDbGlobalTableGate, s3ReplicationGate } from './replication-gates.js';

/** Stages a plan may have, and components per stage: the stage Map's MaxConcurrency in the definition. */
export const MAX_STAGES = 10;
export const MAX_COMPONENTS_PER_STAGE = 10;
export const MAX_COMPONENTS = 40;

const common = {
  /** The component's name in the run state (`components.<name>`), notifications and reports. */
  name: z
    .string()
    .regex(
      /^[a-z][a-z0-9-]{0,39}$/,
      'must be 1-40 characters: lowercase letters, digits and -, starting with a letter',
    ),
  /** Stages run in order (1, 2, …); the components of one stage run in parallel. */
  stage: z.number().int().min(1).max(MAX_STAGES).default(1),
};

/** How a component whose action settles over time is polled (capacity, a database's phases). */
const polling = {
  maxChecks: z.number().int().min(1).max(120).default(30),
  checkIntervalSeconds: z.number().int().min(1).max(300).default(10),
};

export const componentConfig = z.discriminatedUnion('kind', [
  /** Replicated bucket: gate on S3 Replication metrics; with `accessPoint`, its routes switch to the standby bucket. */
  s3ReplicationGate.extend({ ...common, accessPoint: accessPointConfig.optional() }).strict(),
  /** Global table: gate on ReplicationLatency; nothing to promote. */
  dynamoDbGlobalTableGate.extend(common).strict(),
  /** Capacity in the standby region, raised and waited for until healthy. */
  z.object({ kind: z.literal('capacity'), ...common, target: capacityConfig, ...polling }).strict(),
  /** The team's own Lambda function, for what a plan cannot name. */
  customActionConfig.extend({ kind: z.literal('custom-action'), ...common }).strict(),
  /** A second database (plan-component-database.ts): gated with the others, fenced, promoted, its record moved. */
  z.object({ ...componentDatabaseFields, ...common, ...polling }).strict(),
]);
export type ComponentConfig = z.infer<typeof componentConfig>;

export const componentsConfig = z.array(componentConfig).min(1, 'must list at least one component').max(MAX_COMPONENTS);

/** Components whose gate reads S3 Replication or DynamoDB metrics (adapters/replication). */
export type ReplicationGateComponent = Extract<ComponentConfig, { kind: 's3-replication' | 'dynamodb-global-table' }>;
/** A second database: its gate is its adapter's lag reading (core/component-database.ts). */
export type DatabaseComponent = Extract<ComponentConfig, { kind: 'database' }>;
/** Components whose RPO gate is read before Fence. */
export type GateComponent = Extract<ComponentConfig, { kind: 's3-replication' | 'dynamodb-global-table' | 'database' }>;
export const hasGate = (c: ComponentConfig): c is GateComponent =>
  c.kind === 's3-replication' || c.kind === 'dynamodb-global-table' || c.kind === 'database';
/** Whether a component has something to do after the promotion (a DynamoDB global table has not). */
export const hasAction = (c: ComponentConfig): boolean =>
  c.kind === 'capacity' ||
  c.kind === 'custom-action' ||
  c.kind === 'database' ||
  (c.kind === 's3-replication' && c.accessPoint !== undefined);

interface PlanScope {
  accountId: string;
  regions: { primary: string; standby: string };
  database: DatabaseConfig;
  dns: DnsConfig;
  components?: ComponentConfig[] | undefined;
}
type Issue = { path: (string | number)[]; message: string };

/** A resource named by ARN must be in the plan's account and in the region where the component uses it. */
const arnIssues = (value: string, path: Issue['path'], plan: PlanScope, region: string | undefined): Issue[] => {
  const arn = parseArn(value);
  if (!arn) return [];
  const issues: Issue[] = [];
  if (arn.account !== plan.accountId)
    issues.push({ path, message: `must belong to account ${plan.accountId}, not ${arn.account}` });
  if (region !== undefined && arn.region !== region)
    issues.push({ path, message: `must be in region ${region} (the standby), not ${arn.region}` });
  return issues;
};

/** What one component's resources contradict in the plan (account, regions, its own fields). */
const resourceIssues = (c: ComponentConfig, at: Issue['path'], plan: PlanScope): Issue[] => {
  const { primary, standby } = plan.regions;
  switch (c.kind) {
    case 's3-replication': {
      const issues: Issue[] = [];
      if (c.sourceBucket === c.destinationBucket)
        issues.push({ path: [...at, 'destinationBucket'], message: 'must differ from sourceBucket' });
      const ap = c.accessPoint;
      if (!ap) return issues;
      issues.push(...arnIssues(ap.mrapArn, [...at, 'accessPoint', 'mrapArn'], plan, undefined));
      const sides = [
        ['standby', standby, c.destinationBucket],
        ['primary', primary, c.sourceBucket],
      ] as const;
      for (const [side, region, bucket] of sides) {
        if (ap[side].region !== region)
          issues.push({ path: [...at, 'accessPoint', side, 'region'], message: `must be regions.${side}, ${region}` });
        if (ap[side].bucket !== bucket)
          issues.push({ path: [...at, 'accessPoint', side, 'bucket'], message: `must be the replication's ${bucket}` });
      }
      return issues;
    }
    case 'dynamodb-global-table':
      return c.metricsRegion === undefined || [primary, standby].includes(c.metricsRegion)
        ? []
        : [
            {
              path: [...at, 'metricsRegion'],
              message: `must be regions.primary or regions.standby, not ${c.metricsRegion}`,
            },
          ];
    case 'capacity':
      return c.target.kind === 'ecs-service'
        ? arnIssues(c.target.cluster, [...at, 'target', 'cluster'], plan, standby)
        : [];
    case 'custom-action':
      return arnIssues(c.functionArn, [...at, 'functionArn'], plan, standby);
    case 'database':
      // Judged with the plan's other databases: componentDatabaseIssues.
      return [];
  }
};

/** Stages numbered 1, 2, … without gaps, each within the Map's concurrency. */
const stageIssues = (components: readonly ComponentConfig[]): Issue[] => {
  const counts = new Map<number, number>();
  for (const c of components) counts.set(c.stage, (counts.get(c.stage) ?? 0) + 1);
  const last = Math.max(...counts.keys());
  const issues: Issue[] = [];
  for (let stage = 1; stage <= last; stage += 1) {
    if (!counts.has(stage))
      issues.push({
        path: ['components'],
        message: `stage ${stage} is empty: number the stages 1 to ${last} without gaps`,
      });
  }
  for (const [stage, n] of counts) {
    if (n > MAX_COMPONENTS_PER_STAGE)
      issues.push({
        path: ['components'],
        message: `stage ${stage} has ${n} components, at most ${MAX_COMPONENTS_PER_STAGE}`,
      });
  }
  return issues;
};

/** Everything a plan's components contradict, each with the field to fix. */
export const componentIssues = (plan: PlanScope): Issue[] => {
  const components = plan.components ?? [];
  if (components.length === 0) return [];
  const seen = new Set<string>();
  const issues: Issue[] = [];
  components.forEach((c, i) => {
    if (seen.has(c.name))
      issues.push({ path: ['components', i, 'name'], message: `another component is already named ${c.name}` });
    seen.add(c.name);
    issues.push(...resourceIssues(c, ['components', i], plan));
  });
  const databases = components.flatMap((c, i) =>
    c.kind === 'database' ? [{ c: c as ComponentDatabase, at: ['components', i] }] : [],
  );
  return [...issues, ...componentDatabaseIssues(databases, plan), ...stageIssues(components)];
};
