import { PlanValidationError } from '#core/errors.js';
import { rebuiltReplicaArn } from '#core/failback.js';
import type { Plan, PlanWithDatabase } from '#core/plan.js';
import { DEFAULT_EVENT_BUS, functionName, stackName } from '#core/stack-names.js';
import { RUN_FUNCTIONS } from '#core/warm-up.js';
import { camelPascal, type Json, type Statement, sub } from './json.js';

/** The role EventBridge Scheduler assumes to fail an unanswered approval task. */
export const APPROVAL_TIMER_ROLE = 'ApprovalTimerRole';

/** What the rows read: the stack's plans and stage, and the resource lists derived from them once. */
export interface Scope {
  plans: Plan[];
  stage: string;
  rds: Extract<Plan['database'], { kind: 'rds-instance' }>[];
  aurora: { plan: Plan; db: Extract<Plan['database'], { kind: 'aurora-global' }> }[];
  rdsPlans: Plan[];
  /** RDS plans whose primary region is this stack's: it runs their way back (core/failback.ts), as written. */
  wayBack: PlanWithDatabase<'rds-instance'>[];
  /** Aurora plans whose primary region is this stack's: their way back (core/aurora-failback.ts), as written. */
  auroraWayBack: PlanWithDatabase<'aurora-global'>[];
}

export interface Grant {
  sid: string;
  actions: string[];
  resources: (s: Scope) => Json[];
  condition?: Json;
}

/** A row that expands into one statement per plan (a condition that must name the plan's own record). */
export interface GrantPerPlan {
  perPlan: (s: Scope) => Statement[];
}

export type Row = Grant | GrantPerPlan;

export const busArn = (plan: Plan) =>
  plan.notify.eventBus.startsWith('arn:')
    ? plan.notify.eventBus
    : `arn:aws:events:${plan.regions.standby}:${plan.accountId}:event-bus/${plan.notify.eventBus}`;

/**
 * Secrets Manager ends every secret's ARN with `-` and six random characters. A full ARN (its name ends in them)
 * is granted as it is; a name or a partial ARN gets `-??????`, which matches exactly those six characters, where
 * `-*` would also match any other secret whose name starts with this one and a dash (`orders-db-admin-AbC123`).
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/permissions_grant-limited-resources.html
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html
 */
export const secretPolicyArn = (plan: Plan, ref: string): string => {
  if (!ref.startsWith('arn:')) {
    return `arn:aws:secretsmanager:${plan.regions.standby}:${plan.accountId}:secret:${ref}-??????`;
  }
  // Secrets Manager itself reads a name ending in -XXXXXX as a full ARN, so the same rule applies here.
  return /-[A-Za-z0-9]{6}$/.test(ref) ? ref : `${ref}-??????`;
};

export const secretArns = (plan: Plan): string[] => {
  if (plan.database.kind !== 'postgres') return [];
  return [plan.database.primary.credentials, plan.database.standby.credentials].flatMap((ref) =>
    'secretsManager' in ref ? [secretPolicyArn(plan, ref.secretsManager)] : [],
  );
};

export const secretKeyArns = (plan: Plan): string[] => {
  if (plan.database.kind !== 'postgres') return [];
  return [plan.database.primary.credentials, plan.database.standby.credentials].flatMap((ref) =>
    'secretsManager' in ref && ref.kmsKeyArn ? [ref.kmsKeyArn] : [],
  );
};

/** The stage's failover state machine, as the policies name it. */
export const stateMachineResource = (stage: string): Json =>
  sub(`arn:aws:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${stackName(stage)}`);

export const replicas = (s: Scope) => s.rds.map((db) => db.replicaInstanceArn);
export const targetClusters = (s: Scope) => s.aurora.map(({ db }) => db.targetClusterArn);
export const globalClusters = (s: Scope) =>
  s.aurora.map(({ plan, db }) => `arn:aws:rds::${plan.accountId}:global-cluster:${db.globalClusterIdentifier}`);
