/**
 * Least privilege as a table: for each function, the grants it needs, each naming its actions, the resources the
 * stack's plans give them, and why. `statementsFor` turns a function's rows into IAM statements; a row whose
 * resources come out empty (no plan of that kind in this stack) grants nothing. The whole table is checked by
 * simulation against every call the functions make (test/deploy/iam-simulation.test.ts).
 */
import { alarmArn } from '#core/arn.js';
import { orientPlan } from '#core/direction.js';
import type { Plan } from '#core/plan.js';
import {
  alarmRuleName,
  approvalTimerGroupName,
  FAILOVER_FUNCTIONS,
  type FunctionName,
  functionName,
  stackName,
} from '#core/stack-names.js';
import { AURORA_WAY_BACK_ROWS, OBSERVE_AURORA_WAY_BACK } from './grant-aurora-back.js';
import { ARTIFACT_CHECK_ROWS, COMPONENT_READINESS_ROWS, COMPONENT_ROWS } from './grant-components.js';
import {
  APPROVAL_TIMER_ROLE,
  anyAwsDatabase,
  auroraPlans,
  CHANGE_OWN_RECORDS,
  DECRYPT_SECRETS,
  DESCRIBE_GLOBAL_CLUSTERS,
  DESCRIBE_REPLICAS,
  DESCRIBE_RUNS,
  DESCRIBE_TARGET_CLUSTERS,
  fencedRdsPlans,
  globalClusters,
  OBSERVE_WAY_BACK,
  PAGE_ON_CALL,
  PUT_EVENTS,
  parameterGroupArn,
  planZones,
  READ_RECORD_ANSWER,
  READ_RECORD_BACK,
  READ_REPLICA_FENCE_GROUPS,
  READ_SECRETS,
  type Row,
  regionsOf,
  replicas,
  type Scope,
  stackVpc,
  stateMachineResource,
  targetClusters,
  verifyStackVpc,
  vpcRows,
  WARM_UP,
  WAY_BACK_ROWS,
  withRoute53Upsert,
} from './grant-rows.js';
import {
  PUBLISH_TAKE_OVER,
  READ_RECORD_HEALTH_CHECKS,
  READ_ROUTING_CONTROLS,
  READ_TAKE_OVER_ALARM,
  SWITCH_ROUTING_CONTROLS,
} from './grant-traffic.js';
import { type Statement, sub } from './json.js';
import { ARM_WAYS_BACK, PASS_WAY_BACK_ROLE } from './way-back.js';

export { APPROVAL_TIMER_ROLE, busArn, DEFAULT_TOPIC, stateMachineResource } from './grant-rows.js';

// ------------------------------------------------------------------------------------------------ the table

