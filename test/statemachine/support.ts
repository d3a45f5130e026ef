import { randomUUID } from 'node:crypto';
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CopyDBClusterSnapshotCommand,
  CreateDBInstanceReadReplicaCommand,
  CreateDBSnapshotCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBParametersCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  ModifyDBParameterGroupCommand,
  PromoteReadReplicaCommand,
  RDSClient,
  RebootDBInstanceCommand,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  TestDNSAnswerCommand,
} from '@aws-sdk/client-route-53';
import {
  EndpointTemporarilyUnavailableException,
  GetRoutingControlStateCommand,
  Route53RecoveryClusterClient,
  UpdateRoutingControlStatesCommand,
} from '@aws-sdk/client-route53-recovery-cluster';
import {
  ConflictException,
  CreateScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { PutSecretValueCommand, SecretsManagerClient, UpdateSecretCommand } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  type ExecutionStatus,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { auroraPairFor, rdsPairFor } from '#adapters/database/index.js';
import { type Plan, type PlanInput, parsePlan } from '#core/plan.js';
import { localHandlers } from '#lab/deployment.js';
import {
  type Approver,
  type Handlers,
  type LocalRunResult,
  type LocalTaskTokens,
  loadDefinition,
  overrideEach,
  runLocal,
} from '#lab/state-machine.js';
import { defaultPlansDir, loadPlanCatalog, loadPlanFile } from '#lib/plan-catalog.js';
import * as prepare from '../../functions/prepare.js';
import { resetResolverWorld } from './resolver-world.js';

export const rds = mockClient(RDSClient);
export const cloudwatch = mockClient(CloudWatchClient);
export const route53 = mockClient(Route53Client);
export const eventBridge = mockClient(EventBridgeClient);
export const sns = mockClient(SNSClient);
export const secretsManager = mockClient(SecretsManagerClient);
/** Step Functions itself: approvals answer through it, and Prepare's run guard reads it (see executionsWorld). */
export const sfn = mockClient(SFNClient);
export const scheduler = mockClient(SchedulerClient);
/** ARC's cluster data plane: every client of every endpoint (mocked on the class). */
export const arc = mockClient(Route53RecoveryClusterClient);
export const ALL_MOCKS = [rds, cloudwatch, route53, eventBridge, sns, secretsManager, sfn, scheduler, arc];

// The deployment's approval timer settings (infra/wiring.ts sets them on the notify function).
export const APPROVAL_TIMER_GROUP = 'dr-failover-test-approvals';
export const APPROVAL_TIMER_ROLE_ARN = 'arn:aws:iam::111122223333:role/dr-failover-test-approval-timer';
process.env.APPROVAL_TIMER_GROUP = APPROVAL_TIMER_GROUP;
process.env.APPROVAL_TIMER_ROLE_ARN = APPROVAL_TIMER_ROLE_ARN;

/** A plan file of the repository with `changes` applied, validated as the catalogue validates it. */
export const planVariant = (file: string, changes: (p: PlanInput) => PlanInput): Plan =>
  parsePlan(changes(structuredClone(loadPlanFile(file)) as PlanInput), `${file} (test variant)`);

/** As planVariant, moving traffic by UPSERT of the `dns` record: for the tests of that mechanism on the shipped plans. */
export const upsertVariant = (file: string, changes: (p: PlanInput) => PlanInput = (p) => p): Plan =>
  planVariant(file, (p) => ({ ...changes(p), traffic: { kind: 'upsert' } }));

/** The real Prepare, bound to a catalogue holding only `plans`. */
export const preparing = (...plans: Plan[]): Pick<Handlers, 'prepare'> => ({
  prepare: prepare.createHandler({ now: () => new Date(), plans: () => new Map(plans.map((p) => [p.name, p])) }),
});

/** The real handlers, Prepare as deployed for a way back (its RDS and Aurora pair observers) on a catalogue of `plan`. */
export const wayBackHandlers = (plan: Plan): Handlers => ({
  ...realHandlers(),
  prepare: prepare.createHandler({
    now: () => new Date(),
    plans: () => new Map([[plan.name, plan]]),
    rdsPair: rdsPairFor,
    auroraPair: auroraPairFor,
  }),
});

/** The value of every Route 53 change sent, in order: where each UPSERT pointed the record. */
export const upsertedValues = () =>
  route53
    .commandCalls(ChangeResourceRecordSetsCommand)
    .map((c) => c.args[0].input.ChangeBatch?.Changes?.[0]?.ResourceRecordSet?.ResourceRecords?.[0]?.Value);

/**
 * The shipped orders plan moving traffic by a Route 53 UPSERT instead of its routing controls: the tests of the
 * upsert mechanism (and of everything around it) run on it; test/statemachine/traffic.test.ts runs the shipped plan.
 */
export const ORDERS_UPSERT = upsertVariant('plans/orders.yml');

/** The real handlers, each as deployed (AWS clients mocked above): the lab's local deployment. */
const deployed = await localHandlers();
const shipped = loadPlanCatalog(defaultPlansDir());
/** As deployed, with the catalogue's orders plan moving traffic by UPSERT (ORDERS_UPSERT). */
export const realHandlers = (): Handlers => ({
  ...deployed,
  ...preparing(...[...shipped.values()].map((p) => (p.name === 'orders' ? ORDERS_UPSERT : p))),
});
/** The handlers exactly as deployed, the shipped catalogue included. */
export const shippedHandlers = (): Handlers => ({ ...deployed });

const definition = loadDefinition();
const zeroWaits = overrideEach(definition, 'Wait', 0);
const zeroRetries = overrideEach(definition, 'Task', 0);

/** runLocal's execution ARNs: `arn:aws:states:eu-west-1:000000000000:execution:dr-failover-local:<name>`. */
export const LOCAL_STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:000000000000:stateMachine:dr-failover-local';
const executionArnOf = (name: string) => `${LOCAL_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;

interface WorldExecution {
  executionArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
}

/**
 * Step Functions' view of the state machine's executions: runs started through `execute` are listed RUNNING
 * while they run and with their final status after, as ListExecutions (newest first, `statusFilter`) and
 * DescribeExecution answer. `add` records an execution that ran before the test (a recent success, say).
 */
export const executionsWorld = () => {
  const executions = new Map<string, WorldExecution>();
  const listed = (e: WorldExecution) => ({
    executionArn: e.executionArn,
    stateMachineArn: LOCAL_STATE_MACHINE_ARN,
    name: e.name,
    status: e.status,
    startDate: e.startDate,
    ...(e.stopDate ? { stopDate: e.stopDate } : {}),
  });
  sfn.on(ListExecutionsCommand).callsFake((req: { statusFilter?: string }) => ({
    executions: [...executions.values()]
      .filter((e) => !req.statusFilter || e.status === req.statusFilter)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime())
      .map(listed),
  }));
  sfn.on(DescribeExecutionCommand).callsFake((req: { executionArn?: string }) => {
    const e = executions.get(req.executionArn ?? '');
    if (!e)
      throw new ExecutionDoesNotExist({ $metadata: {}, message: `Execution Does Not Exist: '${req.executionArn}'` });
    return { ...listed(e), input: e.input };
  });
  return {
    add: (e: Omit<WorldExecution, 'executionArn' | 'input'> & { input: unknown }) => {
      executions.set(executionArnOf(e.name), {
        ...e,
        executionArn: executionArnOf(e.name),
        input: JSON.stringify(e.input),
      });
    },
    /** StartExecution: listed RUNNING from now; its status and stop date are set when it ends. */
    begin: (name: string, input: unknown, startDate = new Date()) => {
      const e: WorldExecution = {
        executionArn: executionArnOf(name),
        name,
        status: 'RUNNING',
        startDate,
        input: JSON.stringify(input),
      };
      executions.set(e.executionArn, e);
      return (result: LocalRunResult) => {
        e.status = result.status;
        e.stopDate = new Date();
      };
    },
    executions: () => [...executions.values()],
  };
};
export type ExecutionsWorld = ReturnType<typeof executionsWorld>;

/**
 * Executes statemachines/failover.asl.yaml with the real handlers; waits and retry intervals set to zero.
 * `validate: false` skips the emulator's schema check (about 0.5 s a run) for suites that execute many runs.
 * With `world`, the run is listed there while it runs, for Prepare's run guard and for the other runs.
 */
export const execute = async (
  input: unknown,
  options: {
    handlers?: Partial<Handlers>;
    approver?: Approver;
    validate?: boolean;
    executionName?: string;
    world?: ExecutionsWorld;
    taskTokens?: LocalTaskTokens;
  } = {},
): Promise<LocalRunResult> => {
  const name = options.executionName ?? `local-${randomUUID()}`;
  // Without a world, Step Functions answers nothing unless the test says otherwise: the run sees no other run.
  const end = options.world?.begin(name, input);
  const result = await runLocal(input, {
    handlers: { ...realHandlers(), ...options.handlers } as Handlers,
    ...(options.approver ? { approver: options.approver } : {}),
    ...(options.validate === false ? { validate: false } : {}),
    ...(options.taskTokens ? { taskTokens: options.taskTokens } : {}),
    executionName: name,
    waitTimeOverrides: zeroWaits,
    retryIntervalOverrides: zeroRetries,
  });
  end?.(result);
  return result;
};

export const runInput = (overrides: Record<string, unknown> = {}) => ({
  plan: 'orders',
  mode: 'unplanned',
  dryRun: false,
  reason: 'us-east-1 writer unreachable from three AZ canaries',
  requestedBy: 'oncall:ana',
  incidentStartedAt: new Date(Date.now() - 60_000).toISOString(),
  ...overrides,
});

// ------------------------------------------------------------------ a small fake of the AWS world

export const ORDERS = {
  globalId: 'orders-global',
  target: 'arn:aws:rds:eu-west-1:111122223333:cluster:orders-eu',
  primary: 'arn:aws:rds:us-east-1:111122223333:cluster:orders-us',
  endpoint: 'orders-eu.cluster-abc123.eu-west-1.rds.amazonaws.com',
  record: 'db.orders.example.internal',
};
export const FEATURES = {
  replica: 'feature-store-replica',
  endpoint: 'feature-store-replica.abc123.us-east-2.rds.amazonaws.com',
  record: 'features-db.ml.example.internal',
};

type Series = { Timestamps: Date[]; Values: number[] };
/** Answers GetMetricData: `lag(metricName)` gives the latest value, or undefined for no datapoints. */
export const lagMetrics = (lag: (metricName: string) => number | undefined) =>
  cloudwatch.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: MetricDataQuery[] }) => ({
    MetricDataResults: input.MetricDataQueries.map((q) => {
      const value = lag(q.MetricStat?.Metric?.MetricName ?? '');
      const s: Series =
        value === undefined ? { Timestamps: [], Values: [] } : { Timestamps: [new Date()], Values: [value] };
      return { Id: q.Id, ...s, StatusCode: 'Complete' };
    }),
  }));

/**
 * Aurora Global Database: the target becomes the writer some status checks after the failover call; with
 * `alreadyPromoted` it is the writer from the start (a re-run after an earlier run promoted it).
 */
export const auroraWorld = (opts: { checksUntilWritable?: number; alreadyPromoted?: boolean } = {}) => {
  let promotedAt: number | undefined;
  let checks = 0;
  const members = () => {
    const done =
      opts.alreadyPromoted === true || (promotedAt !== undefined && checks >= (opts.checksUntilWritable ?? 1));
    return {
      GlobalClusterIdentifier: ORDERS.globalId,
      Status: 'available',
      GlobalClusterMembers: [
        { DBClusterArn: ORDERS.primary, IsWriter: !done && promotedAt === undefined },
        { DBClusterArn: ORDERS.target, IsWriter: done },
      ],
      ...(promotedAt !== undefined && !done
        ? { FailoverState: { Status: 'failing-over', FromDbClusterArn: ORDERS.primary, ToDbClusterArn: ORDERS.target } }
        : {}),
    };
  };
  rds.on(DescribeGlobalClustersCommand).callsFake(() => {
    if (promotedAt !== undefined) checks += 1;
    return { GlobalClusters: [members()] };
  });
  rds.on(DescribeDBClustersCommand).resolves({
    DBClusters: [
      { DBClusterArn: ORDERS.target, DBClusterIdentifier: 'orders-eu', Status: 'available', Endpoint: ORDERS.endpoint },
    ],
  });
  rds.on(FailoverGlobalClusterCommand).callsFake(() => {
    promotedAt = Date.now();
    return { GlobalCluster: members() };
  });
  rds.on(SwitchoverGlobalClusterCommand).callsFake(() => {
    promotedAt = Date.now();
    return { GlobalCluster: members() };
  });
};

/** RDS cross-region read replica: standalone and available after PromoteReadReplica, or from the start. */
export const rdsReplicaWorld = (
  opts: { alreadyPromoted?: boolean; replicationBroken?: boolean; parameterGroup?: string | undefined } = {},
) => {
  let promoted = opts.alreadyPromoted === true;
  // A replica whose read replication stopped with an error reports it in StatusInfos.
  const broken = opts.replicationBroken
    ? { StatusInfos: [{ StatusType: 'read replication', Status: 'error', Normal: false }] }
    : {};
  const group = opts.parameterGroup;
  // The replica's own group, when it has one: nothing set in it (not fenced).
  if (group) rds.on(DescribeDBParametersCommand).resolves({ Parameters: [] });
  rds.on(DescribeDBInstancesCommand).callsFake(() => ({
    DBInstances: [
      {
        DBInstanceIdentifier: FEATURES.replica,
        DBInstanceStatus: 'available',
        Endpoint: { Address: FEATURES.endpoint, Port: 5432 },
        ...(group ? { DBParameterGroups: [{ DBParameterGroupName: group, ParameterApplyStatus: 'in-sync' }] } : {}),
        ...(promoted
          ? {}
          : {
              ReadReplicaSourceDBInstanceIdentifier: 'arn:aws:rds:us-west-2:111122223333:db:feature-store',
              ...broken,
            }),
      },
    ],
  }));
  // The source, in the primary region: its custom parameter group (a planned fence's) applied.
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'feature-store' }).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: 'feature-store',
        DBInstanceStatus: 'available',
        DBParameterGroups: [{ DBParameterGroupName: 'feature-store-pg', ParameterApplyStatus: 'in-sync' }],
      },
    ],
  });
  rds.on(PromoteReadReplicaCommand).callsFake(() => {
    promoted = true;
    return { DBInstance: { DBInstanceIdentifier: FEATURES.replica, DBInstanceStatus: 'modifying' } };
  });
};

/**
 * Route 53, one answer: UPSERT → PENDING, GetChange INSYNC after `pendingChecks`, TestDNSAnswer answers the last
 * UPSERT, GetHostedZone says the zone is public (so Verify asks TestDNSAnswer), or with `privateZone` private (so
 * Verify lists the record with ListResourceRecordSets). For routing policies and Route 53's validation, use the
 * stateful world of test/aws-world/route53.ts.
 */
export const route53World = (
  opts: {
    pendingChecks?: number;
    initial?: string;
    failFirstChanges?: Error[];
    privateZone?: boolean;
    /** ChangeResourceRecordSets answers INSYNC (Route 53 answers PENDING; the ASL must handle both). */
    insyncAtOnce?: boolean;
  } = {},
) => {
  let value = opts.initial ?? 'orders-us.cluster-abc123.us-east-1.rds.amazonaws.com';
  let checks = 0;
  const failures = [...(opts.failFirstChanges ?? [])];
  route53.on(ChangeResourceRecordSetsCommand).callsFake((input) => {
    const failure = failures.shift();
    if (failure) throw failure;
    value = input.ChangeBatch?.Changes?.[0]?.ResourceRecordSet?.ResourceRecords?.[0]?.Value ?? value;
    const Status = opts.insyncAtOnce ? 'INSYNC' : 'PENDING';
    return { ChangeInfo: { Id: '/change/C0123456789', Status, SubmittedAt: new Date() } };
  });
  route53.on(GetChangeCommand).callsFake(() => {
    checks += 1;
    return {
      ChangeInfo: {
        Id: '/change/C0123456789',
        Status: checks > (opts.pendingChecks ?? 0) ? 'INSYNC' : 'PENDING',
        SubmittedAt: new Date(),
      },
    };
  });
  route53.on(GetHostedZoneCommand).callsFake((input) => ({
    HostedZone: {
      Id: `/hostedzone/${input.Id}`,
      Name: 'example.internal.',
      CallerReference: 'test',
      Config: { PrivateZone: opts.privateZone === true },
    },
  }));
  route53.on(ListResourceRecordSetsCommand).callsFake((input) => ({
    ResourceRecordSets: [
      { Name: `${input.StartRecordName}.`, Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: value }] },
    ],
    IsTruncated: false,
    MaxItems: input.MaxItems,
  }));
  route53.on(TestDNSAnswerCommand).callsFake((input) => ({
    Nameserver: 'ns-1.awsdns-01.org',
    RecordName: input.RecordName,
    RecordType: input.RecordType,
    RecordData: [value],
    ResponseCode: 'NOERROR',
    Protocol: 'UDP',
  }));
};

export const notifyWorld = () => {
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
};

/** The `detail` of the first notification of `type` put on the bus (empty when there was none). */
export const notificationDetail = (type: string): Record<string, unknown> => {
  const entry = eventBridge
    .commandCalls(PutEventsCommand)
    .map((c) => c.args[0].input.Entries?.[0])
    .find((e) => e?.DetailType === type);
  return (JSON.parse(entry?.Detail ?? '{}') as { detail?: Record<string, unknown> }).detail ?? {};
};

/** The detail-types put on the bus, in order. */
export const publishedTypes = (): string[] =>
  eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.[0]?.DetailType ?? '');

/**
 * Every AWS command that changes the world a failover acts on: the ones the adapters send (promotion, fencing,
 * DNS, executions) and their near relatives, so a new code path that sends one is caught too. Notifications
 * (PutEvents, Publish) are not in it: announcing a refused run is expected.
 */
export const MUTATING_COMMANDS = [
  CreateDBSnapshotCommand,
  CopyDBClusterSnapshotCommand,
  CreateDBInstanceReadReplicaCommand,
  FailoverGlobalClusterCommand,
  SwitchoverGlobalClusterCommand,
  PromoteReadReplicaCommand,
  ModifyDBParameterGroupCommand,
  ModifyDBInstanceCommand,
  ModifyDBClusterCommand,
  RebootDBInstanceCommand,
  ChangeResourceRecordSetsCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  SendTaskSuccessCommand,
  SendTaskFailureCommand,
  PutSecretValueCommand,
  UpdateSecretCommand,
] as const;

/** Names of the commands sent on every mocked client, in order per client. */
export const sentCommands = (): string[] =>
  ALL_MOCKS.flatMap((m) => m.calls().map((c) => (c.args[0] as object).constructor.name));

/** Names of the mutating commands sent on any mocked client. */
export const mutatingCommandsSent = (): string[] => {
  const mutating = new Set<string>(MUTATING_COMMANDS.map((c) => c.name));
  return sentCommands().filter((name) => mutating.has(name));
};

/**
 * EventBridge Scheduler, emulated on the mock, one-time schedules only (the kind dr-failover creates). Each behaviour
 * cites its page:
 * - CreateSchedule (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html): Name 1-64 of
 *   [0-9a-zA-Z-_.] (ValidationException); a name that exists in the group: ConflictException; a group that does not
 *   exist: ResourceNotFoundException (only checked when `groups` is given).
 * - One-time schedules, `at(yyyy-mm-ddThh:mm:ss)` in ScheduleExpressionTimezone
 *   (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#one-time): invoked once, at that time
 *   with FlexibleTimeWindow OFF, never before.
 * - ActionAfterCompletion DELETE (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-delete.html):
 *   a one-time schedule is deleted after it invoked its target once; its name can then be used again.
 * `advanceTo(time)` runs every schedule due by then, sending its universal target's Input to the local run's
 * SendTaskFailure, as the `sfn:sendTaskFailure` target does; `startDue(time, client)` runs the due schedules whose
 * target is `sfn:startExecution`, sending their Input as the StartExecution request (universal targets:
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html), with `client` (whatever
 * Step Functions world answers it). A target's error is recorded on the schedule, as Scheduler records a failed
 * invocation; the schedule still ran.
 */
export const schedulerWorld = (opts: { groups?: string[] } = {}) => {
  const schedules: {
    name: string;
    group: string;
    at: Date;
    target: string;
    input: Record<string, string>;
    ran: boolean;
    deleteAfter: boolean;
    targetError?: string;
  }[] = [];
  const refuse = (
    Cls: typeof ConflictException | typeof ValidationException | typeof ResourceNotFoundException,
    message: string,
  ) => new Cls({ $metadata: {}, message, Message: message });
  scheduler.on(CreateScheduleCommand).callsFake((input) => {
    const group = input.GroupName ?? 'default';
    if (!/^[0-9a-zA-Z\-_.]{1,64}$/.test(input.Name ?? '')) {
      throw refuse(ValidationException, `Invalid schedule name ${input.Name}.`);
    }
    if (opts.groups && !opts.groups.includes(group)) {
      throw refuse(ResourceNotFoundException, `Schedule group ${group} does not exist.`);
    }
    if (schedules.some((s) => s.name === input.Name && s.group === group)) {
      throw refuse(ConflictException, `Schedule ${input.Name} already exists.`);
    }
    const at = /^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$/.exec(input.ScheduleExpression ?? '')?.[1];
    if (!at || input.ScheduleExpressionTimezone !== 'UTC' || input.FlexibleTimeWindow?.Mode !== 'OFF')
      throw new Error(`not a UTC at() schedule without a flexible window: ${input.ScheduleExpression}`);
    schedules.push({
      name: input.Name as string,
      group,
      at: new Date(`${at}Z`),
      target: input.Target?.Arn ?? '',
      input: JSON.parse(input.Target?.Input ?? '{}'),
      ran: false,
      deleteAfter: input.ActionAfterCompletion === 'DELETE',
    });
    return { ScheduleArn: `arn:aws:scheduler:eu-west-1:111122223333:schedule/${group}/${input.Name}` };
  });
  return {
    schedules,
    async startDue(time: Date, client: SFNClient) {
      const due = schedules.filter(
        (x) => !x.ran && x.at.getTime() <= time.getTime() && x.target.endsWith(':aws-sdk:sfn:startExecution'),
      );
      for (const s of due) {
        s.ran = true;
        try {
          await client.send(
            new StartExecutionCommand({
              stateMachineArn: s.input.StateMachineArn,
              name: s.input.Name,
              input: s.input.Input,
            }),
          );
        } catch (error) {
          s.targetError = (error as Error).name;
        }
        if (s.deleteAfter) schedules.splice(schedules.indexOf(s), 1);
      }
    },
    advanceTo(time: Date, tokens: LocalTaskTokens) {
      const due = schedules.filter(
        (x) => !x.ran && x.at.getTime() <= time.getTime() && x.target.endsWith(':aws-sdk:sfn:sendTaskFailure'),
      );
      for (const s of due) {
        s.ran = true;
        try {
          tokens.sendTaskFailure(s.input.TaskToken as string, s.input.Error as string, s.input.Cause as string);
        } catch {
          // TaskTimedOut: answered first. Scheduler records a failed invocation; the run is not affected.
        }
        if (s.deleteAfter) schedules.splice(schedules.indexOf(s), 1);
      }
    },
  };
};

/**
 * ARC routing controls and the failover records tied to them: UpdateRoutingControlStates sets the states (all
 * entries at once), GetRoutingControlState reads them, and Route 53's TestDNSAnswer answers the record pair's
 * choice: the standby's endpoint once its control is On, the primary's before. Endpoints of the regions in `down`
 * answer EndpointTemporarilyUnavailableException, as a cluster endpoint in maintenance does.
 * https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.update.api.html
 */
export const routingControlWorld = (
  plan: Plan,
  opts: {
    down?: string[];
    failUpdates?: Error[];
    standbyEndpoint?: string;
    primaryEndpoint?: string;
    privateZone?: boolean;
  } = {},
) => {
  if (plan.traffic.kind !== 'routing-control') throw new Error(`${plan.name} does not use routing controls`);
  const controls = plan.traffic.routingControls;
  const states = new Map<string, string>([
    [controls.primary, 'On'],
    [controls.standby, 'Off'],
  ]);
  const failures = [...(opts.failUpdates ?? [])];
  const answered: string[] = [];
  const endpointOf = async (getClient: () => Route53RecoveryClusterClient) => {
    const region = await getClient().config.region();
    if (opts.down?.includes(region)) {
      throw new EndpointTemporarilyUnavailableException({ $metadata: { httpStatusCode: 503 }, message: 'down' });
    }
    answered.push(region);
  };
  arc.on(UpdateRoutingControlStatesCommand).callsFake(async (input, getClient) => {
    await endpointOf(getClient);
    const failure = failures.shift();
    if (failure) throw failure;
    for (const e of input.UpdateRoutingControlStateEntries ?? [])
      states.set(e.RoutingControlArn, e.RoutingControlState);
    return {};
  });
  arc.on(GetRoutingControlStateCommand).callsFake(async (input, getClient) => {
    await endpointOf(getClient);
    return { RoutingControlArn: input.RoutingControlArn, RoutingControlState: states.get(input.RoutingControlArn) };
  });
  const answer = () =>
    states.get(controls.standby) === 'On' ? (opts.standbyEndpoint ?? ORDERS.endpoint) : primaryEndpoint;
  const primaryEndpoint = opts.primaryEndpoint ?? 'orders-us.cluster-abc123.us-east-1.rds.amazonaws.com';
  // What a resolver answers (Verify on the data plane): the pair's member Route 53 picks from the controls' health checks.
  resetResolverWorld(answer);
  route53.on(GetHostedZoneCommand).callsFake((input) => ({
    HostedZone: {
      Id: `/hostedzone/${input.Id}`,
      Name: 'example.internal.',
      CallerReference: 't',
      Config: { PrivateZone: opts.privateZone === true },
    },
  }));
  // A private zone read back lists both records of the pair: the read cannot tell which one resolvers answer.
  route53.on(ListResourceRecordSetsCommand).callsFake((input) => ({
    ResourceRecordSets: [
      {
        Name: `${input.StartRecordName}.`,
        Type: 'CNAME',
        TTL: 30,
        SetIdentifier: 'primary',
        Failover: 'PRIMARY',
        ResourceRecords: [{ Value: primaryEndpoint }],
      },
      {
        Name: `${input.StartRecordName}.`,
        Type: 'CNAME',
        TTL: 30,
        SetIdentifier: 'standby',
        Failover: 'SECONDARY',
        ResourceRecords: [{ Value: opts.standbyEndpoint ?? ORDERS.endpoint }],
      },
    ],
    IsTruncated: false,
    MaxItems: input.MaxItems,
  }));
  route53.on(TestDNSAnswerCommand).callsFake((input) => ({
    Nameserver: 'ns-1.awsdns-01.org',
    RecordName: input.RecordName,
    RecordType: input.RecordType,
    RecordData: [answer()],
    ResponseCode: 'NOERROR',
    Protocol: 'UDP',
  }));
  return { states, answered };
};
