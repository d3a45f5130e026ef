import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeRuleCommand,
  EventBridgeClient,
  EventBridgeServiceException,
  ListTargetsByRuleCommand,
  ResourceNotFoundException as RuleNotFound,
} from '@aws-sdk/client-eventbridge';
import {
  ResourceNotFoundException as FunctionNotFound,
  GetFunctionConfigurationCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import {
  GetHostedZoneCommand,
  ListResourceRecordSetsCommand,
  NoSuchHostedZone,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { DescribeStateMachineCommand, SFNClient, StateMachineDoesNotExist } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlarmReader, patternMatchesAlarm } from '#adapters/readiness/alarms.js';
import { Route53RecordReader } from '#adapters/readiness/route53.js';
import { StackReader } from '#adapters/readiness/stack.js';
import { AwsRequestFailedError, ServiceUnavailableError, ThrottledError } from '#core/errors.js';
import type { Plan, PlanWithDns } from '#core/plan.js';
import type { StackNames } from '#core/ports.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const route53 = mockClient(Route53Client);
const cloudwatch = mockClient(CloudWatchClient);
const eventBridge = mockClient(EventBridgeClient);
const sfn = mockClient(SFNClient);
const lambda = mockClient(LambdaClient);

const orders = loadPlanFile('plans/orders.yml') as PlanWithDns<'route53'>;
const STACK: StackNames = {
  stage: 'dev',
  stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:dr-failover-dev',
  triggerFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:dr-failover-dev-trigger',
  functionNames: ['dr-failover-dev-prepare', 'dr-failover-dev-promote'],
};
const ALARM_1 = 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-db-primary-unhealthy';
const ALARM_2 = 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-api-writes-failing';
const pattern = (arn: string) =>
  JSON.stringify({
    source: ['aws.cloudwatch'],
    'detail-type': ['CloudWatch Alarm State Change'],
    resources: [arn],
    detail: { state: { value: ['ALARM'] } },
  });

afterEach(() => {
  route53.reset();
  cloudwatch.reset();
  eventBridge.reset();
  sfn.reset();
  lambda.reset();
});

describe('Route53RecordReader', () => {
  beforeEach(() => {
    route53.on(GetHostedZoneCommand).resolves({
      HostedZone: {
        Id: '/hostedzone/Z0123456789ABCDEFGHIJ',
        Name: 'orders.example.internal.',
        CallerReference: 'x',
        Config: { PrivateZone: true },
      },
    });
  });

  it("lists every set of the plan's record name in us-east-1, keeps its type's values, and reads the zone", async () => {
    // Prepare
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        {
          Name: 'db.orders.example.internal.',
          Type: 'CNAME',
          TTL: 30,
          ResourceRecords: [{ Value: 'orders-us.cluster-abc.us-east-1.rds.amazonaws.com.' }],
        },
        { Name: 'db.orders.example.internal.', Type: 'TXT', ResourceRecords: [{ Value: '"x"' }] },
      ],
      IsTruncated: true,
      NextRecordName: 'dz.orders.example.internal.',
      NextRecordType: 'A',
      MaxItems: 20,
    });

    // Act
    const facts = await new Route53RecordReader(orders).dnsRecord();

    // Assess
    expect(route53).toHaveReceivedCommandExactlyOnceWith(ListResourceRecordSetsCommand, {
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      StartRecordName: 'db.orders.example.internal',
      MaxItems: 20,
    });
    expect(facts.zone).toEqual({ name: 'orders.example.internal', private: true, vpcs: [] });
    expect(facts.sameName).toEqual([
      { type: 'CNAME', routingPolicy: false },
      { type: 'TXT', routingPolicy: false },
    ]);
    const [call] = route53.commandCalls(ListResourceRecordSetsCommand);
    expect(await (call?.thisValue as Route53Client | undefined)?.config.region()).toBe('us-east-1');
    expect(facts.values).toEqual(['orders-us.cluster-abc.us-east-1.rds.amazonaws.com']);
  });

  it('follows the pages of a routing policy whose sets share the name and type, and reads alias targets', async () => {
    // Prepare
    route53
      .on(ListResourceRecordSetsCommand)
      .resolvesOnce({
        ResourceRecordSets: [
          {
            Name: 'db.orders.example.internal.',
            Type: 'CNAME',
            SetIdentifier: 'a',
            ResourceRecords: [{ Value: 'x.' }],
          },
        ],
        IsTruncated: true,
        NextRecordName: 'db.orders.example.internal.',
        NextRecordType: 'CNAME',
        NextRecordIdentifier: 'b',
        MaxItems: 10,
      })
      .resolvesOnce({
        ResourceRecordSets: [
          {
            Name: 'db.orders.example.internal.',
            Type: 'CNAME',
            SetIdentifier: 'b',
            AliasTarget: { DNSName: 'y.example.', HostedZoneId: 'Z1', EvaluateTargetHealth: false },
          },
        ],
        IsTruncated: false,
        MaxItems: 10,
      });

    // Act
    const facts = await new Route53RecordReader(orders).dnsRecord();

    // Assess
    expect(route53).toHaveReceivedNthCommandWith(ListResourceRecordSetsCommand, 2, {
      StartRecordName: 'db.orders.example.internal',
      StartRecordType: 'CNAME',
      StartRecordIdentifier: 'b',
    });
    expect(facts.values).toEqual(['x', 'y.example']);
  });

  it('finds no values when the record does not exist', async () => {
    // Prepare
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        { Name: 'dz.orders.example.internal.', Type: 'A', ResourceRecords: [{ Value: '10.0.0.1' }] },
      ],
      IsTruncated: false,
      MaxItems: 10,
    });

    // Act
    const facts = await new Route53RecordReader(orders).dnsRecord();

    // Assess
    expect(facts).toMatchObject({ values: [], detail: expect.stringContaining('not found') });
  });

  it('translates a missing zone into a terminal error and throttling into a retryable one', async () => {
    // Prepare
    route53
      .on(ListResourceRecordSetsCommand)
      .rejectsOnce(new NoSuchHostedZone({ $metadata: {}, message: 'No hosted zone found' }))
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: {} }));
    const reader = new Route53RecordReader(orders);

    // Act / Assess
    await expect(reader.dnsRecord()).rejects.toBeInstanceOf(AwsRequestFailedError);
    await expect(reader.dnsRecord()).rejects.toBeInstanceOf(ThrottledError);
  });
});

