import { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { powertoolsReadinessMetrics } from '#adapters/metrics/index.js';
import { readinessNotifierFor } from '#adapters/notify/index.js';
import { ThrottledError } from '#core/errors.js';
import type { Plan } from '#core/plan.js';
import type { ReadinessProbes, StackNames } from '#core/ports.js';
import type { ReadinessReport } from '#core/readiness/model.js';
import { stackFromEnv } from '#lib/env.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { createHandler } from '../../functions/readiness.js';
import { healthyFailoverRecords } from '../fixtures/failover-records.js';

const eventBridge = mockClient(EventBridgeClient);
const sns = mockClient(SNSClient);

const NOW = new Date('2026-11-26T12:00:00.000Z');
const orders: Plan = loadPlanFile('plans/orders.yml');
const plans = new Map([[orders.name, orders]]);
const WRITER = 'orders-us.cluster-abc.us-east-1.rds.amazonaws.com';
const STACK: StackNames = {
  stage: 'dev',
  stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:dr-failover-dev',
  triggerFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:dr-failover-dev-trigger',
  functionNames: ['dr-failover-dev-promote'],
};

const lambdaContext = (): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'dr-failover-dev-readiness',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:dr-failover-dev-readiness',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/dr-failover-dev-readiness',
  logStreamName: '2026/11/26/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/** Every probe healthy; the primary-region reads (writer, record) hang unless told otherwise. */
const probes = (over: Partial<ReadinessProbes> = {}): ReadinessProbes => ({
  standby: async () => ({ exists: true, role: 'replica', state: 'available', replication: 'connected', detail: '' }),
  replicationLag: async () => ({ status: 'known', seconds: 2, observedAt: NOW.toISOString(), source: 'cloudwatch' }),
  backup: async () => ({ kind: 'found', newestAt: new Date(NOW.getTime() - 3_600_000), source: 's', detail: '' }),
  writer: () => new Promise(() => undefined),
  dnsRecord: () => new Promise(() => undefined),
  alarms: async () => [],
  stateMachine: async () => ({ name: 'dr-failover-dev', exists: true, state: 'ACTIVE' }),
  functions: async () => [{ name: 'dr-failover-dev-promote', exists: true, state: 'Active' }],
  failoverRecords: async () => healthyFailoverRecords(loadPlanFile('plans/orders.yml')),
  // The plan has no components: a component read would be a bug.
  component: async (c) => {
    throw new Error(`no component ${c.name} in this plan`);
  },
  traffic: async () => ({
    controls: { primary: 'On', standby: 'Off' },
    endpoints: [{ region: 'us-west-2', answered: true }],
    detail: 'routing controls primary On, standby Off',
  }),
  ...over,
});

let stdout: MockInstance<typeof process.stdout.write>;

/** The EMF documents Powertools Metrics wrote to standard output. */
const emitted = () =>
  stdout.mock.calls
    .map(([chunk]) => String(chunk))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown[] } });

const newHandler = (over: Partial<ReadinessProbes> = {}) =>
  createHandler({
    plans: () => plans,
    now: () => NOW,
    stack: () => STACK,
    probes: async () => probes(over),
    notifier: readinessNotifierFor,
    metrics: powertoolsReadinessMetrics(new Metrics({ namespace: 'DrFailover', serviceName: 'dr-failover' })),
  });

