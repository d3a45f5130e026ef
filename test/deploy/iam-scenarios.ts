/**
 * The runs whose AWS calls the IAM simulation checks, per plan: unplanned and planned failovers, a run that waits
 * for an approval, a readiness run and the trigger, each through the real handlers (as deployed) on mocked AWS.
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeRuleCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  PromoteReadReplicaCommand,
} from '@aws-sdk/client-rds';
import { GetHealthCheckCommand, GetHostedZoneCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { GetBucketReplicationCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  GetMultiRegionAccessPointRoutesCommand,
  S3ControlClient,
  SubmitMultiRegionAccessPointRoutesCommand,
} from '@aws-sdk/client-s3-control';
import {
  DescribeEndpointCommand,
  SageMakerClient,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { vi } from 'vitest';
import { S3ArtifactStore } from '#adapters/artifacts/s3.js';
import { notifierFor, readinessNotifierFor } from '#adapters/notify/index.js';
import { readinessProbesFor } from '#adapters/readiness/index.js';
import { clearSecretCache, resolveSecret } from '#adapters/secrets.js';
import { executionsOf, runHistory } from '#adapters/sfn/index.js';
import { LambdaWarmer } from '#adapters/warmup/lambda.js';
import { orientPlan } from '#core/direction.js';
import type { DatabaseConfigOf, Plan, PlanInput } from '#core/plan.js';
import { artifactBuckets } from '#core/plan-artifacts.js';
import type { ArtifactPortsFor } from '#core/ports.js';
import {
  FAILOVER_FUNCTIONS,
  type FunctionName,
  functionArn,
  functionName,
  stackName,
  stateMachineArn,
} from '#core/stack-names.js';
import * as component from '#functions/component.js';
import { historyFromLocalEvents } from '#lab/local-history.js';
import { type Handlers, loadDefinition } from '#lab/state-machine.js';
import * as prepare from '../../functions/prepare.js';
import * as readiness from '../../functions/readiness.js';
import * as runEnded from '../../functions/run-ended.js';
import * as trigger from '../../functions/trigger.js';
import { AuroraFailbackWorld, auroraFailbackDefaults } from '../aws-world/aurora-failback.js';
import { onVirtualTime, virtualClock } from '../aws-world/clock.js';
import { CloudWatchWorld } from '../aws-world/cloudwatch.js';
import { RdsFailbackWorld, rdsFailbackDefaults } from '../aws-world/rds-failback.js';
import {
  auroraWorld,
  cloudwatch,
  eventBridge,
  execute,
  executionsWorld,
  lagMetrics,
  notifyWorld,
  planVariant,
  preparing,
  rds,
  rdsReplicaWorld,
  route53,
  route53World,
  routingControlWorld,
  runInput,
  schedulerWorld,
  secretsManager,
  sfn,
  shippedHandlers,
} from '../statemachine/support.js';

/** Runs `work` as function `fn`: every AWS call made meanwhile is recorded as that function's. */
export type During = <T>(fn: FunctionName, work: () => Promise<T>) => Promise<T>;

const PLAN_FILES: Record<string, string> = {
  orders: 'plans/orders.yml',
  'feature-store': 'plans/feature-store.yml',
  'ml-platform': 'plans/ml-platform.yml',
};

/** The clients the component function calls besides CloudWatch and Lambda (the IAM test records them too). */
export const s3control = mockClient(S3ControlClient);
export const sagemaker = mockClient(SageMakerClient);
export const s3 = mockClient(S3Client);
export const dynamodb = mockClient(DynamoDBClient);

/**
 * The model-artifact check of a plan with an `artifacts` section, as the component function and the readiness check
 * make it: the registry stand-in reads the registry's secret as the PostgreSQL adapter does (the database itself is
 * not AWS; the cache is cleared so each function's read is recorded), then lists one artifact of each mapped bucket;
 * the real S3 adapter asks the replica bucket.
 */
const artifactStandIn =
  (plan: Plan): ArtifactPortsFor =>
  async (config, region) => ({
    registry: {
      list: async () => {
        clearSecretCache();
        // The stack's own Region, the plan's standby, as the deployed function's client is.
        await resolveSecret(config.registry.credentials, {
          secretsManager: () => new SecretsManagerClient({ region }),
        });
        const rows = Object.keys(artifactBuckets(plan)).map((b, i) => ({
          model: 'm',
          version: i + 1,
          location: `s3://${b}/m/${i + 1}/MLmodel`,
        }));
        return { rows, truncated: false };
      },
    },
    store: new S3ArtifactStore(region),
  });

