/**
 * Least privilege as a table: for each function, the grants it needs, each naming its actions, the resources the
 * stack's plans give them, and why. `statementsFor` turns a function's rows into IAM statements; a row whose
 * resources come out empty (no plan of that kind in this stack) grants nothing. The whole table is checked by
 * simulation against every call the functions make (test/deploy/iam-simulation.test.ts).
 */
import { alarmArn } from '#core/arn.js';
import type { Plan } from '#core/plan.js';
import {
  alarmRuleName,
  approvalTimerGroupName,
  DEFAULT_EVENT_BUS,
  FAILOVER_FUNCTIONS,
  type FunctionName,
  functionName,
  stackName,
} from '#core/stack-names.js';
import { camelPascal, type Json, type Statement, sub } from './json.js';

/** The role EventBridge Scheduler assumes to fail an unanswered approval task. */
export const APPROVAL_TIMER_ROLE = 'ApprovalTimerRole';

/** What the rows read: the stack's plans and stage, and the resource lists derived from them once. */
interface Scope {
  plans: Plan[];
  stage: string;
  rds: Extract<Plan['database'], { kind: 'rds-instance' }>[];
  aurora: { plan: Plan; db: Extract<Plan['database'], { kind: 'aurora-global' }> }[];
  rdsPlans: Plan[];
}

interface Grant {
  sid: string;
  actions: string[];
  resources: (s: Scope) => Json[];
  condition?: Json;
}

/** A row that expands into one statement per plan (a condition that must name the plan's own record). */
interface GrantPerPlan {
  perPlan: (s: Scope) => Statement[];
}

type Row = Grant | GrantPerPlan;

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
const secretPolicyArn = (plan: Plan, ref: string): string => {
  if (!ref.startsWith('arn:')) {
    return `arn:aws:secretsmanager:${plan.regions.standby}:${plan.accountId}:secret:${ref}-??????`;
  }
  // Secrets Manager itself reads a name ending in -XXXXXX as a full ARN, so the same rule applies here.
  return /-[A-Za-z0-9]{6}$/.test(ref) ? ref : `${ref}-??????`;
};

const secretArns = (plan: Plan): string[] => {
  if (plan.database.kind !== 'postgres') return [];
  return [plan.database.primary.credentials, plan.database.standby.credentials].flatMap((ref) =>
    'secretsManager' in ref ? [secretPolicyArn(plan, ref.secretsManager)] : [],
  );
};

const secretKeyArns = (plan: Plan): string[] => {
  if (plan.database.kind !== 'postgres') return [];
  return [plan.database.primary.credentials, plan.database.standby.credentials].flatMap((ref) =>
    'secretsManager' in ref && ref.kmsKeyArn ? [ref.kmsKeyArn] : [],
  );
};

/** The stage's failover state machine, as the policies name it. */
export const stateMachineResource = (stage: string): Json =>
  sub(`arn:aws:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${stackName(stage)}`);

const replicas = (s: Scope) => s.rds.map((db) => db.replicaInstanceArn);
const targetClusters = (s: Scope) => s.aurora.map(({ db }) => db.targetClusterArn);
const globalClusters = (s: Scope) =>
  s.aurora.map(({ plan, db }) => `arn:aws:rds::${plan.accountId}:global-cluster:${db.globalClusterIdentifier}`);
const withRoute53 = (s: Scope) => s.plans.some((p) => p.dns.kind === 'route53');
const anyAwsDatabase = (s: Scope) => s.rds.length + s.aurora.length > 0;
const regionsOf = (plans: Plan[]) => [...new Set(plans.map((p) => `${p.regions.standby}:${p.accountId}`))];
const auroraPlans = (s: Scope) => s.aurora.map(({ plan }) => plan);

// ------------------------------------------------------------------------------------------------ shared rows

const DESCRIBE_REPLICAS: Grant = { sid: 'DescribeReplicas', actions: ['rds:DescribeDBInstances'], resources: replicas };
const DESCRIBE_GLOBAL_CLUSTERS: Grant = {
  sid: 'DescribeGlobalClusters',
  actions: ['rds:DescribeGlobalClusters'],
  resources: globalClusters,
};
const DESCRIBE_TARGET_CLUSTERS: Grant = {
  sid: 'DescribeTargetClusters',
  actions: ['rds:DescribeDBClusters'],
  resources: targetClusters,
};
const READ_SECRETS: Grant = {
  sid: 'ReadDatabaseCredentials',
  actions: ['secretsmanager:GetSecretValue'],
  resources: (s) => [...new Set(s.plans.flatMap(secretArns))],
};
/**
 * A secret encrypted with a customer managed key: GetSecretValue also needs kms:Decrypt on that key, and only
 * through Secrets Manager in the stack's region (kms:ViaService), so the role cannot use the key for anything else.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
 */
