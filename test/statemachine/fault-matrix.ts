/**
 * The fault matrix: one row per Task state of statemachines/failover.asl.yaml, naming a run that reaches it, the
 * AWS calls it makes that fail transiently, and the terminal failures it can meet. faults*.test.ts execute it;
 * a Task added to the definition without a row fails them.
 */
import { GetMetricDataCommand, InternalServiceFault, InvalidParameterValueException } from '@aws-sdk/client-cloudwatch';
import { InternalException, PutEventsCommand, ThrottlingException } from '@aws-sdk/client-eventbridge';
import {
  CreateDBInstanceReadReplicaCommand,
  CreateDBSnapshotCommand,
  DBParameterGroupNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  GlobalClusterNotFoundFault,
  InvalidDBInstanceStateFault,
  InvalidDBParameterGroupStateFault,
  InvalidGlobalClusterStateFault,
  ModifyDBParameterGroupCommand,
  PromoteReadReplicaCommand,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  NoSuchChange,
  NoSuchHostedZone,
  ThrottlingException as Route53ThrottlingException,
  TestDNSAnswerCommand,
} from '@aws-sdk/client-route-53';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { AuthorizationErrorException, PublishCommand, ThrottledException } from '@aws-sdk/client-sns';
import { rdsPairFor } from '#adapters/database/index.js';
import type { PlanInput } from '#core/plan.js';
import * as prepare from '#functions/prepare.js';
import { type Handlers, loadDefinition } from '#lab/state-machine.js';
import { RdsFailbackWorld, rdsFailbackDefaults } from '../aws-world/rds-failback.js';
import { ARTIFACT_FINDING_CRASHES, ARTIFACTS_PLANNED } from './artifacts-world.js';
import { COMPONENTS, platformPlan, platformWorld } from './components-world.js';
import { type AwsFault, accessDenied, type Scenario, serverError, throttling } from './fault-kit.js';
import {
  auroraWorld,
  cloudwatch,
  eventBridge,
  lagMetrics,
  ORDERS,
  preparing,
  rds,
  rdsReplicaWorld,
  route53,
  route53World,
  runInput,
  sfn,
  sns,
  upsertVariant,
} from './support.js';

// ------------------------------------------------------------------ the Task states

/** A Task state of the definition, as the matrix reads it. */
export interface TaskState {
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Retry?: {
    ErrorEquals: string[];
    IntervalSeconds?: number;
    MaxAttempts?: number;
    BackoffRate?: number;
    MaxDelaySeconds?: number;
    JitterStrategy?: string;
  }[];
  TimeoutSeconds?: number;
  Next?: string;
}
const definition = loadDefinition();
/** The Task states of statemachines/failover.asl.yaml: each needs a row. */
export const TASKS = Object.entries(definition.States)
  .filter(([, s]) => s.Type === 'Task')
  .map(([name]) => name);
export const taskState = (name: string) => definition.States[name] as TaskState;

// ------------------------------------------------------------------ runs that reach each Task

/** Prepare bound to a catalogue holding one variant of a plan. */
const withPlan = (file: string, changes: (p: PlanInput) => PlanInput): Partial<Handlers> =>
  preparing(upsertVariant(file, changes));

const OLD_PRIMARY = 'orders-us.cluster-abc123.us-east-1.rds.amazonaws.com';
const approve = async () => ({ approved: true, by: 'oncall:bo' });

/** The orders plan (Aurora Global Database, Route 53), unplanned: every Task of the happy path runs. */
export const ORDERS_RUN: Scenario = {
  name: 'orders, unplanned',
  input: runInput(),
  world: () => {
    lagMetrics(() => 2_000);
    auroraWorld();
    route53World({ pendingChecks: 1 });
  },
  ends: { status: 'SUCCEEDED' },
};