/** Every HeadObject finds its key (S3 answers metadata only); the registry's secret is readable. */
const artifactWorld = (plan: Plan) => {
  if (!plan.artifacts) return;
  secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '{"username":"registry","password":"x"}' });
  s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 1, LastModified: new Date() });
};

const artifactHandlers = (plan: Plan): Partial<Handlers> =>
  plan.artifacts ? { component: component.createHandler({ artifacts: artifactStandIn(plan) }) } : {};

/**
 * A plan's components as AWS answers them: routes on the primary (switched by the run), an endpoint at one
 * instance (raised, then InService at the count), a custom action that answers ok. Every fake answers a promise,
 * as send does.
 */
const componentWorld = (plan: Plan, lambda: AwsClientStub<LambdaClient>) => {
  artifactWorld(plan);
  if (!plan.components) return;
  s3control.on(GetMultiRegionAccessPointRoutesCommand).callsFake(async () => ({ Routes: [] }));
  s3control.on(SubmitMultiRegionAccessPointRoutesCommand).callsFake(async () => ({}));
  let raised = 0;
  sagemaker.on(DescribeEndpointCommand).callsFake(async () => ({
    EndpointStatus: 'InService',
    ProductionVariants: plan.components?.flatMap((c) =>
      c.kind === 'capacity' && c.target.kind === 'sagemaker-endpoint'
        ? [{ VariantName: c.target.variantName, CurrentInstanceCount: raised || 1, DesiredInstanceCount: raised || 1 }]
        : [],
    ),
  }));
  sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).callsFake(async (input) => {
    raised = input.DesiredWeightsAndCapacities?.[0]?.DesiredInstanceCount ?? 1;
    return {};
  });
  lambda
    .on(InvokeCommand)
    .callsFake(async (input) =>
      input.InvocationType === 'Event'
        ? { StatusCode: 202 }
        : { StatusCode: 200, Payload: new TextEncoder().encode('{"ok":true}') },
    );
  for (const c of plan.components)
    if (c.kind === 'database' && c.database.kind === 'rds-instance') rdsComponent(c.database);
};

/**
 * A component database's RDS replica, apart from the plan's own (narrower matchers, declared after the wide ones of
 * rdsReplicaWorld): a read replica until PromoteReadReplica, then standalone and available; its source's fence group
 * in-sync. So the component function fences, promotes and moves its record, and every call it makes is recorded.
 */
const rdsComponent = (db: DatabaseConfigOf<'rds-instance'>) => {
  const id = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);
  let promoted = false;
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: id(db.replicaInstanceArn) }).callsFake(() => ({
    DBInstances: [
      {
        DBInstanceIdentifier: id(db.replicaInstanceArn),
        DBInstanceStatus: 'available',
        Endpoint: { Address: `${id(db.replicaInstanceArn)}.abc123.rds.amazonaws.com`, Port: 5432 },
        ...(promoted ? {} : { ReadReplicaSourceDBInstanceIdentifier: db.sourceInstanceArn }),
      },
    ],
  }));
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: id(db.sourceInstanceArn) }).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: id(db.sourceInstanceArn),
        DBInstanceStatus: 'available',
        DBParameterGroups: [{ DBParameterGroupName: db.fenceParameterGroupName, ParameterApplyStatus: 'in-sync' }],
      },
    ],
  });
  rds.on(PromoteReadReplicaCommand, { DBInstanceIdentifier: id(db.replicaInstanceArn) }).callsFake(() => {
    promoted = true;
    return { DBInstance: { DBInstanceIdentifier: id(db.replicaInstanceArn), DBInstanceStatus: 'modifying' } };
  });
};

/** Any client mock: what resetting and recording need of it. */
export interface ClientMock {
  reset(): unknown;
  calls(): { thisValue: unknown; args: unknown[] }[];
}

const reset = (mocks: readonly ClientMock[]) => {
  for (const m of mocks) m.reset();
};

