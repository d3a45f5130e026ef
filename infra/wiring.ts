/**
 * Infrastructure wiring derived from the plans: trigger rules for each plan alarm, a schedule per game day,
 * the event buses and topics the plans name, and one least-privilege IAM role per function. serverless.yml
 * loads it (through infra/serverless-wiring.cjs), so infrastructure and runtime read the same validated plans.
 */

import { alarmArn } from '#core/arn.js';
import { PlanValidationError } from '#core/errors.js';
import { type Plan, parseArn } from '#core/plan.js';
import {
  alarmRuleName,
  approvalTimerGroupName,
  FAILOVER_FUNCTIONS,
  FUNCTIONS,
  type FunctionName,
  functionName,
  gameDayScheduleName,
  notificationsKeyAlias,
  readinessAlarmName,
  readinessScheduleName,
  SERVICE,
  stackName,
} from '#core/stack-names.js';
import { loadPlanCatalog } from '#lib/plan-catalog.js';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
interface Statement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: Json[];
  Condition?: Json;
}

/** The role EventBridge Scheduler assumes to fail an unanswered approval task. */
export const APPROVAL_TIMER_ROLE = 'ApprovalTimerRole';

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
const sub = (template: string): Json => ({ 'Fn::Sub': template });
export const roleLogicalId = (fn: FunctionName) => `${pascal(fn)}Role`;
/** The stage's failover state machine, as the policies name it. */
const stateMachineArn = (stage: string): Json =>
  sub(`arn:aws:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${stackName(stage)}`);

/** The KMS key of the on-call topics. */
export const NOTIFICATIONS_KEY = 'NotificationsKey';
/** What the account's IAM may do with the notifications key: manage it, not use it. */
export const KMS_ADMIN_ACTIONS = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:PutKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:EnableKeyRotation',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:UpdateKeyDescription',
  'kms:ListResourceTags',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ListGrants',
  'kms:RevokeGrant',
  'kms:ListAliases',
  'kms:CreateAlias',
  'kms:UpdateAlias',
  'kms:DeleteAlias',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

const busArn = (plan: Plan) =>
  plan.notify.eventBus.startsWith('arn:')
    ? plan.notify.eventBus
    : `arn:aws:events:${plan.regions.standby}:${plan.accountId}:event-bus/${plan.notify.eventBus}`;
const secretArns = (plan: Plan): string[] => {
  if (plan.database.kind !== 'postgres') return [];
  return [plan.database.primary.credentials, plan.database.standby.credentials].flatMap((ref) =>
    'secretsManager' in ref
      ? [
          ref.secretsManager.startsWith('arn:')
            ? ref.secretsManager
            : `arn:aws:secretsmanager:${plan.regions.standby}:${plan.accountId}:secret:${ref.secretsManager}-*`,
        ]
      : [],
  );
};

