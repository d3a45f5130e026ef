/**
 * The grants of the component function (plan `components`): exactly the calls its steps make through the existing
 * adapters (functions/adapters/components/, functions/adapters/artifacts/), on the plans' own resources, each in the
 * Region the call goes to: a component database's on its own instances, clusters, secrets and record only, never
 * the main database's. A stack whose plans have no components and no artifacts section grants it nothing.
 */

import type { DatabaseConfig, DatabaseConfigOf, Plan } from '#core/plan.js';
import { artifactBuckets } from '#core/plan-artifacts.js';
import type { ComponentConfig } from '#core/plan-components.js';
import { type Grant, type GrantPerPlan, parameterGroupArn, type Scope, secretPolicyArn } from './grant-rows.js';
import { camelPascal, sub } from './json.js';

type Of<K extends ComponentConfig['kind']> = Extract<ComponentConfig, { kind: K }>;
const componentsOf = <K extends ComponentConfig['kind']>(s: Scope, kind: K): { plan: Plan; c: Of<K> }[] =>
  s.plans.flatMap((plan) => (plan.components ?? []).flatMap((c) => (c.kind === kind ? [{ plan, c: c as Of<K> }] : [])));
type Capacity = Of<'capacity'>['target'];
const capacityOf = <K extends Capacity['kind']>(s: Scope, kind: K) =>
  componentsOf(s, 'capacity').flatMap(({ plan, c }) =>
    c.target.kind === kind ? [{ plan, target: c.target as Extract<Capacity, { kind: K }> }] : [],
  );

/** The component databases of one kind, with their plan and component. */
const databasesOf = <K extends DatabaseConfig['kind']>(s: Scope, kind: K) =>
  componentsOf(s, 'database').flatMap(({ plan, c }) =>
    c.database.kind === kind ? [{ plan, c, db: c.database as DatabaseConfigOf<K> }] : [],
  );

/**
 * The RPO gates read CloudWatch (S3 Replication, DynamoDB, a component database's ReplicaLag or Aurora lag, also read
 * by a planned RDS fence); GetMetricData has no resource-level permissions: AWS documents only "*".
 */
const READ_GATE_METRICS: Grant = {
  sid: 'ReadComponentReplicationMetrics',
  actions: ['cloudwatch:GetMetricData'],
  resources: (s) =>
    componentsOf(s, 's3-replication').length +
      componentsOf(s, 'dynamodb-global-table').length +
      databasesOf(s, 'rds-instance').length +
      databasesOf(s, 'aurora-global').length >
    0
      ? ['*']
      : [],
};

/** A component database on RDS: its replica read and promoted; its source read to confirm a planned fence. */
const PROMOTE_COMPONENT_REPLICAS: Grant = {
  sid: 'PromoteComponentReplicas',
  actions: ['rds:PromoteReadReplica', 'rds:DescribeDBInstances'],
  resources: (s) => databasesOf(s, 'rds-instance').map(({ db }) => db.replicaInstanceArn),
};
const CONFIRM_COMPONENT_FENCES: Grant = {
  sid: 'ConfirmComponentRdsFences',
  actions: ['rds:DescribeDBInstances'],
  resources: (s) =>
    databasesOf(s, 'rds-instance').flatMap(({ db }) => (db.fenceParameterGroupName ? [db.sourceInstanceArn] : [])),
};
/** A standalone component replica is the writer only if its own group does not fence it (core/stale-writer.ts). */
const READ_COMPONENT_REPLICA_FENCE_GROUPS: Grant = {
  sid: 'ReadComponentReplicaFenceGroups',
  actions: ['rds:DescribeDBParameters'],
  resources: (s) =>
    databasesOf(s, 'rds-instance').flatMap(({ plan, db }) =>
      db.replicaFenceParameterGroupName
        ? [parameterGroupArn(plan, plan.regions.standby, db.replicaFenceParameterGroupName)]
        : [],
    ),
};
/** The fence: `default_transaction_read_only` on the source's own parameter group, in the primary region. */
const FENCE_COMPONENT_SOURCES: Grant = {
  sid: 'FenceComponentRdsSourcesReadOnly',
  actions: ['rds:ModifyDBParameterGroup'],
  resources: (s) =>
    databasesOf(s, 'rds-instance').flatMap(({ plan, db }) =>
      db.fenceParameterGroupName ? [parameterGroupArn(plan, plan.regions.primary, db.fenceParameterGroupName)] : [],
    ),
};
/** A component database on Aurora: the switchover and failover authorise on the global cluster and both members. */
const SWITCH_COMPONENT_GLOBAL_CLUSTERS: Grant = {
  sid: 'SwitchOrFailOverComponentGlobalClusters',
  actions: ['rds:SwitchoverGlobalCluster', 'rds:FailoverGlobalCluster', 'rds:DescribeGlobalClusters'],
  resources: (s) =>
    databasesOf(s, 'aurora-global').flatMap(({ plan, db }) => [
      `arn:aws:rds::${plan.accountId}:global-cluster:${db.globalClusterIdentifier}`,
      db.targetClusterArn,
      db.primaryClusterArn,
    ]),
};
const DESCRIBE_COMPONENT_TARGET_CLUSTERS: Grant = {
  sid: 'DescribeComponentTargetClusters',
  actions: ['rds:DescribeDBClusters'],
  resources: (s) => databasesOf(s, 'aurora-global').map(({ db }) => db.targetClusterArn),
};
/** A component database on self-managed PostgreSQL: its credentials, and their key only through Secrets Manager. */
const pgSecrets = (s: Scope) =>
  databasesOf(s, 'postgres').flatMap(({ plan, db }) =>
    [db.primary.credentials, db.standby.credentials].flatMap((ref) => ('secretsManager' in ref ? [{ plan, ref }] : [])),
  );