export const GRANTS: Readonly<Record<FunctionName, readonly Row[]>> = {
  trigger: [
    {
      sid: 'StartAndListFailovers',
      actions: ['states:StartExecution', 'states:ListExecutions'],
      resources: (s) => [stateMachineResource(s.stage)],
    },
    DESCRIBE_RUNS,
    WARM_UP(true),
  ],
  // The run guard: the other runs of the plan, read only; the warm-up of the run's functions; and the credentials
  // of a self-managed pair, whose direction Prepare observes (core/direction.ts).
  failback: [...WAY_BACK_ROWS, ...AURORA_WAY_BACK_ROWS],
  prepare: [
    OBSERVE_WAY_BACK,
    ...OBSERVE_AURORA_WAY_BACK,
    { sid: 'ListFailovers', actions: ['states:ListExecutions'], resources: (s) => [stateMachineResource(s.stage)] },
    DESCRIBE_RUNS,
    WARM_UP(false),
    READ_SECRETS,
    DECRYPT_SECRETS,
  ],
  checkLag: [
    // GetMetricData has no resource-level permissions: AWS documents only "*" for it.
    {
      sid: 'ReadReplicationLagMetrics',
      actions: ['cloudwatch:GetMetricData'],
      resources: (s) => (anyAwsDatabase(s) ? ['*'] : []),
    },
    // A promoted standby publishes no lag: the reading asks whether it is already the writer (a re-run), and
    // whether its own group fences it (then it is not: after a way back).
    DESCRIBE_REPLICAS,
    READ_REPLICA_FENCE_GROUPS,
    DESCRIBE_GLOBAL_CLUSTERS,
    READ_SECRETS,
    DECRYPT_SECRETS,
  ],
  fence: [
    {
      sid: 'FenceRdsSourceReadOnly',
      actions: ['rds:ModifyDBParameterGroup'],
      resources: (s) =>
        fencedRdsPlans(s).map((p) => parameterGroupArn(p, p.regions.primary, p.fenceParameterGroupName)),
    },
    // A planned fence is confirmed by what RDS shows: the source's parameter group in-sync, the replica caught up.
    {
      sid: 'ConfirmRdsFence',
      actions: ['rds:DescribeDBInstances'],
      resources: (s) => fencedRdsPlans(s).flatMap((p) => [p.sourceInstanceArn, p.replicaInstanceArn]),
    },
    // GetMetricData has no resource-level permissions: AWS documents only "*" for it.
    {
      sid: 'ConfirmRdsFenceReplicaLag',
      actions: ['cloudwatch:GetMetricData'],
      resources: (s) => (fencedRdsPlans(s).length > 0 ? ['*'] : []),
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
    READ_REPLICA_FENCE_GROUPS,
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
    READ_REPLICA_FENCE_GROUPS,
    DESCRIBE_GLOBAL_CLUSTERS,
    DESCRIBE_TARGET_CLUSTERS,
    READ_SECRETS,
    DECRYPT_SECRETS,
  ],
  component: COMPONENT_ROWS,
  updateDns: [
    CHANGE_OWN_RECORDS,
    SWITCH_ROUTING_CONTROLS,
    PUBLISH_TAKE_OVER,
    READ_RECORD_ANSWER,
    READ_RECORD_BACK,
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
      resources: (s) => (withRoute53Upsert(s) ? ['arn:aws:route53:::change/*'] : []),
    },
    READ_ROUTING_CONTROLS,
    READ_TAKE_OVER_ALARM,
  ],
  verify: [READ_RECORD_ANSWER, READ_RECORD_BACK],
  // Reads everything a failover needs, in place, and changes nothing.
  readiness: [
    ...ARTIFACT_CHECK_ROWS,
    ...COMPONENT_READINESS_ROWS,
    {
      sid: 'ReadinessDescribeReplicas',
      // The replica in the standby region; its source in the primary region (the writer's endpoint).
      actions: ['rds:DescribeDBInstances'],
      resources: (s) => s.rds.flatMap((db) => [db.replicaInstanceArn, db.sourceInstanceArn]),
    },
    READ_REPLICA_FENCE_GROUPS,
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
      actions: ['route53:GetHostedZone', 'route53:ListResourceRecordSets'],
      resources: planZones,
    },
    READ_ROUTING_CONTROLS,
    READ_TAKE_OVER_ALARM,
    READ_RECORD_HEALTH_CHECKS,
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
    // A round-trip game day's success arms its way back (infra/way-back.ts).
    ARM_WAYS_BACK,
    PASS_WAY_BACK_ROLE,
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

const scopeOf = (plans: Plan[], stage: string, wayBack: Plan[]): Scope => ({
  plans,
  stage,
  wayBack: wayBack.flatMap((p) => (p.database.kind === 'rds-instance' ? [{ ...p, database: p.database }] : [])),
  auroraWayBack: wayBack.flatMap((p) => (p.database.kind === 'aurora-global' ? [{ ...p, database: p.database }] : [])),
  rds: plans.flatMap((p) => (p.database.kind === 'rds-instance' ? [p.database] : [])),
  aurora: plans.flatMap((plan) => (plan.database.kind === 'aurora-global' ? [{ plan, db: plan.database }] : [])),
  rdsPlans: plans.filter((p) => p.database.kind === 'rds-instance'),
});

/**
 * The VPC a function runs in, if any: the functions that connect to the database (those granted its credentials)
 * in the plans' `database.vpc`, when the hosts are private; Verify in `traffic.verify.vpc`, where a private hosted
 * zone is answered.
 */
export const vpcOf = (fn: FunctionName, plans: readonly Plan[]) => {
  if (GRANTS[fn].includes(READ_SECRETS)) return stackVpc(plans);
  return fn === 'verify' ? verifyStackVpc(plans) : undefined;
};

/** Each function's statements: its rows of the table, on the resources the plans name; empty rows left out. */
export const statementsFor = (fn: FunctionName, plans: Plan[], stage: string, wayBack: Plan[] = []): Statement[] => {
  // The run back of a way-back plan acts on the plan turned round (from the promoted replica to the rebuilt one),
  // in the turned plan's VPCs (its wayBackVpc).
  const run = [...plans, ...wayBack.map((p) => orientPlan(p, 'standby'))];
  const scope = scopeOf(run, stage, wayBack);
  const rows = [...GRANTS[fn], ...vpcRows(vpcOf(fn, run))];
  return rows.flatMap((row): Statement[] => {
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
