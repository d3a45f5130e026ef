/**
 * Readiness reads of a plan's platform components, through the adapters the run itself uses: the RPO gates'
 * CloudWatch readings (adapters/replication), the capacity adapters' observation (adapters/capacity), the access
 * point's routes (adapters/access-point), a component database's readiness reader. Added here: the source bucket's
 * replication rule (GetBucketReplication, in the primary region, one bounded attempt), a global table in the standby
 * region (DescribeTable) and a custom action's function (GetFunctionConfiguration, in its own region). Each part is read at once and answers on its own: a refused call
 * becomes a `Part` saying why, with the IAM action when AWS refused for want of permission.
 */

import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetBucketReplicationCommand, type ReplicationRule, S3Client } from '@aws-sdk/client-s3';
import { hasAwsErrorName, translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { PRIMARY_REGION_CLIENT_SETTINGS } from '#adapters/database/rds-instance.js';
import type { AccessPointConfig } from '#core/access-point.js';
import { parseArn } from '#core/arn.js';
import { DrFailoverError } from '#core/errors.js';
import type { DatabaseScope, Plan } from '#core/plan.js';
import type { ComponentConfig } from '#core/plan-components.js';
import type {
  AccessPointRouteFacts,
  ComponentFacts,
  Part,
  PlatformComponents,
  ReadinessProbes,
  ReplicationRuleFacts,
  TableReplicaFacts,
} from '#core/ports.js';
import { functionFacts } from './stack.js';

type DatabaseReads = Pick<ReadinessProbes, 'standby' | 'replicationLag'>;

export interface ComponentReadinessDeps {
  /** The run's own component adapters (readGate, capacity). */
  components: () => Promise<Pick<PlatformComponents, 'readGate' | 'capacity'>>;
  /** A component database's readiness reads (the reader the main database's checks use). */
  database: (scope: DatabaseScope) => Promise<DatabaseReads>;
  routes?: (config: AccessPointConfig) => Promise<AccessPointRouteFacts>;
  /** Injected in tests; default: the primary region's client, one attempt, bounded. */
  s3?: (region: string) => S3Client;
  lambda?: (region: string) => LambdaClient;
  dynamodb?: (region: string) => DynamoDBClient;
}

/** The error codes AWS answers a call the caller's policies do not allow with. */
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError']);

/** AWS's own words name the refused action: `... is not authorized to perform: rds:DescribeDBInstances on ...`. */
const deniedActionOf = (message: string, fallback: string) =>
  /perform: ([a-z0-9-]+:[A-Za-z0-9]+)/.exec(message)?.[1] ?? fallback;

/**
 * One read: its answer, or the named error it ended with; `action` is the IAM action it needs, named when AWS
 * refused for want of permission and its message does not say. A bug (any other error) escapes.
 */
export const part = async <T>(action: string, read: () => Promise<T>): Promise<Part<T>> => {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    if (!(error instanceof DrFailoverError)) throw error;
    const code = (error.cause as { name?: string } | undefined)?.name ?? '';
    return {
      ok: false,
      error: `${error.name}: ${error.message}`,
      retryable: error.retryable,
      ...(ACCESS_DENIED.has(code) ? { deniedAction: deniedActionOf(error.message, action) } : {}),
    };
  }
};

/** The bucket of a rule's destination, from the ARN it holds (`arn:aws:s3:::bucket`). */
const bucketOf = (arn: string | undefined) => arn?.split(':::').at(-1);

const ruleFacts = (rule: ReplicationRule | undefined, ruleId: string, ids: string[]): ReplicationRuleFacts => {
  if (!rule) return { exists: false, detail: `the rules are ${ids.join(', ') || 'none'}, not ${ruleId}` };
  const d = rule.Destination;
  const facts: ReplicationRuleFacts = { exists: true, detail: `rule ${ruleId}` };
  if (rule.Status) facts.status = rule.Status;
  const destination = bucketOf(d?.Bucket);
  if (destination) facts.destinationBucket = destination;
  if (d?.ReplicationTime?.Status) facts.replicationTime = d.ReplicationTime.Status;
  if (d?.Metrics?.Status) facts.metrics = d.Metrics.Status;
  return facts;
};

/**
 * The source bucket's rule of the plan's `ruleId` (S3 API reference, GetBucketReplication:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketReplication.html; needs
 * s3:GetReplicationConfiguration). A bucket without a replication configuration answers
 * ReplicationConfigurationNotFoundError: no rule.
 */