const READ_COMPONENT_SECRETS: Grant = {
  sid: 'ReadComponentDatabaseCredentials',
  actions: ['secretsmanager:GetSecretValue'],
  resources: (s) => [...new Set(pgSecrets(s).map(({ plan, ref }) => secretPolicyArn(plan, ref.secretsManager)))],
};
const DECRYPT_COMPONENT_SECRETS: Grant = {
  sid: 'DecryptComponentDatabaseCredentials',
  actions: ['kms:Decrypt'],
  resources: (s) => [...new Set(pgSecrets(s).flatMap(({ ref }) => (ref.kmsKeyArn ? [ref.kmsKeyArn] : [])))],
  condition: { StringEquals: { 'kms:ViaService': sub(`secretsmanager.\${AWS::Region}.amazonaws.com`) } },
};
/** Route 53 records of component databases: each its own name and type, UPSERT only. */
const componentRecords = (s: Scope) =>
  componentsOf(s, 'database').flatMap(({ plan, c }) => (c.dns?.kind === 'route53' ? [{ plan, c, dns: c.dns }] : []));
const CHANGE_COMPONENT_RECORDS: GrantPerPlan = {
  perPlan: (s) =>
    componentRecords(s).map(({ plan, c, dns }) => ({
      Sid: `ChangeRecord${camelPascal(plan.name)}${camelPascal(c.name)}`,
      Effect: 'Allow' as const,
      Action: ['route53:ChangeResourceRecordSets'],
      Resource: [`arn:aws:route53:::hostedzone/${dns.hostedZoneId}`],
      Condition: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': [dns.recordName.replace(/\.$/, '').toLowerCase()],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
          'route53:ChangeResourceRecordSetsRecordTypes': [dns.recordType],
        },
      },
    })),
};
// Change ids are not known before the change is made; the action is the only one allowed on them.
const READ_COMPONENT_RECORD_CHANGES: Grant = {
  sid: 'ReadComponentRecordChanges',
  actions: ['route53:GetChange'],
  resources: (s) => (componentRecords(s).length > 0 ? ['arn:aws:route53:::change/*'] : []),
};

/** The access point's routes, read and switched; authorised on the Multi-Region Access Point itself. */
const SWITCH_ACCESS_POINT_ROUTES: Grant = {
  sid: 'SwitchAccessPointRoutes',
  actions: ['s3:GetMultiRegionAccessPointRoutes', 's3:SubmitMultiRegionAccessPointRoutes'],
  resources: (s) => [
    ...new Set(componentsOf(s, 's3-replication').flatMap(({ c }) => (c.accessPoint ? [c.accessPoint.mrapArn] : []))),
  ],
};

/** SageMaker names endpoints in ARNs in lower case. */
const RAISE_SAGEMAKER_ENDPOINTS: Grant = {
  sid: 'RaiseSageMakerEndpoints',
  actions: ['sagemaker:DescribeEndpoint', 'sagemaker:UpdateEndpointWeightsAndCapacities'],
  resources: (s) =>
    capacityOf(s, 'sagemaker-endpoint').map(
      ({ plan, target }) =>
        `arn:aws:sagemaker:${plan.regions.standby}:${plan.accountId}:endpoint/${target.endpointName.toLowerCase()}`,
    ),
};

/** The cluster named by ARN or by name; the service ARN is `service/<cluster name>/<service name>`. */
const RAISE_ECS_SERVICES: Grant = {
  sid: 'RaiseEcsServices',
  actions: ['ecs:DescribeServices', 'ecs:UpdateService'],
  resources: (s) =>
    capacityOf(s, 'ecs-service').map(({ plan, target }) => {
      const cluster = target.cluster.split('/').at(-1);
      return `arn:aws:ecs:${plan.regions.standby}:${plan.accountId}:service/${cluster}/${target.service}`;
    }),
};