/** Each function's statements: the actions it calls, on the resources the plans name. */
export const statementsFor = (fn: FunctionName, plans: Plan[], stage: string): Statement[] => {
  const s: Statement[] = [];
  const db = (kind: Plan['database']['kind']) => plans.filter((p) => p.database.kind === kind);
  const rdsPlans = db('rds-instance');
  const auroraPlans = db('aurora-global');
  const secrets = [...new Set(plans.flatMap(secretArns))];
  const add = (st: Statement) => {
    if (st.Resource.length > 0) s.push(st);
  };
  const replicaArns = rdsPlans.map((p) => (p.database.kind === 'rds-instance' ? p.database.replicaInstanceArn : ''));
  const targetClusters = auroraPlans.map((p) =>
    p.database.kind === 'aurora-global' ? p.database.targetClusterArn : '',
  );
  const globalClusters = auroraPlans.map((p) =>
    p.database.kind === 'aurora-global'
      ? `arn:aws:rds::${p.accountId}:global-cluster:${p.database.globalClusterIdentifier}`
      : '',
  );
  /** Whether each plan's standby is still a replica, or already the writer. */
  const describeStandbys = () => {
    add({ Sid: 'DescribeReplicas', Effect: 'Allow', Action: ['rds:DescribeDBInstances'], Resource: replicaArns });
    add({
      Sid: 'DescribeGlobalClusters',
      Effect: 'Allow',
      Action: ['rds:DescribeGlobalClusters'],
      Resource: globalClusters,
    });
  };
  const describeRds = () => {
    describeStandbys();
    add({
      Sid: 'DescribeTargetClusters',
      Effect: 'Allow',
      Action: ['rds:DescribeDBClusters'],
      Resource: targetClusters,
    });
  };
  const readSecrets = () =>
    add({
      Sid: 'ReadDatabaseCredentials',
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: secrets,
    });

  const stateMachine = stateMachineArn(stage);
  // DescribeExecution authorises on the execution; names are not known in advance, the state machine is.
  const describeRuns = () =>
    add({
      Sid: 'DescribeFailovers',
      Effect: 'Allow',
      Action: ['states:DescribeExecution'],
      Resource: [sub(`arn:aws:states:\${AWS::Region}:\${AWS::AccountId}:execution:${stackName(stage)}:*`)],
    });

  switch (fn) {
    case 'trigger':
      add({
        Sid: 'StartAndListFailovers',
        Effect: 'Allow',
        Action: ['states:StartExecution', 'states:ListExecutions'],
        Resource: [stateMachine],
      });
      describeRuns();
      break;
    case 'prepare':
      // The run guard: the other runs of the plan, read only.
      add({ Sid: 'ListFailovers', Effect: 'Allow', Action: ['states:ListExecutions'], Resource: [stateMachine] });
      describeRuns();
      break;
    case 'checkLag':
      if (rdsPlans.length + auroraPlans.length > 0) {
        // GetMetricData has no resource-level permissions: AWS documents only "*" for it.
        add({
          Sid: 'ReadReplicationLagMetrics',
          Effect: 'Allow',
          Action: ['cloudwatch:GetMetricData'],
          Resource: ['*'],
        });
      }
      // A promoted standby publishes no lag: the reading asks whether it is already the writer (a re-run).
      describeStandbys();
      readSecrets();
      break;
    case 'fence':
      add({
        Sid: 'FenceRdsSourceReadOnly',
        Effect: 'Allow',
        Action: ['rds:ModifyDBParameterGroup'],
        Resource: rdsPlans.flatMap((p) =>
          p.database.kind === 'rds-instance' && p.database.fenceParameterGroupName
            ? [`arn:aws:rds:${p.regions.primary}:${p.accountId}:pg:${p.database.fenceParameterGroupName}`]
            : [],
        ),
      });
      readSecrets();
      break;
    case 'promote':
      add({
        Sid: 'PromoteReadReplicas',
        Effect: 'Allow',
        Action: ['rds:PromoteReadReplica', 'rds:DescribeDBInstances'],
        Resource: replicaArns,
      });
      add({
        Sid: 'SwitchOrFailOverGlobalClusters',
        Effect: 'Allow',
        Action: ['rds:SwitchoverGlobalCluster', 'rds:FailoverGlobalCluster', 'rds:DescribeGlobalClusters'],
        // The switchover and failover APIs authorise on the global cluster and on the member clusters involved.
        Resource: [
          ...globalClusters,
          ...targetClusters,
          ...auroraPlans.map((p) => (p.database.kind === 'aurora-global' ? p.database.primaryClusterArn : '')),
        ],
      });
      readSecrets();
      break;
    case 'promotionStatus':
      describeRds();
      readSecrets();
      break;
    case 'updateDns': {
      const zones = plans.filter((p) => p.dns.kind === 'route53');
      for (const p of zones) {
        if (p.dns.kind !== 'route53') continue;
        add({
          Sid: `ChangeRecord${pascal(p.name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()))}`,
          Effect: 'Allow',
          Action: ['route53:ChangeResourceRecordSets'],
          Resource: [`arn:aws:route53:::hostedzone/${p.dns.hostedZoneId}`],
          // Only the plan's own record, only UPSERT: the function cannot touch any other record of the zone.
          Condition: {
            'ForAllValues:StringEquals': {
              'route53:ChangeResourceRecordSetsNormalizedRecordNames': [
                p.dns.recordName.replace(/\.$/, '').toLowerCase(),
              ],
              'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
              'route53:ChangeResourceRecordSetsRecordTypes': [p.dns.recordType],
            },
          },
        });
      }
      if (zones.length > 0) {
        // TestDNSAnswer has no resource-level permissions: AWS documents only "*" for it.
        add({ Sid: 'ReadRecordAnswer', Effect: 'Allow', Action: ['route53:TestDNSAnswer'], Resource: ['*'] });
      }
      describeRds();
      readSecrets();
      break;
    }
    case 'dnsStatus':
      if (plans.some((p) => p.dns.kind === 'route53')) {
        // Change ids are not known before the change is made; the action is the only one allowed on them.
        add({
          Sid: 'ReadChangeStatus',
          Effect: 'Allow',
          Action: ['route53:GetChange'],
          Resource: ['arn:aws:route53:::change/*'],
        });
      }
      break;
    case 'verify':
      if (plans.some((p) => p.dns.kind === 'route53')) {
        // TestDNSAnswer has no resource-level permissions: AWS documents only "*" for it.
        add({ Sid: 'ReadRecordAnswer', Effect: 'Allow', Action: ['route53:TestDNSAnswer'], Resource: ['*'] });
      }
      break;
    case 'readiness':
      readinessStatements(plans, stage).forEach(add);
      readSecrets();
      break;
    case 'notify':
      // Approval requests arm the plan's deadline: one-time schedules in the stack's own group, whose target runs
      // as the approval timer role (which may only fail tasks of this state machine).
      add({
        Sid: 'ArmApprovalDeadlines',
        Effect: 'Allow',
        Action: ['scheduler:CreateSchedule'],
        // Schedule names derive from task tokens, unknown in advance: any schedule, but only in this group.
        Resource: [
          sub(`arn:aws:scheduler:\${AWS::Region}:\${AWS::AccountId}:schedule/${approvalTimerGroupName(stage)}/*`),
        ],
      });
      add({
        Sid: 'PassApprovalTimerRoleToScheduler',
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: [{ 'Fn::GetAtt': [APPROVAL_TIMER_ROLE, 'Arn'] }],
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      });
      add({
        Sid: 'PutFailoverEvents',
        Effect: 'Allow',
        Action: ['events:PutEvents'],
        Resource: [...new Set(plans.map(busArn))],
      });
      add({
        Sid: 'PageOnCall',
        Effect: 'Allow',
        Action: ['sns:Publish'],
        Resource: [...new Set(plans.flatMap((p) => (p.notify.snsTopicArn ? [p.notify.snsTopicArn] : [])))],
      });
      break;
  }
  return s;
};