/** Each handler of the state machine, recorded as its function. */
const recording = (handlers: Handlers, during: During): Handlers =>
  Object.fromEntries(
    Object.entries(handlers).map(([fn, handler]) => [
      fn,
      (event: unknown, context: unknown) =>
        during(fn as FunctionName, () => (handler as (e: unknown, c: unknown) => Promise<unknown>)(event, context)),
    ]),
  ) as Handlers;

const worldOf = (plan: Plan, privateZone = true, alreadyPromoted = false) => {
  notifyWorld();
  // Verify reads a private zone's record with ListResourceRecordSets, a public zone's with TestDNSAnswer.
  route53World({ initial: 'old-writer.example.internal', privateZone });
  // The shipped plans' own mechanism: routing controls flipped on the cluster, the record pair following them.
  if (plan.traffic.kind === 'routing-control') routingControlWorld(plan, { privateZone });
  lagMetrics(() => 0);
  if (plan.database.kind === 'aurora-global') auroraWorld();
  else {
    const parameterGroup =
      plan.database.kind === 'rds-instance' ? plan.database.replicaFenceParameterGroupName : undefined;
    rdsReplicaWorld({ alreadyPromoted, parameterGroup });
  }
  const world = executionsWorld();
  // Another plan's run, started from the console under a name of its own: the run guard describes it to learn its plan.
  const hourAgo = new Date(Date.now() - 3_600_000);
  world.add({ name: 'console-run', status: 'RUNNING', startDate: hourAgo, input: { plan: 'another-plan' } });
  return world;
};

const readinessWorld = (plan: Plan, lambda: AwsClientStub<LambdaClient>) => {
  rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [] });
  rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] });
  rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({ DBInstanceAutomatedBackups: [] });
  cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
  route53.on(GetHostedZoneCommand).resolves({
    HostedZone: {
      Id: '/hostedzone/Z0123456789ABCDEFGHIJ',
      Name: 'orders.example.internal.',
      CallerReference: 'x',
      Config: { PrivateZone: true },
    },
  });
  // A data-plane plan's failover pair, the PRIMARY's health check following the plan's switch.
  const pair = (name: string, healthCheckId: string) =>
    (['PRIMARY', 'SECONDARY'] as const).map((role) => ({
      Name: `${name}.`,
      Type: 'CNAME' as const,
      SetIdentifier: role,
      Failover: role,
      ...(role === 'PRIMARY' ? { HealthCheckId: healthCheckId } : {}),
      TTL: 30,
      ResourceRecords: [{ Value: `${role.toLowerCase()}.example` }],
    }));
  const t = plan.traffic;
  const healthCheckId = t.kind === 'health-check' ? t.healthCheckId : '11111111-2222-4333-8444-555555555555';
  route53.on(ListResourceRecordSetsCommand).resolves({
    ResourceRecordSets: t.kind === 'upsert' ? [] : pair(plan.dns.recordName, healthCheckId),
    IsTruncated: false,
    MaxItems: 10,
  });
  route53.on(GetHealthCheckCommand).resolves({
    HealthCheck: {
      Id: healthCheckId,
      CallerReference: 'x',
      HealthCheckVersion: 1,
      HealthCheckConfig:
        t.kind === 'routing-control'
          ? { Type: 'RECOVERY_CONTROL', RoutingControlArn: t.routingControls.primary }
          : { Type: 'CLOUDWATCH_METRIC' },
    },
  });
  eventBridge.on(DescribeRuleCommand).resolves({ State: 'ENABLED', EventPattern: '{}' });
  eventBridge.on(ListTargetsByRuleCommand).resolves({ Targets: [] });
  sfn.on(DescribeStateMachineCommand).resolves({ status: 'ACTIVE' });
  lambda.on(GetFunctionConfigurationCommand).resolves({ State: 'Active', LastUpdateStatus: 'Successful' });
  return plan;
};

export interface ScenarioOptions {
  during: During;
  mocks: readonly ClientMock[];
  lambda: AwsClientStub<LambdaClient>;
}