const DECRYPT_SECRETS: Grant = {
  sid: 'DecryptDatabaseCredentials',
  actions: ['kms:Decrypt'],
  resources: (s) => [...new Set(s.plans.flatMap(secretKeyArns))],
  condition: { StringEquals: { 'kms:ViaService': sub(`secretsmanager.\${AWS::Region}.amazonaws.com`) } },
};
// DescribeExecution authorises on the execution; names are not known in advance, the state machine is.
const DESCRIBE_RUNS: Grant = {
  sid: 'DescribeFailovers',
  actions: ['states:DescribeExecution'],
  resources: (s) => [sub(`arn:aws:states:\${AWS::Region}:\${AWS::AccountId}:execution:${stackName(s.stage)}:*`)],
};
// TestDNSAnswer has no resource-level permissions: AWS documents only "*" for it.
const READ_RECORD_ANSWER: Grant = {
  sid: 'ReadRecordAnswer',
  actions: ['route53:TestDNSAnswer'],
  resources: (s) => (withRoute53(s) ? ['*'] : []),
};
/** The CloudFormation logical id of the stack's default on-call topic (infra/notifications.ts creates it). */
export const DEFAULT_TOPIC = 'DefaultOnCallTopic';
/** The stack's default bus, as the policies name it: the stack's region and account (no plan may name them). */
const defaultBusResource = (s: Scope): Json[] =>
  // A plan of this stack naming the bus by name already names it (its standby region is the stack's).
  s.plans.some((p) => p.notify.eventBus === DEFAULT_EVENT_BUS)
    ? []
    : [sub(`arn:aws:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${DEFAULT_EVENT_BUS}`)];

/** `defaults`: also the stack's own bus, for the notifications of runs that have no plan. */
const PUT_EVENTS = (sid: string, defaults = false): Grant => ({
  sid,
  actions: ['events:PutEvents'],
  resources: (s) => [...new Set(s.plans.map(busArn)), ...(defaults ? defaultBusResource(s) : [])],
});

/** The plans' topics and the stack's own (a run without a plan pages it). */
const PAGE_ON_CALL: Grant = {
  sid: 'PageOnCall',
  actions: ['sns:Publish'],
  resources: (s) => [
    ...new Set(s.plans.flatMap((p) => (p.notify.snsTopicArn ? [p.notify.snsTopicArn] : []))),
    { Ref: DEFAULT_TOPIC },
  ],
};

