import {
  CloudWatchClient,
  CloudWatchServiceException,
  DescribeAlarmsCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthCheckSwitch } from '#adapters/traffic/health-check.js';
import { trafficFor } from '#adapters/traffic/index.js';
import { DnsChangeFailedError, ServiceUnavailableError, ThrottledError } from '#core/errors.js';
import { type PlanInput, type PlanWithTraffic, parsePlan } from '#core/plan.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const cw = mockClient(CloudWatchClient);
afterEach(() => {
  cw.reset();
});

const ALARM = { name: 'orders-take-over', namespace: 'DrFailover/Traffic', metricName: 'OrdersTakeOver' };

const healthCheckPlan = (): PlanWithTraffic<'health-check'> => {
  const doc = structuredClone(loadPlanFile('plans/orders.yml')) as PlanInput;
  const plan = parsePlan(
    {
      ...doc,
      traffic: {
        kind: 'health-check',
        records: ['db.orders.example.internal'],
        healthCheckId: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
        alarm: ALARM,
      },
    },
    'health-check variant',
  );
  if (plan.traffic.kind !== 'health-check') throw new Error('not a health-check plan');
  return { ...plan, traffic: plan.traffic };
};

const newSwitch = () =>
  new HealthCheckSwitch(healthCheckPlan(), {
    records: { resolve: async () => ['standby.example'] },
    cloudwatch: () => new CloudWatchClient({ region: 'eu-west-1' }),
  });

const cwError = (name: string, status: number, fault: 'client' | 'server' = 'client') =>
  new CloudWatchServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message: name });

describe('HealthCheckSwitch.point', () => {
  it('publishes one standard-resolution datapoint of 1 on the plan metric in the standby region', async () => {
    // Prepare
    cw.on(PutMetricDataCommand).resolves({});
    // Act
    const change = await newSwitch().point('db.orders.example.internal', 'writer', 30);
    // Assess
    expect(cw).toReceiveCommandExactlyOnceWith(PutMetricDataCommand, {
      Namespace: ALARM.namespace,
      MetricData: [{ MetricName: ALARM.metricName, Value: 1, Unit: 'Count', StorageResolution: 60 }],
    });
    expect(change).toMatchObject({ mechanism: 'health-check', changeId: `health-check:${ALARM.name}` });
  });

  it.each([
    ['AccessDenied', 403, 'client', DnsChangeFailedError],
    ['InvalidParameterValue', 400, 'client', DnsChangeFailedError],
    ['Throttling', 400, 'client', ThrottledError],
    ['InternalServiceFault', 500, 'server', ServiceUnavailableError],
  ] as const)('maps %s to %o', async (name, status, fault, expected) => {
    // Prepare
    cw.on(PutMetricDataCommand).rejects(cwError(name, status, fault));
    // Act, Assess
    await expect(newSwitch().point('r', 't', 1)).rejects.toBeInstanceOf(expected);
  });
});

describe('HealthCheckSwitch.changeStatus', () => {
  it.each([
    ['ALARM', 'insync'],
    ['OK', 'pending'],
    ['INSUFFICIENT_DATA', 'pending'],
  ] as const)('reads alarm state %s as %s', async (state, expected) => {
    // Prepare
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: ALARM.name, StateValue: state }] });
    // Act, Assess
    expect(await newSwitch().changeStatus('x')).toBe(expected);
    expect(cw).toReceiveCommandExactlyOnceWith(DescribeAlarmsCommand, {
      AlarmNames: [ALARM.name],
      AlarmTypes: ['MetricAlarm'],
    });
  });

  it('refuses with DnsChangeFailedError when the alarm does not exist', async () => {
    // Prepare
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    // Act, Assess
    await expect(newSwitch().changeStatus('x')).rejects.toBeInstanceOf(DnsChangeFailedError);
  });

  it('keeps a throttled read retryable', async () => {
    // Prepare
    cw.on(DescribeAlarmsCommand).rejects(cwError('Throttling', 400));
    // Act, Assess
    await expect(newSwitch().changeStatus('x')).rejects.toBeInstanceOf(ThrottledError);
  });

  it('reads the record through the reader it is given; trafficFor picks it for health-check plans', async () => {
    expect(await newSwitch().resolve('db.orders.example.internal')).toEqual(['standby.example']);
    expect(await trafficFor(healthCheckPlan())).toBeInstanceOf(HealthCheckSwitch);
  });
});