/** The readiness function reads everything a failover needs, in place, and changes nothing. */
const readinessStatements = (plans: Plan[], stage: string): Statement[] => {
  const rds = plans.flatMap((p) => (p.database.kind === 'rds-instance' ? [{ p, db: p.database }] : []));
  const aurora = plans.flatMap((p) => (p.database.kind === 'aurora-global' ? [{ p, db: p.database }] : []));
  const regionsOf = (list: { p: Plan }[]) => [...new Set(list.map(({ p }) => `${p.regions.standby}:${p.accountId}`))];
  const zones = [...new Set(plans.flatMap((p) => (p.dns.kind === 'route53' ? [p.dns.hostedZoneId] : [])))];
  const fnArn = (fn: FunctionName) =>
    sub(`arn:aws:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${functionName(stage, fn)}`);
  return [
    {
      Sid: 'ReadinessDescribeReplicas',
      Effect: 'Allow',
      // The replica in the standby region; its source in the primary region (the writer's endpoint).
      Action: ['rds:DescribeDBInstances'],
      Resource: rds.flatMap(({ db }) => [db.replicaInstanceArn, db.sourceInstanceArn]),
    },
    {
      Sid: 'ReadinessDescribeInstanceBackups',
      Effect: 'Allow',
      Action: ['rds:DescribeDBSnapshots', 'rds:DescribeDBInstanceAutomatedBackups'],
      // Snapshot and replicated-backup names are made by RDS and by backup schedules: they cannot be named in
      // advance, so these are the standby region's snapshots and automated backups of the account.
      Resource: [
        ...rds.flatMap(({ db }) => [db.replicaInstanceArn, db.sourceInstanceArn]),
        ...regionsOf(rds).flatMap((ra) => [`arn:aws:rds:${ra}:snapshot:*`, `arn:aws:rds:${ra}:auto-backup:*`]),
      ],
    },
    {
      Sid: 'ReadinessDescribeGlobalClusters',
      Effect: 'Allow',
      Action: ['rds:DescribeGlobalClusters'],
      Resource: aurora.map(({ p, db }) => `arn:aws:rds::${p.accountId}:global-cluster:${db.globalClusterIdentifier}`),
    },
    {
      Sid: 'ReadinessDescribeClusters',
      Effect: 'Allow',
      Action: ['rds:DescribeDBClusters'],
      Resource: aurora.flatMap(({ db }) => [db.targetClusterArn, db.primaryClusterArn]),
    },
    {
      Sid: 'ReadinessDescribeClusterSnapshots',
      Effect: 'Allow',
      Action: ['rds:DescribeDBClusterSnapshots'],
      // As above: cluster snapshot names cannot be known in advance.
      Resource: [
        ...aurora.flatMap(({ db }) => [db.targetClusterArn, db.primaryClusterArn]),
        ...regionsOf(aurora).map((ra) => `arn:aws:rds:${ra}:cluster-snapshot:*`),
      ],
    },
    // GetMetricData has no resource-level permissions: AWS documents only "*" for it.
    ...(rds.length + aurora.length > 0
      ? [
          {
            Sid: 'ReadinessReadLagMetrics',
            Effect: 'Allow' as const,
            Action: ['cloudwatch:GetMetricData'],
            Resource: ['*'],
          },
        ]
      : []),
    {
      Sid: 'ReadinessReadRecords',
      Effect: 'Allow',
      Action: ['route53:ListResourceRecordSets'],
      Resource: zones.map((z) => `arn:aws:route53:::hostedzone/${z}`),
    },
    {
      Sid: 'ReadinessDescribeTriggerAlarms',
      Effect: 'Allow',
      Action: ['cloudwatch:DescribeAlarms'],
      Resource: plans.flatMap((p) => p.trigger.alarms.map((a) => alarmArn(p, a))),
    },
    {
      Sid: 'ReadinessDescribeAlarmRules',
      Effect: 'Allow',
      Action: ['events:DescribeRule', 'events:ListTargetsByRule'],
      Resource: plans.flatMap((p) =>
        p.trigger.alarms.map(
          (_, i) => `arn:aws:events:${p.regions.standby}:${p.accountId}:rule/${alarmRuleName(stage, p.name, i)}`,
        ),
      ),
    },
    {
      Sid: 'ReadinessDescribeStateMachine',
      Effect: 'Allow',
      Action: ['states:DescribeStateMachine'],
      Resource: [stateMachineArn(stage)],
    },
    {
      Sid: 'ReadinessDescribeFunctions',
      Effect: 'Allow',
      Action: ['lambda:GetFunctionConfiguration'],
      Resource: FAILOVER_FUNCTIONS.map(fnArn),
    },
    {
      Sid: 'PutReadinessReports',
      Effect: 'Allow',
      Action: ['events:PutEvents'],
      Resource: [...new Set(plans.map(busArn))],
    },
  ];
};