describe('AlarmReader', () => {
  const wired = () => {
    eventBridge
      .on(DescribeRuleCommand, { Name: 'dr-failover-dev-orders-alarm-1' })
      .resolves({ Name: 'dr-failover-dev-orders-alarm-1', State: 'ENABLED', EventPattern: pattern(ALARM_1) })
      .on(DescribeRuleCommand, { Name: 'dr-failover-dev-orders-alarm-2' })
      .resolves({ Name: 'dr-failover-dev-orders-alarm-2', State: 'ENABLED', EventPattern: pattern(ALARM_2) });
    eventBridge.on(ListTargetsByRuleCommand).resolves({ Targets: [{ Id: 't', Arn: STACK.triggerFunctionArn }] });
  };

  it('describes the plan alarms, metric and composite, and the named rule of each with its targets', async () => {
    // Prepare
    const since = new Date('2026-11-26T10:00:00Z');
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'orders-db-primary-unhealthy', StateValue: 'OK', StateUpdatedTimestamp: since }],
      CompositeAlarms: [
        { AlarmName: 'orders-api-writes-failing', StateValue: 'INSUFFICIENT_DATA', StateUpdatedTimestamp: since },
      ],
    });
    wired();

    // Act
    const alarms = await new AlarmReader(orders, STACK).alarms();

    // Assess
    expect(cloudwatch).toHaveReceivedCommandExactlyOnceWith(DescribeAlarmsCommand, {
      AlarmNames: ['orders-db-primary-unhealthy', 'orders-api-writes-failing'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
    expect(eventBridge).toHaveReceivedCommandWith(ListTargetsByRuleCommand, { Rule: 'dr-failover-dev-orders-alarm-1' });
    expect(eventBridge).toHaveReceivedCommandWith(ListTargetsByRuleCommand, { Rule: 'dr-failover-dev-orders-alarm-2' });
    const rule = { exists: true, enabled: true, matchesAlarm: true, targetsTrigger: true };
    expect(alarms).toEqual([
      {
        name: 'orders-db-primary-unhealthy',
        exists: true,
        state: 'OK',
        stateSince: since,
        rule: { name: 'dr-failover-dev-orders-alarm-1', ...rule },
      },
      {
        name: 'orders-api-writes-failing',
        exists: true,
        state: 'INSUFFICIENT_DATA',
        stateSince: since,
        rule: { name: 'dr-failover-dev-orders-alarm-2', ...rule },
      },
    ]);
  });

  it('follows DescribeAlarms pages and reports an alarm it never finds as missing', async () => {
    // Prepare
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'orders-db-primary-unhealthy', StateValue: 'OK' }], NextToken: 'n' })
      .resolvesOnce({ MetricAlarms: [] });
    wired();

    // Act
    const alarms = await new AlarmReader(orders, STACK).alarms();

    // Assess
    expect(cloudwatch).toHaveReceivedNthCommandWith(DescribeAlarmsCommand, 2, { NextToken: 'n' });
    expect(alarms.map((a) => [a.name, a.exists])).toEqual([
      ['orders-db-primary-unhealthy', true],
      ['orders-api-writes-failing', false],
    ]);
  });

  it('reports a missing rule, a disabled one, and one that targets something else', async () => {
    // Prepare
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    eventBridge
      .on(DescribeRuleCommand, { Name: 'dr-failover-dev-orders-alarm-1' })
      .rejects(new RuleNotFound({ $metadata: {}, message: 'Rule dr-failover-dev-orders-alarm-1 does not exist' }))
      .on(DescribeRuleCommand, { Name: 'dr-failover-dev-orders-alarm-2' })
      .resolves({ State: 'DISABLED', EventPattern: pattern(ALARM_2) });
    eventBridge.on(ListTargetsByRuleCommand).resolves({ Targets: [{ Id: 't', Arn: 'arn:aws:sns:eu-west-1:1:x' }] });

    // Act
    const [first, second] = await new AlarmReader(orders, STACK).alarms();

    // Assess
    expect(first?.rule).toEqual({ name: 'dr-failover-dev-orders-alarm-1', exists: false });
    expect(second?.rule).toMatchObject({ enabled: false, matchesAlarm: true, targetsTrigger: false });
    expect(eventBridge).toHaveReceivedCommandTimes(ListTargetsByRuleCommand, 1);
  });

  it('translates a throttled rule read into a retryable error', async () => {
    // Prepare
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    eventBridge
      .on(DescribeRuleCommand)
      .rejects(new EventBridgeServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: {} }));

    // Act / Assess
    await expect(new AlarmReader(orders, STACK).alarms()).rejects.toBeInstanceOf(ThrottledError);
  });

  it('asks nothing for a plan without alarms', async () => {
    // Prepare
    const manual: Plan = { ...orders, trigger: { ...orders.trigger, alarms: [] } };

    // Act
    const alarms = await new AlarmReader(manual, STACK).alarms();

    // Assess
    expect(alarms).toEqual([]);
    expect(cloudwatch.calls()).toHaveLength(0);
  });

  it('matches only a pattern naming the alarm ARN and the ALARM state', () => {
    expect(patternMatchesAlarm(pattern(ALARM_1), ALARM_1)).toBe(true);
    expect(patternMatchesAlarm(pattern(ALARM_2), ALARM_1)).toBe(false);
    expect(patternMatchesAlarm(pattern(ALARM_1).replace('"ALARM"', '"OK"'), ALARM_1)).toBe(false);
    expect(patternMatchesAlarm('not json', ALARM_1)).toBe(false);
  });
});