export const readReplicationRule = async (
  c: Extract<ComponentConfig, { kind: 's3-replication' }>,
  region: string,
  s3: S3Client,
): Promise<ReplicationRuleFacts> => {
  const what = `GetBucketReplication ${c.sourceBucket}`;
  try {
    const out = await s3.send(new GetBucketReplicationCommand({ Bucket: c.sourceBucket }));
    const rules = out.ReplicationConfiguration?.Rules ?? [];
    const ids = rules.flatMap((r) => (r.ID ? [r.ID] : []));
    return ruleFacts(
      rules.find((r) => r.ID === c.ruleId),
      c.ruleId,
      ids,
    );
  } catch (error) {
    if (hasAwsErrorName(error, 'ReplicationConfigurationNotFoundError', 'NoSuchBucket')) {
      return { exists: false, detail: `${c.sourceBucket} in ${region}: ${(error as Error).name}` };
    }
    throw translateAwsError(error, what);
  }
};

/**
 * The global table in the standby region (DynamoDB API reference, DescribeTable:
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTable.html, `TableStatus` and
 * `Replicas`); ResourceNotFoundException: no table there.
 */
export const readTableReplica = async (tableName: string, dynamodb: DynamoDBClient): Promise<TableReplicaFacts> => {
  try {
    const table = (await dynamodb.send(new DescribeTableCommand({ TableName: tableName }))).Table;
    return {
      exists: table !== undefined,
      ...(table?.TableStatus ? { tableStatus: table.TableStatus } : {}),
      replicas: (table?.Replicas ?? []).map((r) => ({
        region: r.RegionName ?? '',
        ...(r.ReplicaStatus ? { status: r.ReplicaStatus } : {}),
      })),
    };
  } catch (error) {
    if (hasAwsErrorName(error, 'ResourceNotFoundException')) return { exists: false, replicas: [] };
    throw translateAwsError(error, `DescribeTable ${tableName}`);
  }
};

/** Reads every part of one component at once. */
export const componentFacts =
  (plan: Plan, deps: ComponentReadinessDeps) =>
  async (c: ComponentConfig): Promise<ComponentFacts> => {
    const { regions } = plan;
    switch (c.kind) {
      case 's3-replication': {
        const s3 = (deps.s3 ?? ((r) => clientFor(S3Client, r, PRIMARY_REGION_CLIENT_SETTINGS)))(regions.primary);
        const ap = c.accessPoint;
        const routes =
          deps.routes ??
          (async (config) => (await import('#adapters/access-point/index.js')).readAccessPointRoutes(config));
        const [gate, rule, route] = await Promise.all([
          part('cloudwatch:GetMetricData', async () => (await deps.components()).readGate(c, regions)),
          part('s3:GetReplicationConfiguration', () => readReplicationRule(c, regions.primary, s3)),
          ap ? part('s3:GetMultiRegionAccessPointRoutes', () => routes(ap)) : undefined,
        ]);
        return { kind: c.kind, gate, rule, ...(route ? { routes: route } : {}) };
      }
      case 'dynamodb-global-table': {
        const dynamodb = (deps.dynamodb ?? ((r) => clientFor(DynamoDBClient, r)))(regions.standby);
        const [gate, replica] = await Promise.all([
          part('cloudwatch:GetMetricData', async () => (await deps.components()).readGate(c, regions)),
          part('dynamodb:DescribeTable', () => readTableReplica(c.tableName, dynamodb)),
        ]);
        return { kind: c.kind, gate, replica };
      }
      case 'capacity': {
        const action = CAPACITY_ACTIONS[c.target.kind];
        const target = await part(action, async () =>
          (await (await deps.components()).capacity(c.target, regions.standby)).observe(),
        );
        return { kind: c.kind, target };
      }
      case 'custom-action': {
        const region = parseArn(c.functionArn)?.region ?? regions.standby;
        const lambda = (deps.lambda ?? ((r) => clientFor(LambdaClient, r)))(region);
        const fn = await part('lambda:GetFunctionConfiguration', () => functionFacts(lambda, c.functionArn));
        return { kind: c.kind, function: fn };
      }
      case 'database': {
        const reads = await deps.database({ regions, database: c.database });
        const [standbyAction, lagAction] = DATABASE_ACTIONS[c.database.kind];
        const [standby, lag] = await Promise.all([
          part(standbyAction, () => reads.standby()),
          part(lagAction, () => reads.replicationLag()),
        ]);
        return { kind: c.kind, standby, lag };
      }
    }
  };

/** The call each capacity kind's observation makes. */
const CAPACITY_ACTIONS = {
  'ecs-service': 'ecs:DescribeServices',
  'auto-scaling-group': 'autoscaling:DescribeAutoScalingGroups',
  'sagemaker-endpoint': 'sagemaker:DescribeEndpoint',
} as const;

/** The first call each database kind's standby read makes; the lag's, where AWS's message does not name it. */
const DATABASE_ACTIONS = {
  'rds-instance': ['rds:DescribeDBInstances', 'cloudwatch:GetMetricData'],
  'aurora-global': ['rds:DescribeGlobalClusters', 'cloudwatch:GetMetricData'],
  postgres: ['secretsmanager:GetSecretValue', 'secretsmanager:GetSecretValue'],
} as const;