export const recordScenarios = async (plan: Plan, stage: string, opts: ScenarioOptions): Promise<void> => {
  const { during, mocks } = opts;
  const shipped = shippedHandlers();
  const handlers = recording({ ...shipped, ...artifactHandlers(plan) } as Handlers, during);
  const file = PLAN_FILES[plan.name];
  if (!file) throw new Error(`no plan file known for ${plan.name}`);

  let lastRun: Awaited<ReturnType<typeof execute>> | undefined;
  // Private zones (as the shipped plans' are) and a public one: Verify reads each its own way.
  const runs = [
    ['unplanned', true],
    ['unplanned', false],
    ['planned', true],
  ] as const;
  for (const [mode, privateZone] of runs) {
    reset(mocks);
    const world = worldOf(plan, privateZone);
    componentWorld(plan, opts.lambda);
    lastRun = await execute(runInput({ plan: plan.name, mode }), { handlers, world, validate: false });
  }

  // A run after an earlier one promoted the RDS replica: CheckLag, Promote and PromotionStatus read the replica's own
  // parameter group, which would say whether a way back fenced it (core/stale-writer.ts).
  if (plan.database.kind === 'rds-instance') {
    reset(mocks);
    const again = worldOf(plan, true, true);
    componentWorld(plan, opts.lambda);
    await execute(runInput({ plan: plan.name, mode: 'unplanned' }), { handlers, world: again, validate: false });
  }

  // A run stopped by a person: the run-ended function reads its history and notifies on the plan's targets.
  reset(mocks);
  notifyWorld();
  const events = historyFromLocalEvents(lastRun?.events ?? [], { definition: loadDefinition() });
  sfn.on(GetExecutionHistoryCommand).resolves({ events: [...events].reverse() });
  const ended = runEnded.createHandler({
    now: () => new Date(),
    history: runHistory,
    notifier: notifierFor,
    plans: () => new Map([[plan.name, plan]]),
  });
  const executionArn = `arn:aws:states:${plan.regions.standby}:${plan.accountId}:execution:${stackName(stage)}:stopped-run`;
  await during('runEnded', () =>
    ended(
      {
        source: 'aws.states',
        'detail-type': 'Step Functions Execution Status Change',
        detail: { executionArn, status: 'ABORTED', error: 'StoppedByOperator', cause: 'wrong plan (by cli:ana)' },
      },
      {} as never,
    ),
  );

  // A run that waits for a person: the notify function arms the deadline with EventBridge Scheduler.
  reset(mocks);
  const world = worldOf(plan);
  schedulerWorld();
  const askFirst = planVariant(file, (p: PlanInput) => ({ ...p, trigger: { ...p.trigger, automatic: false } }));
  const alarm = `arn:aws:cloudwatch:${plan.regions.standby}:${plan.accountId}:alarm:${plan.trigger.alarms[0]}`;
  await execute(runInput({ plan: plan.name, trigger: { kind: 'alarm', source: alarm } }), {
    handlers: { ...handlers, ...recording(preparing(askFirst), during) },
    world,
    validate: false,
    approver: async () => ({ approved: true, by: 'oncall:ana' }),
  });

  const region = plan.regions.standby;
  const check = readiness.createHandler({
    plans: () => new Map([[plan.name, plan]]),
    now: () => new Date(),
    stack: () => ({
      stage,
      stateMachineArn: stateMachineArn(region, plan.accountId, stage),
      triggerFunctionArn: functionArn(region, plan.accountId, stage, 'trigger'),
      functionNames: FAILOVER_FUNCTIONS.map((fn) => functionName(stage, fn)),
    }),
    probes: readinessProbesFor,
    notifier: readinessNotifierFor,
    artifacts: artifactStandIn(plan),
    metrics: { record: () => undefined },
  });
  // Before a failover (the writer read in the primary region) and after one (the promoted replica's own group read).
  for (const promoted of plan.database.kind === 'rds-instance' ? [false, true] : [false]) {
    reset(mocks);
    worldOf(plan, true, promoted);
    readinessWorld(plan, opts.lambda);
    // Readiness reads the artifacts and each component: its gate, its replication rule and routes, its capacity, its
    // function, its standby.
    componentWorld(plan, opts.lambda);
    dynamodb.on(DescribeTableCommand).callsFake(async (input: { TableName: string }) => ({
      Table: { TableName: input.TableName, TableStatus: 'ACTIVE', Replicas: [] },
    }));
    s3.on(GetBucketReplicationCommand).callsFake(async () => ({
      ReplicationConfiguration: {
        Role: `arn:aws:iam::${plan.accountId}:role/replication`,
        Rules: plan.components?.flatMap((c) =>
          c.kind === 's3-replication'
            ? [{ ID: c.ruleId, Status: 'Enabled', Destination: { Bucket: `arn:aws:s3:::${c.destinationBucket}` } }]
            : [],
        ),
      },
    }));
    await during('readiness', () => check({ kind: 'readiness', plan: plan.name }, {} as never));
  }

  reset(mocks);
  executionsWorld();
  sfn.on(StartExecutionCommand).callsFake((input: { name: string; stateMachineArn: string }) => ({
    executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`,
    startDate: new Date(),
  }));
  opts.lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
  // On Lambda the client's region is the function's own (AWS_REGION); here, the plan's standby region.
  const warmer = async () => new LambdaWarmer(stage, { lambda: () => new LambdaClient({ region }) });
  const start = trigger.createHandler({
    plans: () => new Map([[plan.name, plan]]),
    now: () => new Date(),
    executions: () => executionsOf(stateMachineArn(region, plan.accountId, stage)),
    warmer,
  });
  const event = {
    version: '0',
    id: 'c4f6f9d2-0000-4000-8000-000000000001',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: plan.accountId,
    time: new Date().toISOString(),
    region,
    resources: [alarm],
    detail: {
      alarmName: plan.trigger.alarms[0],
      state: { value: 'ALARM', reason: 'primary unreachable', timestamp: new Date().toISOString() },
      previousState: { value: 'OK', reason: 'ok', timestamp: new Date(Date.now() - 600_000).toISOString() },
    },
  };
  await during('trigger', () => start(event, {} as never));

  // Prepare warms the run's functions while it checks the run guard (the trigger warmed Prepare too, above).
  const prepareWarm = prepare.createHandler({
    now: () => new Date(),
    plans: () => new Map([[plan.name, plan]]),
    warmer,
  });
  const executionId = `${stateMachineArn(region, plan.accountId, stage).replace(':stateMachine:', ':execution:')}:warm`;
  // The run itself, not listed yet (ListExecutions lags): Prepare describes it for its start date.
  sfn.on(DescribeExecutionCommand).resolves({
    executionArn,
    status: 'RUNNING',
    startDate: new Date(),
    stateMachineArn: stateMachineArn(region, plan.accountId, stage),
  });
  await during('prepare', () =>
    prepareWarm({ step: 'Prepare', executionId, state: runInput({ plan: plan.name }) }, {} as never),
  );
};

/**
 * The way back of an RDS plan, as the stack of its primary region runs it (`dr-failover failback`): Prepare observes
 * the pair, the failback function preserves the old primary and builds the replica, and the planned run back fences
 * the promoted replica, promotes the rebuilt one and moves traffic, on a simulated post-failover RDS.
 * Returns the plan as that stack runs it (turned round), whose stack the calls are recorded for.
 */
/** A way back's recording: the stage, whose stack in the plan's primary region runs it. */
export type WayBackOptions = ScenarioOptions & { stage: string };

/**
 * Runs the plan's way back (`dr-failover failback`) on the shipped handlers and the virtual clock; it must succeed.
 * Then a second one stopped before Prepare resolved its plan: the run-ended function of that stack pages its end.
 */
const runWayBack = async (plan: Plan, clock: ReturnType<typeof virtualClock>, opts: WayBackOptions) => {
  const handlers = onVirtualTime(loadDefinition(), clock, recording(shippedHandlers(), opts.during));
  const input = runInput({
    plan: plan.name,
    mode: 'planned',
    trigger: { kind: 'failback', source: 'dr-failover CLI' },
  });
  const run = await execute(input, { handlers, world: executionsWorld(), validate: false });
  if (run.status !== 'SUCCEEDED') throw new Error(`the way back of ${plan.name} did not succeed: ${run.error}`);
  // The same run's history up to Prepare's start: nothing resolved yet, the state is the input's.
  const history = historyFromLocalEvents(run.events, { definition: loadDefinition() });
  const atPrepare = history.findIndex((e) => e.stateEnteredEventDetails?.name === 'Prepare');
  sfn.on(GetExecutionHistoryCommand).resolves({ events: history.slice(0, atPrepare + 1).reverse() });
  const ended = runEnded.createHandler({
    now: () => new Date(),
    history: runHistory,
    notifier: notifierFor,
    plans: () => new Map([[plan.name, plan]]),
  });
  const executions = stateMachineArn(plan.regions.primary, plan.accountId, opts.stage).replace(
    ':stateMachine:',
    ':execution:',
  );
  const detail = { status: 'ABORTED', input: JSON.stringify(input), error: 'StoppedByOperator', cause: 'not yet' };
  await opts.during('runEnded', () =>
    ended(
      {
        source: 'aws.states',
        'detail-type': 'Step Functions Execution Status Change',
        detail: { executionArn: `${executions}:${plan.name}-failback-stopped`, ...detail },
      },
      {} as never,
    ),
  );
};

/** The simulated world after an RDS plan's failover: its replica the writer, its source the old primary. */
const wayBackWorldOf = (plan: Plan) => {
  const defaults = rdsFailbackDefaults();
  if (plan.database.kind !== 'rds-instance') return defaults;
  const { replicaInstanceArn, sourceInstanceArn, replicaFenceParameterGroupName } = plan.database;
  const idOf = (arn: string) => arn.split(':').at(-1) ?? arn;
  const rebuiltArn = `${sourceInstanceArn}-failback`;
  return {
    ...defaults,
    writer: {
      ...defaults.writer,
      id: idOf(replicaInstanceArn),
      arn: replicaInstanceArn,
      parameterGroup: replicaFenceParameterGroupName ?? defaults.writer.parameterGroup,
    },
    oldPrimary: { ...defaults.oldPrimary, id: idOf(sourceInstanceArn), arn: sourceInstanceArn },
    rebuilt: {
      id: idOf(rebuiltArn),
      arn: rebuiltArn,
      endpoint: `${idOf(rebuiltArn)}.abc123.${plan.regions.primary}.rds.amazonaws.com`,
    },
  };
};

export const recordWayBack = async (plan: Plan, opts: WayBackOptions): Promise<Plan> => {
  reset(opts.mocks);
  const clock = virtualClock();
  try {
    new RdsFailbackWorld(clock, wayBackWorldOf(plan));
    notifyWorld();
    const writerId = plan.database.kind === 'rds-instance' ? plan.database.replicaInstanceArn.split(':').at(-1) : '';
    route53World({ initial: `${writerId}.abc123.${plan.regions.standby}.rds.amazonaws.com`, privateZone: true });
    await runWayBack(plan, clock, opts);
  } finally {
    vi.useRealTimers();
  }
  return orientPlan(plan, 'standby');
};

/**
 * The way back of an Aurora plan (the shipped orders plan: its routing controls, its private zone), as the stack of
 * its primary region runs it: Prepare observes the global cluster, the failback function copies Aurora's snapshot and
 * waits for the rejoin, the planned run back switches over and flips the controls back, on the simulated Aurora after
 * a managed failover (test/aws-world/aurora-failback.ts). Returns the plan as that stack runs it (turned round).
 */
export const recordAuroraWayBack = async (plan: Plan, opts: WayBackOptions): Promise<Plan> => {
  reset(opts.mocks);
  const clock = virtualClock();
  const back = orientPlan(plan, 'standby');
  try {
    // The plan's key encrypts the old primary: the copy of Aurora's snapshot uses it (RDS may, for the caller).
    const key = plan.database.kind === 'aurora-global' ? plan.database.preserveKmsKeyArn : undefined;
    const world = auroraFailbackDefaults(key ? { storageKmsKeyArn: key, callerKeys: [key] } : {});
    new AuroraFailbackWorld(clock, new CloudWatchWorld(clock), world);
    notifyWorld();
    route53World({ initial: world.writer.endpoint, privateZone: true });
    if (back.traffic.kind === 'routing-control') {
      routingControlWorld(back, {
        privateZone: true,
        primaryEndpoint: world.writer.endpoint,
        standbyEndpoint: world.oldPrimary.endpoint,
      });
    }
    await runWayBack(plan, clock, opts);
  } finally {
    vi.useRealTimers();
  }
  return back;
};