const RAISE_AUTO_SCALING_GROUPS: Grant = {
  sid: 'RaiseAutoScalingGroups',
  actions: ['autoscaling:SetDesiredCapacity'],
  resources: (s) =>
    capacityOf(s, 'auto-scaling-group').map(
      ({ plan, target }) =>
        `arn:aws:autoscaling:${plan.regions.standby}:${plan.accountId}:autoScalingGroup:*:autoScalingGroupName/${target.groupName}`,
    ),
};

/** DescribeAutoScalingGroups has no resource-level permissions: AWS documents only "*". */
const DESCRIBE_AUTO_SCALING_GROUPS: Grant = {
  sid: 'DescribeAutoScalingGroups',
  actions: ['autoscaling:DescribeAutoScalingGroups'],
  resources: (s) => (capacityOf(s, 'auto-scaling-group').length > 0 ? ['*'] : []),
};

const INVOKE_CUSTOM_ACTIONS: Grant = {
  sid: 'InvokeCustomActions',
  actions: ['lambda:InvokeFunction'],
  resources: (s) => [...new Set(componentsOf(s, 'custom-action').map(({ c }) => c.functionArn))],
};

/** The replica buckets the model-artifact check asks, from every plan with an `artifacts` section. */
const replicaBuckets = (s: Scope): string[] => [
  ...new Set(s.plans.flatMap((plan) => (plan.artifacts ? Object.values(artifactBuckets(plan)) : []))),
];
const registrySecrets = (s: Scope) =>
  s.plans.flatMap((plan) => {
    const ref = plan.artifacts?.registry.credentials;
    return ref && 'secretsManager' in ref ? [{ plan, ref }] : [];
  });

/**
 * HeadObject needs s3:GetObject on the object; with s3:ListBucket on the bucket too, S3 answers a key that does not
 * exist 404 (missing) rather than 403, which says nothing (S3 API Reference, HeadObject, Permissions:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html). The check reads both; it writes nothing.
 */
const HEAD_MODEL_ARTIFACTS: Grant = {
  sid: 'HeadModelArtifacts',
  actions: ['s3:GetObject'],
  resources: (s) => replicaBuckets(s).map((b) => `arn:aws:s3:::${b}/*`),
};
const LIST_ARTIFACT_BUCKETS: Grant = {
  sid: 'ListModelArtifactBuckets',
  actions: ['s3:ListBucket'],
  resources: (s) => replicaBuckets(s).map((b) => `arn:aws:s3:::${b}`),
};
/** The registry's read-only credentials; a customer managed key only through Secrets Manager (as grant-rows.ts). */
const READ_REGISTRY_CREDENTIALS: Grant = {
  sid: 'ReadModelRegistryCredentials',
  actions: ['secretsmanager:GetSecretValue'],
  resources: (s) => [...new Set(registrySecrets(s).map(({ plan, ref }) => secretPolicyArn(plan, ref.secretsManager)))],
};
const DECRYPT_REGISTRY_CREDENTIALS: Grant = {
  sid: 'DecryptModelRegistryCredentials',
  actions: ['kms:Decrypt'],
  resources: (s) => [...new Set(registrySecrets(s).flatMap(({ ref }) => (ref.kmsKeyArn ? [ref.kmsKeyArn] : [])))],
  condition: { StringEquals: { 'kms:ViaService': sub(`secretsmanager.\${AWS::Region}.amazonaws.com`) } },
};

/** What the model-artifact check calls: the component function's steps and the readiness check both make it. */
export const ARTIFACT_CHECK_ROWS: readonly Grant[] = [
  HEAD_MODEL_ARTIFACTS,
  LIST_ARTIFACT_BUCKETS,
  READ_REGISTRY_CREDENTIALS,
  DECRYPT_REGISTRY_CREDENTIALS,
];

const unique = (values: string[]) => [...new Set(values)];