/** The feature-store plan (RDS read replica), planned, with a fence parameter group: Fence calls AWS. */
export const FEATURE_STORE_PLANNED: Scenario = {
  name: 'feature-store, planned, fenced by parameter group',
  input: runInput({ plan: 'feature-store', mode: 'planned' }),
  handlers: withPlan('plans/feature-store.yml', (p) => ({
    ...p,
    database: { ...(p.database as object), fenceParameterGroupName: 'feature-store-pg' } as PlanInput['database'],
  })),
  world: () => {
    // Once the read-only parameter is set, the replica replays the last commits: its lag reads 0 from then on.
    let readOnly = false;
    lagMetrics(() => (readOnly ? 0 : 4));
    rdsReplicaWorld();
    rds.on(ModifyDBParameterGroupCommand).callsFake(() => {
      readOnly = true;
      return { DBParameterGroupName: 'feature-store-pg' };
    });
    route53World({ initial: 'feature-store.abc123.us-west-2.rds.amazonaws.com' });
  },
  ends: { status: 'SUCCEEDED' },
};

/** The RDS world after a failover, on the real clock: the replica it builds replicates at once, its lag reads 0. */
const wayBackWorld = () => {
  new RdsFailbackWorld(
    { now: () => Date.now(), advance: () => undefined },
    rdsFailbackDefaults({
      creatingMs: 0,
      snapshotMs: 0,
      parameterApplyMs: 0,
      openTransactionMs: 0,
      promotion: { modifyingMs: 0, rebootingMs: 0 },
    }),
  );
  lagMetrics(() => 0);
  route53World({ initial: 'feature-store-replica.abc123.us-east-2.rds.amazonaws.com' });
};

/** The way back of the feature-store plan (RDS): Preserve, Rebuild and RebuildStatus run, then the planned run back. */
export const FEATURE_STORE_FAILBACK: Scenario = {
  name: 'feature-store, failback: preserve, rebuild, run back',
  input: runInput({ plan: 'feature-store', mode: 'planned', trigger: { kind: 'failback', source: 'dr-failover CLI' } }),
  handlers: {
    prepare: prepare.createHandler({
      now: () => new Date(),
      plans: () => new Map([['feature-store', upsertVariant('plans/feature-store.yml')]]),
      rdsPair: rdsPairFor,
    }),
  },
  world: wayBackWorld,
  ends: { status: 'SUCCEEDED' },
};