/** Plans whose runs rewrite their Route 53 record (traffic `upsert`): the others never call the control plane to switch. */
export const withRoute53Upsert = (s: Scope) =>
  s.plans.some((p) => p.dns.kind === 'route53' && (p.traffic?.kind ?? 'upsert') === 'upsert');
export const anyAwsDatabase = (s: Scope) => s.rds.length + s.aurora.length > 0;
/** The RDS plans a planned run can fence: with the source's custom parameter group named. */
export const fencedRdsPlans = (s: Scope) =>
  s.rdsPlans.flatMap((p) =>
    p.database.kind === 'rds-instance' && p.database.fenceParameterGroupName
      ? [
          {
            ...p.database,
            fenceParameterGroupName: p.database.fenceParameterGroupName,
            regions: p.regions,
            accountId: p.accountId,
          },
        ]
      : [],
  );
export const regionsOf = (plans: Plan[]) => [...new Set(plans.map((p) => `${p.regions.standby}:${p.accountId}`))];
export const auroraPlans = (s: Scope) => s.aurora.map(({ plan }) => plan);

// ------------------------------------------------------------------------------------------------ shared rows

export const DESCRIBE_REPLICAS: Grant = {
  sid: 'DescribeReplicas',
  actions: ['rds:DescribeDBInstances'],
  resources: replicas,
};
/** A DB parameter group's ARN, as RDS authorises ModifyDBParameterGroup and DescribeDBParameters on it. */
export const parameterGroupArn = (plan: Pick<Plan, 'accountId'>, region: string, name: string): string =>
  `arn:aws:rds:${region}:${plan.accountId}:pg:${name}`;

/**
 * A standalone replica is the writer only if its own parameter group does not fence it (core/stale-writer.ts): the
 * plan's `replicaFenceParameterGroupName`, read (DescribeDBParameters) in the standby region, where the replica is.
 */
export const READ_REPLICA_FENCE_GROUPS: Grant = {
  sid: 'ReadReplicaFenceGroups',
  actions: ['rds:DescribeDBParameters'],
  resources: (s) =>
    s.rdsPlans.flatMap((p) =>
      p.database.kind === 'rds-instance' && p.database.replicaFenceParameterGroupName
        ? [parameterGroupArn(p, p.regions.standby, p.database.replicaFenceParameterGroupName)]
        : [],
    ),
};
export const DESCRIBE_GLOBAL_CLUSTERS: Grant = {
  sid: 'DescribeGlobalClusters',
  actions: ['rds:DescribeGlobalClusters'],
  resources: globalClusters,
};
export const DESCRIBE_TARGET_CLUSTERS: Grant = {
  sid: 'DescribeTargetClusters',
  actions: ['rds:DescribeDBClusters'],
  resources: targetClusters,
};
export const READ_SECRETS: Grant = {
  sid: 'ReadDatabaseCredentials',
  actions: ['secretsmanager:GetSecretValue'],
  resources: (s) => [...new Set(s.plans.flatMap(secretArns))],
};
/**
 * A secret encrypted with a customer managed key: GetSecretValue also needs kms:Decrypt on that key, and only
 * through Secrets Manager in the key's region (kms:ViaService), so the role cannot use the key for anything else.
 * The key is in the secret's region: the stack's own, and the standby region's for the stack that runs a plan's way
 * back (core/direction.ts reads its secrets there). One statement per region.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
 */