/**
 * A deployed plan reads its database credentials from Secrets Manager only: an `env` reference would put the
 * password in the functions' environment (readable with lambda:GetFunctionConfiguration, shown in the console),
 * a `file` reference in the deployment package. Both are for the local drill.
 */
const refuseLocalSecrets = (plan: Plan): void => {
  if (plan.database.kind !== 'postgres') return;
  const issues = (['primary', 'standby'] as const).flatMap((side) => {
    const ref = (plan.database as Extract<Plan['database'], { kind: 'postgres' }>)[side].credentials;
    return 'secretsManager' in ref
      ? []
      : [
          {
            path: `database.${side}.credentials`,
            message: 'a deployed plan must use a secretsManager reference; env and file are for the local drill',
          },
        ];
  });
  if (issues.length > 0) throw new PlanValidationError(`plan ${plan.name}`, issues);
};

/** `rate(5 minutes)` → 300; undefined for a cron expression, whose spacing is not one number. */
export const rateSeconds = (schedule: string): number | undefined => {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(schedule);
  if (!m) return undefined;
  const unit = m[2]?.startsWith('minute') ? 60 : m[2]?.startsWith('hour') ? 3600 : 86_400;
  return Number(m[1]) * unit;
};

/** The readiness alarm of a plan; its ARN is what the topic and key policies admit CloudWatch for. */
const readinessAlarmArn = (stage: string, plan: string): Json =>
  sub(`arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${readinessAlarmName(stage, plan)}`);