/** An alarm starts a run of a plan that is not automatic: ApproveFailover asks a person, who approves. */
const ORDERS_MANUAL: Scenario = {
  name: 'orders, not automatic, started by an alarm, approved',
  input: runInput({
    trigger: { kind: 'alarm', source: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-db-primary-unhealthy' },
  }),
  handlers: withPlan('plans/orders.yml', (p) => ({ ...p, trigger: { ...p.trigger, automatic: false } })),
  world: ORDERS_RUN.world,
  approver: approve,
  ends: { status: 'SUCCEEDED' },
};

/** Lag over the RPO with onExceeded wait-for-approval: ApproveLagExceeded asks a person, who approves. */
const ORDERS_LAG_APPROVAL: Scenario = {
  name: 'orders, lag over the RPO, wait-for-approval, approved',
  input: runInput(),
  handlers: withPlan('plans/orders.yml', (p) => ({
    ...p,
    rpo: { ...p.rpo, onExceeded: 'wait-for-approval', maxLagChecks: 1 },
  })),
  world: () => {
    lagMetrics(() => 120_000);
    auroraWorld();
    route53World({ pendingChecks: 1 });
  },
  approver: approve,
  ends: { status: 'SUCCEEDED' },
};

/** Lag over the RPO with onExceeded abort: the run ends in NotifyAborted, then Aborted. */
const ORDERS_ABORTED: Scenario = {
  name: 'orders, lag over the RPO, abort',
  input: runInput(),
  handlers: withPlan('plans/orders.yml', (p) => ({ ...p, rpo: { ...p.rpo, maxLagChecks: 1 } })),
  world: () => {
    lagMetrics(() => 120_000);
    auroraWorld();
  },
  ends: { status: 'FAILED', error: 'ReplicationLagExceededError', last: 'Aborted' },
};

/** The record still answers the old primary after the switch: Verify fails, the run ends in NotifyFailed. */
const ORDERS_VERIFY_FAILS: Scenario = {
  name: 'orders, the record keeps answering the old primary',
  input: runInput(),
  world: () => {
    ORDERS_RUN.world();
    route53.on(TestDNSAnswerCommand).resolves({ RecordData: [`${OLD_PRIMARY}.`], ResponseCode: 'NOERROR' });
  },
  ends: { status: 'FAILED', error: 'DnsVerificationFailedError', last: 'Failed' },
};

/**
 * A plan with components (components-world.ts), unplanned: the gate and both stages run. One gate only: the matrix
 * counts one call of the faulty command per attempt, and CheckComponentGates reads every gate at once.
 */
const PLATFORM_RUN: Scenario = {
  name: 'orders with components, unplanned',
  input: runInput({ plan: 'ml-orders' }),
  handlers: preparing(platformPlan(COMPONENTS.filter((c) => c.kind !== 'dynamodb-global-table'))),
  world: () => {
    platformWorld();
    auroraWorld();
    route53World({ pendingChecks: 1 });
  },
  ends: { status: 'SUCCEEDED' },
};

// ------------------------------------------------------------------ the rows

/**
 * How a failure of the Task ends the run: `step` → NotifyFailed → Failed; `notify` → never fails the run;
 * `finding` (after traffic moved) → recorded in the run state (`artifactsFailed`), and the run ends as it would have.
 */
export type TaskKind = 'step' | 'notify' | 'approval' | 'finding';

export interface TerminalFault {
  label: string;
  /** The error name the execution ends with: the original one, never a generic one. */
  expect: string;
  /** The AWS call that fails (every attempt of the Task). */
  aws?: AwsFault;
  /** Or: the execution input that fails. */
  input?: Record<string, unknown>;
}

export interface TaskRow {
  kind: TaskKind;
  scenario: Scenario;
  /** AWS calls of the Task failing for its first attempts; each runs in `scenario` unless it names its own. */
  transient: (AwsFault & { scenario?: Scenario })[];
  /** Why the Task has no transient AWS fault (it makes no AWS call). */
  noAwsCall?: string;
  terminal: TerminalFault[];
  /** AWS commands the Task sends that change the world: exactly once in effect, whatever is retried. */
  mutating?: AwsFault['command'][];
}

const sdk = {
  ebThrottled: () => new ThrottlingException({ $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }),
  ebInternal: () => new InternalException({ $metadata: { httpStatusCode: 500 }, message: 'internal error' }),
  snsThrottled: () => new ThrottledException({ $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }),
  snsDenied: () =>
    new AuthorizationErrorException({ $metadata: { httpStatusCode: 403 }, message: 'not authorized to publish' }),
};

const putEvents = { mock: eventBridge, command: PutEventsCommand };
const publish = { mock: sns, command: PublishCommand };
const getMetricData = { mock: cloudwatch, command: GetMetricDataCommand };
const describeGlobal = { mock: rds, command: DescribeGlobalClustersCommand };
const changeRecord = { mock: route53, command: ChangeResourceRecordSetsCommand };
const testDnsAnswer = { mock: route53, command: TestDNSAnswerCommand };
const listExecutions = { mock: sfn, command: ListExecutionsCommand };
const modifyGroup = { mock: rds, command: ModifyDBParameterGroupCommand };
const createSnapshot = { mock: rds, command: CreateDBSnapshotCommand };
const createReplica = { mock: rds, command: CreateDBInstanceReadReplicaCommand };
const describeInstances = { mock: rds, command: DescribeDBInstancesCommand };

/** The notification calls refused for good (IAM), as every Task that notifies can meet them. */
const putEventsDenied: TerminalFault = {
  label: 'PutEvents AccessDeniedException',
  expect: 'AwsRequestFailedError',
  aws: { label: 'PutEvents AccessDeniedException', ...putEvents, error: () => accessDenied() },
};
const publishDenied: TerminalFault = {
  label: 'SNS Publish AuthorizationErrorException',
  expect: 'AwsRequestFailedError',
  aws: { label: 'SNS AuthorizationErrorException', ...publish, error: sdk.snsDenied },
};

export const ROWS: Record<string, TaskRow> = {
  Prepare: {
    kind: 'step',
    scenario: ORDERS_RUN,
    // The run guard lists the state machine's executions.
    transient: [
      { label: 'ListExecutions ThrottlingException', ...listExecutions, error: () => throttling() },
      {
        label: 'ListExecutions ServiceUnavailable (503)',
        ...listExecutions,
        error: () => serverError('ServiceUnavailable', 503),
      },
    ],
    terminal: [
      { label: 'an unknown plan in the input', expect: 'InvalidInputError', input: { plan: 'payments' } },
      {
        label: 'ListExecutions AccessDeniedException',
        expect: 'AwsRequestFailedError',
        aws: { label: 'ListExecutions AccessDeniedException', ...listExecutions, error: () => accessDenied() },
      },
    ],
  },
  Preserve: {
    kind: 'step',
    scenario: FEATURE_STORE_FAILBACK,
    transient: [
      { label: 'CreateDBSnapshot Throttling', ...createSnapshot, error: () => throttling('Throttling') },
      {
        label: 'CreateDBSnapshot InternalFailure (500)',
        ...createSnapshot,
        error: () => serverError('InternalFailure'),
      },
      {
        label: 'CreateDBSnapshot InvalidDBInstanceState (the old primary not yet available)',
        ...createSnapshot,
        error: () => new InvalidDBInstanceStateFault({ $metadata: { httpStatusCode: 400 }, message: 'rebooting' }),
      },
    ],
    terminal: [
      {
        label: 'CreateDBSnapshot AccessDenied',
        expect: 'AwsRequestFailedError',
        aws: { label: 'CreateDBSnapshot AccessDenied', ...createSnapshot, error: () => accessDenied('AccessDenied') },
      },
    ],
    mutating: [CreateDBSnapshotCommand],
  },
  Rebuild: {
    kind: 'step',
    scenario: FEATURE_STORE_FAILBACK,
    transient: [
      { label: 'CreateDBInstanceReadReplica Throttling', ...createReplica, error: () => throttling('Throttling') },
      {
        label: 'CreateDBInstanceReadReplica InternalFailure (500)',
        ...createReplica,
        error: () => serverError('InternalFailure'),
      },
    ],
    terminal: [
      {
        label: 'CreateDBInstanceReadReplica AccessDenied',
        expect: 'AwsRequestFailedError',
        aws: {
          label: 'CreateDBInstanceReadReplica AccessDenied',
          ...createReplica,
          error: () => accessDenied('AccessDenied'),
        },
      },
    ],
    mutating: [CreateDBInstanceReadReplicaCommand],
  },
  RebuildStatus: {
    kind: 'step',
    scenario: FEATURE_STORE_FAILBACK,
    transient: [
      { label: 'DescribeDBInstances Throttling', ...describeInstances, error: () => throttling('Throttling') },
    ],
    terminal: [
      {
        label: 'DescribeDBInstances AccessDenied',
        expect: 'AwsRequestFailedError',
        aws: {
          label: 'DescribeDBInstances AccessDenied',
          ...describeInstances,
          error: () => accessDenied('AccessDenied'),
        },
      },
    ],
  },
  ApproveFailover: {
    kind: 'approval',
    scenario: ORDERS_MANUAL,
    transient: [{ label: 'PutEvents ThrottlingException', ...putEvents, error: sdk.ebThrottled }],
    terminal: [putEventsDenied],
  },
  NotifyStarted: {
    kind: 'notify',
    scenario: ORDERS_RUN,
    transient: [
      { label: 'PutEvents ThrottlingException', ...putEvents, error: sdk.ebThrottled },
      { label: 'PutEvents InternalException (500)', ...putEvents, error: sdk.ebInternal },
      { label: 'SNS Publish ThrottledException', ...publish, error: sdk.snsThrottled },
    ],
    terminal: [putEventsDenied, publishDenied],
  },
  CheckLag: {
    kind: 'step',
    scenario: ORDERS_RUN,
    transient: [
      { label: 'GetMetricData Throttling', ...getMetricData, error: () => throttling('Throttling') },
      {
        label: 'GetMetricData InternalServiceFault (500)',
        ...getMetricData,
        error: () => new InternalServiceFault({ $metadata: { httpStatusCode: 500 }, message: 'internal' }),
      },
    ],
    terminal: [
      {
        label: 'GetMetricData AccessDenied',
        expect: 'AwsRequestFailedError',
        aws: { label: 'GetMetricData AccessDenied', ...getMetricData, error: () => accessDenied('AccessDenied') },
      },
      {
        label: 'GetMetricData InvalidParameterValueException',
        expect: 'AwsRequestFailedError',
        aws: {
          label: 'GetMetricData InvalidParameterValueException',
          ...getMetricData,
          error: () => new InvalidParameterValueException({ $metadata: { httpStatusCode: 400 }, message: 'bad' }),
        },
      },
    ],
  },
  CheckComponentGates: {
    kind: 'step',
    scenario: PLATFORM_RUN,
    transient: [
      { label: 'GetMetricData Throttling', ...getMetricData, error: () => throttling('Throttling') },
      {
        label: 'GetMetricData InternalServiceFault (500)',
        ...getMetricData,
        error: () => new InternalServiceFault({ $metadata: { httpStatusCode: 500 }, message: 'internal' }),
      },
    ],
    terminal: [
      {
        label: 'GetMetricData AccessDenied',
        expect: 'AwsRequestFailedError',
        aws: { label: 'GetMetricData AccessDenied', ...getMetricData, error: () => accessDenied('AccessDenied') },
      },
    ],
  },
  NextComponentStage: {
    kind: 'step',
    scenario: PLATFORM_RUN,
    transient: [],
    noAwsCall: 'it folds the stage that ended into the run state and names the next one; the stage Map acts',
    terminal: [],
  },
  CheckArtifacts: {
    kind: 'step',
    scenario: ARTIFACTS_PLANNED,
    transient: [],
    noAwsCall:
      "its calls' failures are the check's verdicts, never the Task's: a throttled, denied or unanswered HeadObject, or a registry that cannot be read, is an unknown problem (the S3 client retries throttling itself)",
    terminal: [],
  },
  FindArtifacts: {
    kind: 'finding',
    scenario: ARTIFACTS_PLANNED,
    transient: [],
    noAwsCall: 'as CheckArtifacts: every failure of its calls is recorded as an unknown problem of the finding',
    terminal: [],
  },
  ArtifactFindingFailed: {
    kind: 'finding',
    scenario: ARTIFACT_FINDING_CRASHES,
    transient: [],
    noAwsCall: 'it records the failure of FindArtifacts in the run state',
    terminal: [],
  },
  ApproveLagExceeded: {
    kind: 'approval',
    scenario: ORDERS_LAG_APPROVAL,
    transient: [{ label: 'SNS Publish ThrottledException', ...publish, error: sdk.snsThrottled }],
    terminal: [publishDenied],
  },
  Fence: {
    kind: 'step',
    scenario: FEATURE_STORE_PLANNED,
    transient: [
      { label: 'ModifyDBParameterGroup Throttling', ...modifyGroup, error: () => throttling('Throttling') },
      {
        label: 'ModifyDBParameterGroup InvalidDBParameterGroupStateFault',
        ...modifyGroup,
        error: () =>
          new InvalidDBParameterGroupStateFault({ $metadata: { httpStatusCode: 400 }, message: 'being modified' }),
      },
      {
        label: 'ModifyDBParameterGroup ServiceUnavailable (503)',
        ...modifyGroup,
        error: () => serverError('ServiceUnavailable', 503),
      },
    ],
    terminal: [
      {
        label: 'ModifyDBParameterGroup AccessDenied (planned run)',
        expect: 'FenceFailedError',
        aws: {
          label: 'ModifyDBParameterGroup AccessDenied',
          mock: rds,
          command: ModifyDBParameterGroupCommand,
          error: () => accessDenied('AccessDenied'),
        },
      },
      {
        label: 'ModifyDBParameterGroup DBParameterGroupNotFoundFault (planned run)',
        expect: 'FenceFailedError',
        aws: {
          label: 'DBParameterGroupNotFoundFault',
          mock: rds,
          command: ModifyDBParameterGroupCommand,
          error: () => new DBParameterGroupNotFoundFault({ $metadata: { httpStatusCode: 404 }, message: 'not found' }),
        },
      },
    ],
    mutating: [ModifyDBParameterGroupCommand],
  },
  Promote: {
    kind: 'step',
    scenario: ORDERS_RUN,
    transient: [
      {
        label: 'FailoverGlobalCluster InvalidGlobalClusterStateFault',
        mock: rds,
        command: FailoverGlobalClusterCommand,
        error: () =>
          new InvalidGlobalClusterStateFault({ $metadata: { httpStatusCode: 400 }, message: 'global cluster is busy' }),
      },
      {
        label: 'FailoverGlobalCluster InternalFailure (500)',
        mock: rds,
        command: FailoverGlobalClusterCommand,
        error: () => serverError('InternalFailure'),
      },
      { label: 'DescribeGlobalClusters Throttling', ...describeGlobal, error: () => throttling('Throttling') },
      {
        label: 'PromoteReadReplica InvalidDBInstanceStateFault',
        mock: rds,
        command: PromoteReadReplicaCommand,
        error: () => new InvalidDBInstanceStateFault({ $metadata: { httpStatusCode: 400 }, message: 'modifying' }),
        scenario: FEATURE_STORE_PLANNED,
      },
    ],
    terminal: [
      {
        label: 'FailoverGlobalCluster AccessDenied',
        expect: 'AwsRequestFailedError',
        aws: {
          label: 'FailoverGlobalCluster AccessDenied',
          mock: rds,
          command: FailoverGlobalClusterCommand,
          error: () => accessDenied('AccessDenied'),
        },
      },
      {
        label: 'FailoverGlobalCluster GlobalClusterNotFoundFault',
        expect: 'AwsRequestFailedError',
        aws: {
          label: 'GlobalClusterNotFoundFault',
          mock: rds,
          command: FailoverGlobalClusterCommand,
          error: () => new GlobalClusterNotFoundFault({ $metadata: { httpStatusCode: 404 }, message: 'not found' }),
        },
      },
      {
        label: 'the target cluster is no member of the global cluster',
        expect: 'PromotionFailedError',
        aws: {
          label: 'DescribeGlobalClusters without the target',
          ...describeGlobal,
          answer: () => ({
            GlobalClusters: [
              {
                GlobalClusterIdentifier: ORDERS.globalId,
                GlobalClusterMembers: [{ DBClusterArn: ORDERS.primary, IsWriter: true }],
              },
            ],
          }),
        },
      },
    ],
    mutating: [FailoverGlobalClusterCommand, SwitchoverGlobalClusterCommand, PromoteReadReplicaCommand],
  },
  PromotionStatus: {
    kind: 'step',
    scenario: ORDERS_RUN,
    transient: [
      {
        label: 'DescribeGlobalClusters ServiceUnavailable (503)',
        ...describeGlobal,
        error: () => serverError('ServiceUnavailable', 503),
      },
      {
        label: 'DescribeDBClusters Throttling',
        mock: rds,
        command: DescribeDBClustersCommand,
        error: () => throttling('Throttling'),
      },
      {
        label: 'DescribeDBInstances Throttling',
        mock: rds,
        command: DescribeDBInstancesCommand,
        error: () => throttling('Throttling'),
        scenario: FEATURE_STORE_PLANNED,
      },
    ],
    terminal: [
      {
        label: 'Aurora reports the failover being cancelled',
        expect: 'PromotionFailedError',
        aws: {
          label: 'DescribeGlobalClusters FailoverState cancelling',
          ...describeGlobal,
          answer: () => ({
            GlobalClusters: [
              {
                GlobalClusterIdentifier: ORDERS.globalId,
                GlobalClusterMembers: [
                  { DBClusterArn: ORDERS.primary, IsWriter: true },
                  { DBClusterArn: ORDERS.target, IsWriter: false },
                ],
                FailoverState: {
                  Status: 'cancelling',
                  FromDbClusterArn: ORDERS.primary,
                  ToDbClusterArn: ORDERS.target,
                },
              },
            ],
          }),
        },
      },
    ],
  },
  UpdateDns: {
    kind: 'step',
    scenario: ORDERS_RUN,
    transient: [
      {
        label: 'ChangeResourceRecordSets ThrottlingException',
        ...changeRecord,
        error: () => new Route53ThrottlingException({ $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }),
      },
      {
        label: 'ChangeResourceRecordSets ServiceUnavailable (503)',
        ...changeRecord,
        error: () => serverError('ServiceUnavailable', 503),
      },
      {
        label: 'DescribeDBClusters InternalFailure (500)',
        mock: rds,
        command: DescribeDBClustersCommand,
        error: () => serverError('InternalFailure'),
      },
    ],
    terminal: [
      {
        label: 'ChangeResourceRecordSets AccessDenied',
        expect: 'DnsChangeFailedError',
        aws: {
          label: 'ChangeResourceRecordSets AccessDenied',
          ...changeRecord,
          error: () => accessDenied('AccessDenied'),
        },
      },
      {
        label: 'ChangeResourceRecordSets NoSuchHostedZone',
        expect: 'DnsChangeFailedError',
        aws: {
          label: 'NoSuchHostedZone',
          ...changeRecord,
          error: () => new NoSuchHostedZone({ $metadata: { httpStatusCode: 404 }, message: 'no such zone' }),
        },
      },
    ],
    mutating: [ChangeResourceRecordSetsCommand],
  },
  DnsStatus: {
    kind: 'step',
    scenario: ORDERS_RUN,
    transient: [
      {
        label: 'GetChange ThrottlingException',
        mock: route53,
        command: GetChangeCommand,
        error: () => new Route53ThrottlingException({ $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }),
      },
      {
        label: 'GetChange InternalFailure (500)',
        mock: route53,
        command: GetChangeCommand,
        error: () => serverError('InternalFailure'),
      },
    ],
    terminal: [
      {
        label: 'GetChange NoSuchChange',
        expect: 'DnsChangeFailedError',
        aws: {
          label: 'NoSuchChange',
          mock: route53,
          command: GetChangeCommand,
          error: () => new NoSuchChange({ $metadata: { httpStatusCode: 404 }, message: 'no such change' }),
        },
      },
    ],
  },
  Verify: {
    kind: 'step',
    scenario: ORDERS_RUN,
    transient: [
      {
        label: 'TestDNSAnswer ThrottlingException',
        ...testDnsAnswer,
        error: () => new Route53ThrottlingException({ $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }),
      },
      { label: 'TestDNSAnswer InternalFailure (500)', ...testDnsAnswer, error: () => serverError('InternalFailure') },
    ],
    terminal: [
      {
        label: 'the record still answers the old primary',
        expect: 'DnsVerificationFailedError',
        aws: {
          label: 'TestDNSAnswer answers the old primary',
          ...testDnsAnswer,
          answer: () => ({ RecordData: [`${OLD_PRIMARY}.`], ResponseCode: 'NOERROR' }),
        },
      },
      {
        label: 'TestDNSAnswer AccessDenied',
        expect: 'AwsRequestFailedError',
        aws: { label: 'TestDNSAnswer AccessDenied', ...testDnsAnswer, error: () => accessDenied('AccessDenied') },
      },
    ],
  },
  NotifySucceeded: {
    kind: 'notify',
    scenario: ORDERS_RUN,
    transient: [{ label: 'PutEvents ThrottlingException', ...putEvents, error: sdk.ebThrottled }],
    terminal: [publishDenied],
  },
  NotifyAborted: {
    kind: 'notify',
    scenario: ORDERS_ABORTED,
    transient: [{ label: 'SNS Publish ThrottledException', ...publish, error: sdk.snsThrottled }],
    terminal: [putEventsDenied],
  },
  NotifyFailed: {
    kind: 'notify',
    scenario: ORDERS_VERIFY_FAILS,
    transient: [{ label: 'PutEvents InternalException (500)', ...putEvents, error: sdk.ebInternal }],
    terminal: [publishDenied],
  },
};

/** The main line of a run, in order: a failing Task must leave every later one unrun. */
export const MAIN_LINE = [
  'Prepare',
  'ApproveFailover',
  'NotifyStarted',
  'Preserve',
  'Rebuild',
  'RebuildStatus',
  'CheckLag',
  'CheckComponentGates',
  'CheckArtifacts',
  'ApproveLagExceeded',
  'Fence',
  'Promote',
  'PromotionStatus',
  'NextComponentStage',
  'UpdateDns',
  'DnsStatus',
  'Verify',
  'FindArtifacts',
  'ArtifactFindingFailed',
  'NotifySucceeded',
];

/** The Task that sends each mutating command. */
export const MUTATED_BY: Record<string, string> = {
  CreateDBSnapshot: 'Preserve',
  CreateDBInstanceReadReplica: 'Rebuild',
  ModifyDBParameterGroup: 'Fence',
  FailoverGlobalCluster: 'Promote',
  SwitchoverGlobalCluster: 'Promote',
  PromoteReadReplica: 'Promote',
  ChangeResourceRecordSets: 'UpdateDns',
};