export const DECRYPT_SECRETS: GrantPerPlan = {
  perPlan: (s) => {
    const keys = [...new Set(s.plans.flatMap(secretKeyArns))];
    const regions = [...new Set(keys.map((key) => key.split(':')[3] ?? ''))];
    return regions.map((region) => ({
      Sid: `DecryptDatabaseCredentials${camelPascal(region)}`,
      Effect: 'Allow' as const,
      Action: ['kms:Decrypt'],
      Resource: keys.filter((key) => key.split(':')[3] === region),
      Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
    }));
  },
};
// DescribeExecution authorises on the execution; names are not known in advance, the state machine is.
export const DESCRIBE_RUNS: Grant = {
  sid: 'DescribeFailovers',
  actions: ['states:DescribeExecution'],
  resources: (s) => [sub(`arn:aws:states:\${AWS::Region}:\${AWS::AccountId}:execution:${stackName(s.stage)}:*`)],
};
/**
 * Plans whose steps read their record through Route 53's control plane (UpdateDns's read of the old answer, Verify):
 * `upsert` without `traffic.verify`. The data-plane mechanisms, and upserts with `traffic.verify`, ask a resolver.
 */
const readsRecordThroughRoute53 = (p: Plan) =>
  p.dns.kind === 'route53' && (p.traffic?.kind ?? 'upsert') === 'upsert' && !p.traffic?.verify;
// TestDNSAnswer has no resource-level permissions: AWS documents only "*" for it.
export const READ_RECORD_ANSWER: Grant = {
  sid: 'ReadRecordAnswer',
  actions: ['route53:TestDNSAnswer'],
  resources: (s) => (s.plans.some(readsRecordThroughRoute53) ? ['*'] : []),
};
/** The plans' hosted zones, as IAM names them. */
export const planZones = (s: Scope) =>
  [...new Set(s.plans.flatMap((p) => (p.dns.kind === 'route53' ? [p.dns.hostedZoneId] : [])))].map(
    (z) => `arn:aws:route53:::hostedzone/${z}`,
  );
// Reading a record back chooses by the zone's type (GetHostedZone): a private zone is read with
// ListResourceRecordSets, since TestDNSAnswer supports public zones only.
export const READ_RECORD_BACK: Grant = {
  sid: 'ReadRecordBack',
  actions: ['route53:GetHostedZone', 'route53:ListResourceRecordSets'],
  resources: (s) => planZones({ ...s, plans: s.plans.filter(readsRecordThroughRoute53) }),
};
/** The CloudFormation logical id of the stack's default on-call topic (infra/notifications.ts creates it). */
export const DEFAULT_TOPIC = 'DefaultOnCallTopic';
/** The stack's default bus, as the policies name it: the stack's region and account (no plan may name them). */
export const defaultBusResource = (s: Scope): Json[] =>
  // A plan of this stack naming the bus by name already names it (its standby region is the stack's).
  s.plans.some((p) => p.notify.eventBus === DEFAULT_EVENT_BUS)
    ? []
    : [sub(`arn:aws:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${DEFAULT_EVENT_BUS}`)];

/** `defaults`: also the stack's own bus, for the notifications of runs that have no plan. */
export const PUT_EVENTS = (sid: string, defaults = false): Grant => ({
  sid,
  actions: ['events:PutEvents'],
  resources: (s) => [...new Set(s.plans.map(busArn)), ...(defaults ? defaultBusResource(s) : [])],
});

/** The plans' topics and the stack's own (a run without a plan pages it). */
export const PAGE_ON_CALL: Grant = {
  sid: 'PageOnCall',
  actions: ['sns:Publish'],
  resources: (s) => [
    ...new Set(s.plans.flatMap((p) => (p.notify.snsTopicArn ? [p.notify.snsTopicArn] : []))),
    { Ref: DEFAULT_TOPIC },
  ],
};

/** The warm-up of a run's functions (core/warm-up.ts), when a plan of the stack has it on: this stage's, by name. */
export const WARM_UP = (alsoPrepare: boolean): Grant => ({
  sid: 'WarmUpRunFunctions',
  actions: ['lambda:InvokeFunction'],
  resources: (s) =>
    s.plans.some((p) => p.coldStarts.warmUp)
      ? [...(alsoPrepare ? (['prepare'] as const) : []), ...RUN_FUNCTIONS].map((fn) =>
          sub(`arn:aws:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${functionName(s.stage, fn)}`),
        )
      : [],
});