/** Readiness of the components (core/readiness/components.ts): read only, on the same resources the run acts on. */
const READINESS_READ_REPLICATION_RULES: Grant = {
  sid: 'ReadinessReadReplicationRules',
  // GetBucketReplication authorises as s3:GetReplicationConfiguration on the source bucket.
  actions: ['s3:GetReplicationConfiguration'],
  resources: (s) => unique(componentsOf(s, 's3-replication').map(({ c }) => `arn:aws:s3:::${c.sourceBucket}`)),
};
const READINESS_READ_ACCESS_POINT_ROUTES: Grant = {
  sid: 'ReadinessReadAccessPointRoutes',
  actions: ['s3:GetMultiRegionAccessPointRoutes'],
  resources: (s) => unique(componentsOf(s, 's3-replication').flatMap(({ c }) => c.accessPoint?.mrapArn ?? [])),
};
const READINESS_DESCRIBE_SAGEMAKER_ENDPOINTS: Grant = {
  sid: 'ReadinessDescribeSageMakerEndpoints',
  actions: ['sagemaker:DescribeEndpoint'],
  resources: RAISE_SAGEMAKER_ENDPOINTS.resources,
};
const READINESS_DESCRIBE_ECS_SERVICES: Grant = {
  sid: 'ReadinessDescribeEcsServices',
  actions: ['ecs:DescribeServices'],
  resources: RAISE_ECS_SERVICES.resources,
};
const READINESS_DESCRIBE_CUSTOM_ACTIONS: Grant = {
  sid: 'ReadinessDescribeCustomActions',
  actions: ['lambda:GetFunctionConfiguration'],
  resources: (s) => unique(componentsOf(s, 'custom-action').map(({ c }) => c.functionArn)),
};
/** A global table's replica in the standby region (DescribeTable). */
const READINESS_DESCRIBE_GLOBAL_TABLES: Grant = {
  sid: 'ReadinessDescribeGlobalTables',
  actions: ['dynamodb:DescribeTable'],
  resources: (s) =>
    unique(
      componentsOf(s, 'dynamodb-global-table').map(
        ({ plan, c }) => `arn:aws:dynamodb:${plan.regions.standby}:${plan.accountId}:table/${c.tableName}`,
      ),
    ),
};
/** A component database's standby, read as the main database's is: its replica, its global cluster and members. */
const READINESS_DESCRIBE_COMPONENT_REPLICAS: Grant = {
  sid: 'ReadinessDescribeComponentReplicas',
  actions: ['rds:DescribeDBInstances'],
  resources: (s) => databasesOf(s, 'rds-instance').map(({ db }) => db.replicaInstanceArn),
};
const READINESS_DESCRIBE_COMPONENT_GLOBAL_CLUSTERS: Grant = {
  sid: 'ReadinessDescribeComponentGlobalClusters',
  actions: ['rds:DescribeGlobalClusters', 'rds:DescribeDBClusters'],
  resources: (s) =>
    databasesOf(s, 'aurora-global').flatMap(({ plan, db }) => [
      `arn:aws:rds::${plan.accountId}:global-cluster:${db.globalClusterIdentifier}`,
      db.targetClusterArn,
      db.primaryClusterArn,
    ]),
};

/** What the readiness function reads of the plans' components; nothing that changes them. */
export const COMPONENT_READINESS_ROWS: readonly Grant[] = [
  READ_GATE_METRICS,
  READINESS_READ_REPLICATION_RULES,
  READINESS_READ_ACCESS_POINT_ROUTES,
  READINESS_DESCRIBE_SAGEMAKER_ENDPOINTS,
  READINESS_DESCRIBE_ECS_SERVICES,
  DESCRIBE_AUTO_SCALING_GROUPS,
  READINESS_DESCRIBE_CUSTOM_ACTIONS,
  READINESS_DESCRIBE_GLOBAL_TABLES,
  READINESS_DESCRIBE_COMPONENT_REPLICAS,
  // Readiness reads a component database as the failover does: a standalone replica's own group too.
  READ_COMPONENT_REPLICA_FENCE_GROUPS,
  READINESS_DESCRIBE_COMPONENT_GLOBAL_CLUSTERS,
  READ_COMPONENT_SECRETS,
  DECRYPT_COMPONENT_SECRETS,
];

export const COMPONENT_ROWS: readonly (Grant | GrantPerPlan)[] = [
  READ_GATE_METRICS,
  SWITCH_ACCESS_POINT_ROUTES,
  RAISE_SAGEMAKER_ENDPOINTS,
  RAISE_ECS_SERVICES,
  RAISE_AUTO_SCALING_GROUPS,
  DESCRIBE_AUTO_SCALING_GROUPS,
  INVOKE_CUSTOM_ACTIONS,
  PROMOTE_COMPONENT_REPLICAS,
  CONFIRM_COMPONENT_FENCES,
  READ_COMPONENT_REPLICA_FENCE_GROUPS,
  FENCE_COMPONENT_SOURCES,
  SWITCH_COMPONENT_GLOBAL_CLUSTERS,
  DESCRIBE_COMPONENT_TARGET_CLUSTERS,
  READ_COMPONENT_SECRETS,
  DECRYPT_COMPONENT_SECRETS,
  CHANGE_COMPONENT_RECORDS,
  READ_COMPONENT_RECORD_CHANGES,
  ...ARTIFACT_CHECK_ROWS,
];