beforeEach(() => {
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

afterEach(() => {
  eventBridge.reset();
  sns.reset();
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('readiness handler', () => {
  it('finishes every standby check while the primary-region reads hang, reporting them as WARN', async () => {
    // Prepare
    vi.useFakeTimers({ now: NOW });
    const handler = newHandler();

    // Act
    const pending = handler({ kind: 'readiness', plan: 'orders' }, lambdaContext());
    await vi.advanceTimersByTimeAsync(orders.readiness.checkTimeoutSeconds * 1000);
    const report: ReadinessReport = await pending;

    // Assess
    const statuses = Object.fromEntries(report.checks.map((c) => [c.check, c.status]));
    expect(statuses).toEqual({
      standby: 'OK',
      'replication-lag': 'OK',
      backup: 'OK',
      dns: 'WARN',
      'trigger-alarms': 'WARN',
      traffic: 'OK',
      'failover-records': 'OK',
      'state-machine': 'OK',
      functions: 'OK',
    });
    expect(report.status).toBe('WARN');
  });

  it('emits one CheckStatus per check (0 OK, 1 WARN, 2 CRITICAL) and the overall ReadinessStatus', async () => {
    // Prepare
    const handler = newHandler({
      writer: async () => ({ role: 'primary', endpoints: [WRITER], forbidden: [], detail: '' }),
      dnsRecord: async () => ({ values: [WRITER], detail: '' }),
      backup: async () => ({ kind: 'none', detail: 'no snapshot' }),
    });

    // Act
    await handler({ kind: 'readiness', plan: 'orders' }, lambdaContext());

    // Assess
    const docs = emitted();
    const checks = docs.filter((d) => 'CheckStatus' in d);
    expect(checks.map((d) => [d.check, d.CheckStatus])).toEqual([
      ['standby', 0],
      ['replication-lag', 0],
      ['backup', 2],
      ['dns', 0],
      ['trigger-alarms', 1],
      ['traffic', 0],
      ['failover-records', 0],
      ['state-machine', 0],
      ['functions', 0],
    ]);
    expect(checks[0]).toMatchObject({
      plan: 'orders',
      service: 'dr-failover',
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'DrFailover',
            Dimensions: [expect.arrayContaining(['service', 'plan', 'check'])],
            Metrics: [{ Name: 'CheckStatus', Unit: 'Count' }],
          },
        ],
      },
    });
    const overall = docs.filter((d) => 'ReadinessStatus' in d);
    expect(overall).toHaveLength(1);
    expect(overall[0]).toMatchObject({ plan: 'orders', ReadinessStatus: 2 });
    expect(overall[0]).not.toHaveProperty('check');
  });

  it('publishes one Readiness Report event on the plan bus, and pages nobody by SNS', async () => {
    // Prepare
    const handler = newHandler({
      writer: async () => ({ role: 'primary', endpoints: [WRITER], forbidden: [], detail: '' }),
      dnsRecord: async () => ({ values: [WRITER], detail: '' }),
      replicationLag: async () => {
        throw new ThrottledError('GetMetricData failed: Throttling');
      },
    });

    // Act
    const report = await handler({ kind: 'readiness', plan: 'orders' }, lambdaContext());

    // Assess
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const entry = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({ Source: 'dr-failover', DetailType: 'Readiness Report', EventBusName: 'dr-failover' });
    const detail = JSON.parse(entry?.Detail ?? '{}') as { plan: string; summary: string; detail: ReadinessReport };
    expect(detail.plan).toBe('orders');
    expect(detail.detail.status).toBe(report.status);
    expect(detail.detail.checks.find((c) => c.check === 'replication-lag')).toMatchObject({
      status: 'WARN',
      summary: 'could not check this time: ThrottledError: GetMetricData failed: Throttling',
    });
    expect(detail.summary).toMatch(/^orders: DR readiness WARN \(0 CRITICAL, 2 WARN of 9\)/);
    expect(sns.calls()).toHaveLength(0);
  });

  it('fails the invocation, without a report, for an event naming no deployed plan', async () => {
    // Prepare
    const handler = newHandler();

    // Act / Assess
    await expect(handler({ kind: 'readiness', plan: 'payments' }, lambdaContext())).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'plan',
    });
    expect(eventBridge.calls()).toHaveLength(0);
  });

  it('fails the invocation when a check has a bug, after emitting nothing half-done', async () => {
    // Prepare
    const handler = newHandler({
      writer: async () => ({ role: 'primary', endpoints: [WRITER], forbidden: [], detail: '' }),
      dnsRecord: async () => ({ values: [WRITER], detail: '' }),
      functions: async () => {
        throw new TypeError('x is not a function');
      },
    });

    // Act / Assess
    await expect(handler({ kind: 'readiness', plan: 'orders' }, lambdaContext())).rejects.toThrow(TypeError);
    expect(emitted()).toEqual([]);
    expect(eventBridge.calls()).toHaveLength(0);
  });

  it('reads the stack names from the environment serverless.yml sets', () => {
    // Act
    const names = stackFromEnv({
      DR_FAILOVER_STAGE: 'dev',
      STATE_MACHINE_ARN: STACK.stateMachineArn,
      TRIGGER_FUNCTION_ARN: STACK.triggerFunctionArn,
      STACK_FUNCTIONS: 'dr-failover-dev-prepare, dr-failover-dev-promote',
    });

    // Assess
    expect(names).toEqual({ ...STACK, functionNames: ['dr-failover-dev-prepare', 'dr-failover-dev-promote'] });
    expect(() => stackFromEnv({ DR_FAILOVER_STAGE: 'dev' })).toThrow(
      'Environment variable STATE_MACHINE_ARN is required',
    );
  });
});