/** Only the plan's own record, only UPSERT: the function cannot touch any other record of the zone. */
export const CHANGE_OWN_RECORDS: GrantPerPlan = {
  perPlan: (s) =>
    s.plans.flatMap((p) =>
      p.dns.kind !== 'route53' || (p.traffic?.kind ?? 'upsert') !== 'upsert'
        ? []
        : [
            {
              Sid: `ChangeRecord${camelPascal(p.name)}`,
              Effect: 'Allow' as const,
              Action: ['route53:ChangeResourceRecordSets'],
              Resource: [`arn:aws:route53:::hostedzone/${p.dns.hostedZoneId}`],
              Condition: {
                'ForAllValues:StringEquals': {
                  'route53:ChangeResourceRecordSetsNormalizedRecordNames': [
                    p.dns.recordName.replace(/\.$/, '').toLowerCase(),
                  ],
                  'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
                  'route53:ChangeResourceRecordSetsRecordTypes': [p.dns.recordType],
                },
              },
            },
          ],
    ),
};

// ------------------------------------------------------------------------------------------------ private hosts

interface StackVpc {
  subnetIds: string[];
  securityGroupIds: string[];
}

const key = (vpc: StackVpc | undefined) =>
  vpc ? `${[...vpc.subnetIds].sort().join(',')}|${[...vpc.securityGroupIds].sort().join(',')}` : 'none';

/** The stack's one VPC configuration, or undefined; plans that disagree are refused, each named. */
export const stackVpc = (plans: readonly Plan[]): StackVpc | undefined => {
  const postgres = plans.flatMap((p) => (p.database.kind === 'postgres' ? [{ plan: p, vpc: p.database.vpc }] : []));
  const kinds = new Map(postgres.map((p) => [key(p.vpc), p]));
  if (kinds.size > 1) {
    const which = postgres.map((p) => `${p.plan.name}: ${p.vpc ? key(p.vpc) : 'no vpc'}`).join('; ');
    throw new PlanValidationError('plans of this stack', [
      {
        path: 'database.vpc',
        message: `every postgres plan of one stack must name the same vpc, or none (one per function; for a plan whose way back the stack runs, its wayBackVpc): ${which}`,
      },
    ]);
  }
  return postgres[0]?.vpc;
};

/**
 * Verify's one VPC configuration (`traffic.verify.vpc`), or undefined. Plans without one share it; plans naming
 * different ones are refused, each named (a function has one VpcConfig).
 */
export const verifyStackVpc = (plans: readonly Plan[]): StackVpc | undefined => {
  const named = plans.flatMap((p) => (p.traffic.verify?.vpc ? [{ plan: p, vpc: p.traffic.verify.vpc }] : []));
  if (new Set(named.map((n) => `${n.vpc.vpcId}|${key(n.vpc)}`)).size > 1) {
    const which = named.map((n) => `${n.plan.name}: ${n.vpc.vpcId} ${key(n.vpc)}`).join('; ');
    throw new PlanValidationError('plans of this stack', [
      {
        path: 'traffic.verify.vpc',
        message: `every plan of one stack that names traffic.verify.vpc must name the same one (one per function; for a plan whose way back the stack runs, its wayBackVpc): ${which}`,
      },
    ]);
  }
  return named[0]?.vpc;
};

const eni = () => sub(`arn:aws:ec2:\${AWS::Region}:\${AWS::AccountId}:network-interface/*`);

