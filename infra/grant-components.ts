/**
 * The grants of the component function (plan `components`): exactly the calls its steps make through the existing
 * adapters (functions/adapters/components/, functions/adapters/artifacts/), on the plans' own resources, each in the
 * Region the call goes to. A stack whose plans have no components and no artifacts section grants it nothing.
 */

import type { Plan } from '#core/plan.js';
import { artifactBuckets } from '#core/plan-artifacts.js';
import type { ComponentConfig } from '#core/plan-components.js';
import { type Grant, type Scope, secretPolicyArn } from './grant-rows.js';
import { sub } from './json.js';

type Of<K extends ComponentConfig['kind']> = Extract<ComponentConfig, { kind: K }>;
const componentsOf = <K extends ComponentConfig['kind']>(s: Scope, kind: K): { plan: Plan; c: Of<K> }[] =>
  s.plans.flatMap((plan) => (plan.components ?? []).flatMap((c) => (c.kind === kind ? [{ plan, c: c as Of<K> }] : [])));
type Capacity = Of<'capacity'>['target'];
const capacityOf = <K extends Capacity['kind']>(s: Scope, kind: K) =>
  componentsOf(s, 'capacity').flatMap(({ plan, c }) =>
    c.target.kind === kind ? [{ plan, target: c.target as Extract<Capacity, { kind: K }> }] : [],
  );

/** The RPO gates read CloudWatch; GetMetricData has no resource-level permissions: AWS documents only "*". */
const READ_GATE_METRICS: Grant = {
  sid: 'ReadComponentReplicationMetrics',
  actions: ['cloudwatch:GetMetricData'],
  resources: (s) =>
    componentsOf(s, 's3-replication').length + componentsOf(s, 'dynamodb-global-table').length > 0 ? ['*'] : [],
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

export const COMPONENT_ROWS: readonly Grant[] = [
  READ_GATE_METRICS,
  SWITCH_ACCESS_POINT_ROUTES,
  RAISE_SAGEMAKER_ENDPOINTS,
  RAISE_ECS_SERVICES,
  RAISE_AUTO_SCALING_GROUPS,
  DESCRIBE_AUTO_SCALING_GROUPS,
  INVOKE_CUSTOM_ACTIONS,
  HEAD_MODEL_ARTIFACTS,
  LIST_ARTIFACT_BUCKETS,
  READ_REGISTRY_CREDENTIALS,
  DECRYPT_REGISTRY_CREDENTIALS,
];