describe('StackReader', () => {
  it('describes the state machine by ARN and each function by name in the standby region', async () => {
    // Prepare
    sfn.on(DescribeStateMachineCommand).resolves({ status: 'ACTIVE' });
    lambda
      .on(GetFunctionConfigurationCommand, { FunctionName: 'dr-failover-dev-prepare' })
      .resolves({ State: 'Active', LastUpdateStatus: 'Successful' })
      .on(GetFunctionConfigurationCommand, { FunctionName: 'dr-failover-dev-promote' })
      .resolves({ State: 'Failed', StateReason: 'The function could not be created', LastUpdateStatus: 'Failed' });
    const reader = new StackReader('eu-west-1', STACK);

    // Act
    const machine = await reader.stateMachine();
    const functions = await reader.functions();

    // Assess
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(DescribeStateMachineCommand, {
      stateMachineArn: STACK.stateMachineArn,
    });
    expect(lambda).toHaveReceivedCommandTimes(GetFunctionConfigurationCommand, 2);
    const [call] = lambda.commandCalls(GetFunctionConfigurationCommand);
    expect(await (call?.thisValue as LambdaClient | undefined)?.config.region()).toBe('eu-west-1');
    expect(machine).toEqual({ name: 'dr-failover-dev', exists: true, state: 'ACTIVE' });
    expect(functions).toEqual([
      { name: 'dr-failover-dev-prepare', exists: true, state: 'Active', lastUpdate: 'Successful' },
      {
        name: 'dr-failover-dev-promote',
        exists: true,
        state: 'Failed',
        lastUpdate: 'Failed',
        detail: 'The function could not be created',
      },
    ]);
  });

  it('reads missing resources as findings and a 5xx as a retryable failure', async () => {
    // Prepare
    sfn
      .on(DescribeStateMachineCommand)
      .rejectsOnce(new StateMachineDoesNotExist({ $metadata: {}, message: 'State Machine Does Not Exist' }))
      .rejectsOnce(Object.assign(new Error('boom'), { name: 'InternalServerError', $fault: 'server', $metadata: {} }));
    lambda
      .on(GetFunctionConfigurationCommand)
      .rejects(new FunctionNotFound({ $metadata: {}, message: 'Function not found' }));
    const reader = new StackReader('eu-west-1', STACK);

    // Act
    const missing = await reader.stateMachine();
    const functions = await reader.functions();

    // Assess
    expect(missing).toEqual({ name: 'dr-failover-dev', exists: false });
    expect(functions.every((f) => !f.exists)).toBe(true);
    await expect(reader.stateMachine()).rejects.toBeInstanceOf(ServiceUnavailableError);
  });
});