/** The network interfaces Lambda manages in a function's subnets, and nothing else where a resource can be named. */
export const vpcRows = (vpc: StackVpc | undefined): readonly Grant[] =>
  vpc
    ? [
        {
          sid: 'CreateNetworkInterfacesInPlanSubnets',
          actions: ['ec2:CreateNetworkInterface'],
          resources: () => {
            const arn = (type: string, id: string) =>
              sub(`arn:aws:ec2:\${AWS::Region}:\${AWS::AccountId}:${type}/${id}`);
            return [
              eni(),
              ...vpc.subnetIds.map((id) => arn('subnet', id)),
              ...vpc.securityGroupIds.map((id) => arn('security-group', id)),
            ];
          },
        },
        {
          sid: 'ManageOwnNetworkInterfaces',
          actions: ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
          resources: () => [eni()],
        },
        {
          // DescribeNetworkInterfaces has no resource-level permissions: AWS documents only "*" for it.
          sid: 'DescribeNetworkInterfaces',
          actions: ['ec2:DescribeNetworkInterfaces'],
          resources: () => ['*'],
        },
      ]
    : [];

// ------------------------------------------------------------------------------------------------ the way back

const rdsArn = (plan: Plan, type: string, name: string) =>
  `arn:aws:rds:${plan.regions.primary}:${plan.accountId}:${type}:${name}`;
/** The snapshots the way back names after its runs: `<old primary>-preserved-<execution name>` (core/failback.ts). */
const preservedSnapshots = (plan: PlanWithDatabase<'rds-instance'>) =>
  rdsArn(plan, 'snapshot', `${rdsResourceId(plan.database.sourceInstanceArn)}-preserved-*`);
const rdsResourceId = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);

/** Prepare reads the three instances of an RDS way back: the writer, the rebuilt replica and the old primary. */
export const OBSERVE_WAY_BACK: Grant = {
  sid: 'ObserveRdsWayBack',
  actions: ['rds:DescribeDBInstances'],
  resources: (s) =>
    s.wayBack.flatMap((p) => [p.database.replicaInstanceArn, rebuiltReplicaArn(p), p.database.sourceInstanceArn]),
};

/**
 * The failback function: snapshot the old primary (CreateDBSnapshot authorises on the instance and the snapshot),
 * build a read replica of the writer in its region (CreateDBInstanceReadReplica authorises on the new instance, its
 * source, and the option group, parameter group and subnet group it gets: the engine's defaults, since the way back
 * names none), and read both back.
 */
export const WAY_BACK_ROWS: readonly Grant[] = [
  {
    sid: 'PreserveOldPrimary',
    actions: ['rds:CreateDBSnapshot', 'rds:DescribeDBSnapshots'],
    resources: (s) => s.wayBack.flatMap((p) => [p.database.sourceInstanceArn, preservedSnapshots(p)]),
  },
  {
    sid: 'RebuildReplicaOfWriter',
    actions: ['rds:CreateDBInstanceReadReplica'],
    resources: (s) =>
      s.wayBack.flatMap((p) => [
        rebuiltReplicaArn(p),
        p.database.replicaInstanceArn,
        rdsArn(p, 'og', 'default:*'),
        rdsArn(p, 'pg', 'default.*'),
        rdsArn(p, 'subgrp', 'default'),
      ]),
  },
  {
    sid: 'WatchRebuild',
    actions: ['rds:DescribeDBInstances'],
    resources: (s) => s.wayBack.flatMap((p) => [p.database.replicaInstanceArn, rebuiltReplicaArn(p)]),
  },
  {
    // An encrypted replica in another Region is encrypted with the plan's key of this Region; RDS uses it on the
    // caller's behalf (a grant), and only through RDS in this Region.
    sid: 'EncryptRebuiltReplica',
    actions: ['kms:CreateGrant', 'kms:DescribeKey'],
    resources: (s) => s.wayBack.flatMap((p) => (p.database.rebuildKmsKeyArn ? [p.database.rebuildKmsKeyArn] : [])),
    condition: { StringEquals: { 'kms:ViaService': sub(`rds.\${AWS::Region}.amazonaws.com`) } },
  },
];