/** The CloudWatch service principal: alarm actions publish to SNS as it. */
const CLOUDWATCH_SERVICE = 'cloudwatch.amazonaws.com';

/**
 * The alarm that says a plan's DR readiness is CRITICAL: `ReadinessStatus` (service, plan) at 2 in 2 of the last 3
 * runs, and missing data counts as breaching (no datapoint: the readiness function itself is not running). One
 * period per scheduled run, so only plans on a `rate(...)` schedule get one. When the plan's on-call topic is one
 * this stack creates (`topic`, a Ref to it), the alarm pages there on ALARM and again on OK, so the page clears;
 * that topic's policy and the notifications key admit CloudWatch for exactly these alarms. A plan without a topic
 * gets an alarm without actions: route its state changes (EventBridge `CloudWatch Alarm State Change`) yourself.
 */
const readinessAlarm = (plan: Plan, stage: string, topic?: Json): Json | undefined => {
  const every = plan.readiness.enabled ? rateSeconds(plan.readiness.schedule) : undefined;
  if (every === undefined) return undefined;
  // CloudWatch periods of a minute or more are whole minutes, and all periods together span at most a day.
  const period = Math.min(86_400, Math.max(60, Math.ceil(every / 60) * 60));
  const evaluationPeriods = Math.max(1, Math.min(3, Math.floor(86_400 / period)));
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: readinessAlarmName(stage, plan.name),
      AlarmDescription:
        `DR readiness of plan ${plan.name} is CRITICAL (or not reported): a failover may not work. ` +
        `Run \`dr-failover readiness --plan ${plan.name} --stage ${stage}\` to see which check.`,
      Namespace: 'DrFailover',
      MetricName: 'ReadinessStatus',
      Dimensions: [
        { Name: 'service', Value: SERVICE },
        { Name: 'plan', Value: plan.name },
      ],
      Statistic: 'Maximum',
      Period: period,
      EvaluationPeriods: evaluationPeriods,
      DatapointsToAlarm: Math.min(2, evaluationPeriods),
      Threshold: 2,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
      ...(topic === undefined ? {} : { AlarmActions: [topic], OKActions: [topic] }),
    },
  };
};