/** Only the plan's own record, only UPSERT: the function cannot touch any other record of the zone. */
const CHANGE_OWN_RECORDS: GrantPerPlan = {
  perPlan: (s) =>
    s.plans.flatMap((p) =>
      p.dns.kind !== 'route53'
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

// ------------------------------------------------------------------------------------------------ the table

export const GRANTS: Readonly<Record<FunctionName, readonly Row[]>> = {
  trigger: [
    {
      sid: 'StartAndListFailovers',
      actions: ['states:StartExecution', 'states:ListExecutions'],
      resources: (s) => [stateMachineResource(s.stage)],
    },
    DESCRIBE_RUNS,
  ],
  // The run guard: the other runs of the plan, read only.
  prepare: [
    { sid: 'ListFailovers', actions: ['states:ListExecutions'], resources: (s) => [stateMachineResource(s.stage)] },
    DESCRIBE_RUNS,
  ],
  checkLag: [
    // GetMetricData has no resource-level permissions: AWS documents only "*" for it.
    {
      sid: 'ReadReplicationLagMetrics',
      actions: ['cloudwatch:GetMetricData'],
      resources: (s) => (anyAwsDatabase(s) ? ['*'] : []),
    },
    // A promoted standby publishes no lag: the reading asks whether it is already the writer (a re-run).
    DESCRIBE_REPLICAS,
    DESCRIBE_GLOBAL_CLUSTERS,
    READ_SECRETS,
    DECRYPT_SECRETS,
  ],
  fence: [
    {
      sid: 'FenceRdsSourceReadOnly',
      actions: ['rds:ModifyDBParameterGroup'],
      resources: (s) =>
        s.rdsPlans.flatMap((p) =>
          p.database.kind === 'rds-instance' && p.database.fenceParameterGroupName
            ? [`arn:aws:rds:${p.regions.primary}:${p.accountId}:pg:${p.database.fenceParameterGroupName}`]
            : [],
        ),
    },
    READ_SECRETS,
    DECRYPT_SECRETS,
  ],
  promote: [
    {
      sid: 'PromoteReadReplicas',
      actions: ['rds:PromoteReadReplica', 'rds:DescribeDBInstances'],
      resources: replicas,
    },
    {
      sid: 'SwitchOrFailOverGlobalClusters',
      actions: ['rds:SwitchoverGlobalCluster', 'rds:FailoverGlobalCluster', 'rds:DescribeGlobalClusters'],
      // The switchover and failover APIs authorise on the global cluster and on the member clusters involved.
      resources: (s) => [...globalClusters(s), ...targetClusters(s), ...s.aurora.map(({ db }) => db.primaryClusterArn)],
    },
    READ_SECRETS,
    DECRYPT_SECRETS,
  ],
  promotionStatus: [
    DESCRIBE_REPLICAS,
    DESCRIBE_GLOBAL_CLUSTERS,
    DESCRIBE_TARGET_CLUSTERS,
    READ_SECRETS,
    DECRYPT_SECRETS,
  ],
  updateDns: [
    CHANGE_OWN_RECORDS,
    READ_RECORD_ANSWER,
    DESCRIBE_REPLICAS,
    DESCRIBE_GLOBAL_CLUSTERS,
    DESCRIBE_TARGET_CLUSTERS,
    READ_SECRETS,
    DECRYPT_SECRETS,
  ],
  dnsStatus: [
    // Change ids are not known before the change is made; the action is the only one allowed on them.
    {
      sid: 'ReadChangeStatus',
      actions: ['route53:GetChange'],
      resources: (s) => (withRoute53(s) ? ['arn:aws:route53:::change/*'] : []),
    },
  ],
  verify: [READ_RECORD_ANSWER],
  // Reads everything a failover needs, in place, and changes nothing.
  readiness: [
    {
      sid: 'ReadinessDescribeReplicas',
      // The replica in the standby region; its source in the primary region (the writer's endpoint).
      actions: ['rds:DescribeDBInstances'],
      resources: (s) => s.rds.flatMap((db) => [db.replicaInstanceArn, db.sourceInstanceArn]),
    },
    {
      sid: 'ReadinessDescribeInstanceBackups',
      actions: ['rds:DescribeDBSnapshots', 'rds:DescribeDBInstanceAutomatedBackups'],
      // Snapshot and replicated-backup names are made by RDS and by backup schedules: they cannot be named in
      // advance, so these are the standby region's snapshots and automated backups of the account.
      resources: (s) => [
        ...s.rds.flatMap((db) => [db.replicaInstanceArn, db.sourceInstanceArn]),
        ...regionsOf(s.rdsPlans).flatMap((ra) => [`arn:aws:rds:${ra}:snapshot:*`, `arn:aws:rds:${ra}:auto-backup:*`]),
      ],
    },
    {
      sid: 'ReadinessDescribeGlobalClusters',
      actions: ['rds:DescribeGlobalClusters'],
      resources: globalClusters,
    },
    {
      sid: 'ReadinessDescribeClusters',
      actions: ['rds:DescribeDBClusters'],
      resources: (s) => s.aurora.flatMap(({ db }) => [db.targetClusterArn, db.primaryClusterArn]),
    },
    {
      sid: 'ReadinessDescribeClusterSnapshots',
      actions: ['rds:DescribeDBClusterSnapshots'],
      // As above: cluster snapshot names cannot be known in advance.
      resources: (s) => [
        ...s.aurora.flatMap(({ db }) => [db.targetClusterArn, db.primaryClusterArn]),
        ...regionsOf(auroraPlans(s)).map((ra) => `arn:aws:rds:${ra}:cluster-snapshot:*`),
      ],
    },
    // GetMetricData has no resource-level permissions: AWS documents only "*" for it.
    {
      sid: 'ReadinessReadLagMetrics',
      actions: ['cloudwatch:GetMetricData'],
      resources: (s) => (anyAwsDatabase(s) ? ['*'] : []),
    },
    {
      sid: 'ReadinessReadRecords',
      actions: ['route53:ListResourceRecordSets'],
      resources: (s) =>
        [...new Set(s.plans.flatMap((p) => (p.dns.kind === 'route53' ? [p.dns.hostedZoneId] : [])))].map(
          (z) => `arn:aws:route53:::hostedzone/${z}`,
        ),
    },
    {
      sid: 'ReadinessDescribeTriggerAlarms',
      actions: ['cloudwatch:DescribeAlarms'],
      resources: (s) => s.plans.flatMap((p) => p.trigger.alarms.map((a) => alarmArn(p, a))),
    },
    {
      sid: 'ReadinessDescribeAlarmRules',
      actions: ['events:DescribeRule', 'events:ListTargetsByRule'],
      resources: (s) =>
        s.plans.flatMap((p) =>
          p.trigger.alarms.map(
            (_, i) => `arn:aws:events:${p.regions.standby}:${p.accountId}:rule/${alarmRuleName(s.stage, p.name, i)}`,
          ),
        ),
    },
    {
      sid: 'ReadinessDescribeStateMachine',
      actions: ['states:DescribeStateMachine'],
      resources: (s) => [stateMachineResource(s.stage)],
    },
    {
      sid: 'ReadinessDescribeFunctions',
      actions: ['lambda:GetFunctionConfiguration'],
      resources: (s) =>
        FAILOVER_FUNCTIONS.map((fn) =>
          sub(`arn:aws:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${functionName(s.stage, fn)}`),
        ),
    },
    PUT_EVENTS('PutReadinessReports'),
    READ_SECRETS,
    DECRYPT_SECRETS,
  ],
  notify: [
    // Approval requests arm the plan's deadline: one-time schedules in the stack's own group, whose target runs
    // as the approval timer role (which may only fail tasks of this state machine).
    {
      sid: 'ArmApprovalDeadlines',
      actions: ['scheduler:CreateSchedule'],
      // Schedule names derive from task tokens, unknown in advance: any schedule, but only in this group.
      resources: (s) => [
        sub(`arn:aws:scheduler:\${AWS::Region}:\${AWS::AccountId}:schedule/${approvalTimerGroupName(s.stage)}/*`),
      ],
    },
    {
      sid: 'PassApprovalTimerRoleToScheduler',
      actions: ['iam:PassRole'],
      resources: () => [{ 'Fn::GetAtt': [APPROVAL_TIMER_ROLE, 'Arn'] }],
      condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    },
    PUT_EVENTS('PutFailoverEvents', true),
    PAGE_ON_CALL,
  ],
  // A run stopped, timed out or failed outside the Catch: read how it ended, then notify like notify does.
  runEnded: [
    {
      sid: 'ReadEndedRuns',
      actions: ['states:GetExecutionHistory'],
      resources: (s) => [sub(`arn:aws:states:\${AWS::Region}:\${AWS::AccountId}:execution:${stackName(s.stage)}:*`)],
    },
    PUT_EVENTS('PutFailoverEvents', true),
    PAGE_ON_CALL,
  ],
};

const scopeOf = (plans: Plan[], stage: string): Scope => ({
  plans,
  stage,
  rds: plans.flatMap((p) => (p.database.kind === 'rds-instance' ? [p.database] : [])),
  aurora: plans.flatMap((plan) => (plan.database.kind === 'aurora-global' ? [{ plan, db: plan.database }] : [])),
  rdsPlans: plans.filter((p) => p.database.kind === 'rds-instance'),
});

/** Each function's statements: its rows of the table, on the resources the plans name; empty rows left out. */
export const statementsFor = (fn: FunctionName, plans: Plan[], stage: string): Statement[] => {
  const scope = scopeOf(plans, stage);
  return GRANTS[fn].flatMap((row): Statement[] => {
    if ('perPlan' in row) return row.perPlan(scope);
    const resources = row.resources(scope);
    if (resources.length === 0) return [];
    return [
      {
        Sid: row.sid,
        Effect: 'Allow',
        Action: row.actions,
        Resource: resources,
        ...(row.condition ? { Condition: row.condition } : {}),
      },
    ];
  });
};