export interface Wiring {
  /** Plans whose standby region is the deployment region: the ones this stack fails over. */
  planNames: string[];
  triggerEvents: Json[];
  /** One schedule per plan with readiness enabled, each sending `{ kind: readiness, plan }`. */
  readinessEvents: Json[];
  /** The failover's functions, comma-separated, for the readiness function's STACK_FUNCTIONS. */
  stackFunctions: string;
  /** The stack's own names (functions/core/stack-names.ts), for serverless.yml. */
  names: { stateMachine: string; approvalTimerGroup: string };
  resources: { Resources: Record<string, Json> };
}

/** Everything serverless.yml needs from the plans for one stage and region. */
export const buildWiring = (plansDir: string, region: string, stage: string): Wiring => {
  const plans = [...loadPlanCatalog(plansDir).values()].filter((p) => p.regions.standby === region);
  for (const plan of plans) refuseLocalSecrets(plan);
  const triggerEvents: Json[] = [];
  const readinessEvents: Json[] = [];
  for (const plan of plans) {
    for (const [index, alarm] of plan.trigger.alarms.entries()) {
      triggerEvents.push({
        eventBridge: {
          // Named, so the readiness check can find the rule of each alarm and its grant can name it.
          name: alarmRuleName(stage, plan.name, index),
          pattern: {
            source: ['aws.cloudwatch'],
            'detail-type': ['CloudWatch Alarm State Change'],
            resources: [alarmArn(plan, alarm)],
            detail: { state: { value: ['ALARM'] } },
          },
        },
      });
    }
    if (plan.gameday) {
      triggerEvents.push({
        schedule: {
          name: gameDayScheduleName(stage, plan.name),
          description: `dr-failover game day for plan ${plan.name}`,
          rate: [plan.gameday.schedule],
          inputTransformer: {
            inputPathsMap: { time: '$.time' },
            inputTemplate: `{"kind":"gameday","plan":"${plan.name}","time":<time>}`,
          },
        },
      });
    }
    if (plan.readiness.enabled) {
      readinessEvents.push({
        schedule: {
          name: readinessScheduleName(stage, plan.name),
          description: `dr-failover readiness checks for plan ${plan.name}`,
          rate: [plan.readiness.schedule],
          input: { kind: 'readiness', plan: plan.name },
        },
      });
    }
  }

  const resources: Record<string, Json> = {};
  for (const fn of FUNCTIONS) {
    const logGroup = `arn:aws:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${functionName(stage, fn)}`;
    resources[roleLogicalId(fn)] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        Description: `dr-failover ${stage}: the ${fn} function, least privilege`,
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        Policies: [
          {
            PolicyName: `${fn}`,
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Sid: 'WriteOwnLogs',
                  Effect: 'Allow',
                  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                  Resource: [sub(`${logGroup}:*`)],
                },
                ...(statementsFor(fn, plans, stage) as unknown as Json[]),
              ],
            },
          },
        ],
      },
    };
  }

  // Resource policies name the publishers: the functions whose role is granted the publish action on that very
  // resource. Everyone else is denied, so only dr-failover speaks on its bus and topic.
  const publishersOf = (action: string, arn: string): Json[] =>
    FUNCTIONS.filter((fn) =>
      statementsFor(fn, plans, stage).some((st) => st.Action.includes(action) && st.Resource.includes(arn)),
    ).map((fn) => ({ 'Fn::GetAtt': [roleLogicalId(fn), 'Arn'] }));
  /** `alarms`: the ARNs of the readiness alarms whose actions publish here (a topic only). */
  const onlyPublishers = (action: string, arn: string, resource: Json, alarms: Json[] = []): Json[] => {
    const publishers = publishersOf(action, arn);
    return [
      {
        Sid: 'DrFailoverPublishers',
        Effect: 'Allow',
        Principal: { AWS: publishers },
        Action: action,
        Resource: resource,
      },
      ...(alarms.length === 0
        ? []
        : [
            {
              // The readiness alarms page through their actions, which CloudWatch publishes as its service
              // principal: only for these alarms of this account (confused deputy).
              Sid: 'ReadinessAlarms',
              Effect: 'Allow',
              Principal: { Service: CLOUDWATCH_SERVICE },
              Action: action,
              Resource: resource,
              Condition: {
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                ArnEquals: { 'aws:SourceArn': alarms },
              },
            },
          ]),
      {
        Sid: 'NoOtherPublishers',
        Effect: 'Deny',
        Principal: '*',
        Action: action,
        Resource: resource,
        // A service principal has no aws:PrincipalArn, and a missing key makes ArnNotEquals true: alone, this
        // would deny CloudWatch too. aws:PrincipalServiceName is present only on a service principal's own call
        // (missing, so StringNotEquals true, for roles and users), so the AND below spares exactly CloudWatch's
        // calls; CloudWatch on behalf of any other alarm still has no Allow above, and a service principal can be
        // granted only by this policy, so it is refused.
        Condition: {
          ArnNotEquals: { 'aws:PrincipalArn': publishers },
          ...(alarms.length === 0 ? {} : { StringNotEquals: { 'aws:PrincipalServiceName': CLOUDWATCH_SERVICE } }),
        },
      },
    ];
  };

  resources.ApprovalTimerGroup = {
    Type: 'AWS::Scheduler::ScheduleGroup',
    Properties: { Name: approvalTimerGroupName(stage) },
  };
  resources[APPROVAL_TIMER_ROLE] = {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `dr-failover ${stage}: EventBridge Scheduler fails an approval request nobody answered by its deadline`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Action: 'sts:AssumeRole',
            // Only schedules of this stack's approval group may use the role (confused deputy).
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnEquals: {
                'aws:SourceArn': sub(
                  `arn:aws:scheduler:\${AWS::Region}:\${AWS::AccountId}:schedule-group/${approvalTimerGroupName(stage)}`,
                ),
              },
            },
          },
        ],
      },
      Policies: [
        {
          PolicyName: 'approval-timer',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'FailUnansweredApprovals',
                Effect: 'Allow',
                Action: ['states:SendTaskFailure'],
                Resource: [stateMachineArn(stage)],
              },
            ],
          },
        },
      ],
    },
  };

  const buses = new Set(plans.filter((p) => !p.notify.eventBus.startsWith('arn:')).map((p) => p.notify.eventBus));
  for (const bus of buses) {
    const owner = plans.find((p) => p.notify.eventBus === bus) as Plan;
    const arn = busArn(owner);
    resources[`${pascal(bus.replace(/[^A-Za-z0-9]/g, ''))}EventBus`] = {
      Type: 'AWS::Events::EventBus',
      Properties: {
        Name: bus,
        Policy: { Version: '2012-10-17', Statement: onlyPublishers('events:PutEvents', arn, arn) },
      },
    };
  }
  const topics = new Map<string, string>();
  for (const p of plans) {
    const arn = p.notify.snsTopicArn ? parseArn(p.notify.snsTopicArn) : undefined;
    if (arn && p.notify.snsTopicArn) topics.set(arn.resource, p.notify.snsTopicArn);
  }
  const topicLogicalId = (topic: string) => `${pascal(topic.replace(/[^A-Za-z0-9]/g, ''))}Topic`;
  // Each plan's readiness alarm, paging on the plan's topic when this stack creates it (every topic a plan names).
  const alarmsByTopic = new Map<string, Json[]>();
  for (const plan of plans) {
    const topic = plan.notify.snsTopicArn ? parseArn(plan.notify.snsTopicArn)?.resource : undefined;
    const alarm = readinessAlarm(plan, stage, topic && topics.has(topic) ? { Ref: topicLogicalId(topic) } : undefined);
    if (!alarm) continue;
    resources[`${pascal(plan.name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()))}ReadinessAlarm`] = alarm;
    if (topic && topics.has(topic)) {
      alarmsByTopic.set(topic, [...(alarmsByTopic.get(topic) ?? []), readinessAlarmArn(stage, plan.name)]);
    }
  }
  if (topics.size > 0) {
    // A key of the stack's own, not alias/aws/sns: an AWS managed key's policy cannot name the publishers.
    const topicArns = [...topics.values()];
    const publishers = [
      ...new Set(topicArns.flatMap((arn) => publishersOf('sns:Publish', arn).map((r) => JSON.stringify(r)))),
    ].map((r) => JSON.parse(r) as Json);
    const alarms = [...alarmsByTopic.values()].flat();
    resources[NOTIFICATIONS_KEY] = {
      Type: 'AWS::KMS::Key',
      Properties: {
        Description: `dr-failover ${stage}: encrypts the on-call topics at rest`,
        EnableKeyRotation: true,
        KeyPolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              // Administration through IAM in this account, so the key never becomes unmanageable. No use of the
              // key (encrypt, decrypt) is granted here. In a key policy, "*" is this key.
              Sid: 'AdministerThroughIam',
              Effect: 'Allow',
              Principal: { AWS: sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:root`) },
              Action: KMS_ADMIN_ACTIONS,
              Resource: '*',
            },
            {
              // Publishing to an encrypted topic needs the publisher to be allowed to use its key, through SNS only.
              Sid: 'PublishersThroughSns',
              Effect: 'Allow',
              Principal: { AWS: publishers },
              Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
              Resource: '*',
              Condition: { StringEquals: { 'kms:ViaService': sub(`sns.\${AWS::Region}.amazonaws.com`) } },
            },
            ...(alarms.length === 0
              ? []
              : [
                  {
                    // An alarm action's publish to an encrypted topic needs CloudWatch's service principal to use
                    // the key (SNS "event sources from AWS services and encrypted topics"). SNS documents
                    // `kms:GenerateDataKey*`; SNS's publish path calls GenerateDataKey and Decrypt, named here as
                    // for the functions. CloudWatch's calls carry aws:SourceAccount and aws:SourceArn (the alarm),
                    // which SNS recommends conditioning on for AWS service sources (EventBridge excepted), so only
                    // the readiness alarms of this account may use the key.
                    Sid: 'ReadinessAlarmsThroughSns',
                    Effect: 'Allow',
                    Principal: { Service: CLOUDWATCH_SERVICE },
                    Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
                    Resource: '*',
                    Condition: {
                      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                      ArnEquals: { 'aws:SourceArn': alarms },
                    },
                  },
                ]),
          ],
        },
      },
    };
    resources[`${NOTIFICATIONS_KEY}Alias`] = {
      Type: 'AWS::KMS::Alias',
      Properties: { AliasName: notificationsKeyAlias(stage), TargetKeyId: { Ref: NOTIFICATIONS_KEY } },
    };
  }
  for (const [topic, arn] of topics) {
    const logicalId = topicLogicalId(topic);
    resources[logicalId] = {
      Type: 'AWS::SNS::Topic',
      // Encrypted at rest: failover messages name databases, regions and people.
      Properties: { TopicName: topic, KmsMasterKeyId: { 'Fn::GetAtt': [NOTIFICATIONS_KEY, 'Arn'] } },
    };
    resources[`${logicalId}Policy`] = {
      Type: 'AWS::SNS::TopicPolicy',
      Properties: {
        Topics: [{ Ref: logicalId }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: onlyPublishers('sns:Publish', arn, { Ref: logicalId }, alarmsByTopic.get(topic)),
        },
      },
    };
  }
  return {
    planNames: plans.map((p) => p.name),
    triggerEvents,
    readinessEvents,
    stackFunctions: FAILOVER_FUNCTIONS.map((fn) => functionName(stage, fn)).join(','),
    names: { stateMachine: stackName(stage), approvalTimerGroup: approvalTimerGroupName(stage) },
    resources: { Resources: resources },
  };
};
