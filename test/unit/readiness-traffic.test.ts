import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  AccessDeniedException,
  GetRoutingControlStateCommand,
  Route53RecoveryClusterClient,
} from '@aws-sdk/client-route53-recovery-cluster';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { trafficFacts } from '#adapters/readiness/traffic.js';
import { DnsChangeFailedError } from '#core/errors.js';
import type { Plan } from '#core/plan.js';
import { evaluateTraffic } from '#core/readiness/traffic.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { healthCheckOrders } from '../fixtures/failover-records.js';
import { upsertVariant } from './../statemachine/support.js';

const orders: Plan = loadPlanFile('plans/orders.yml');
const featureStore: Plan = loadPlanFile('plans/feature-store.yml');
const HEALTH = healthCheckOrders();
const all = (answered: boolean) => ['us-west-2', 'eu-west-1'].map((region) => ({ region, answered }));

describe('evaluateTraffic', () => {
  it.each([
    ['primary On, standby Off, every endpoint answering', { primary: 'On', standby: 'Off' }, all(true), 'OK'],
    [
      'an endpoint not answering',
      { primary: 'On', standby: 'Off' },
      [...all(true), { region: 'us-east-1', answered: false }],
      'WARN',
    ],
    ['traffic already on the standby', { primary: 'Off', standby: 'On' }, all(true), 'WARN'],
    ['both Off', { primary: 'Off', standby: 'Off' }, all(true), 'CRITICAL'],
    ['both On', { primary: 'On', standby: 'On' }, all(true), 'CRITICAL'],
    ['no endpoint answering', {}, all(false), 'CRITICAL'],
  ] as const)('routing controls: %s is %s', (_what, controls, endpoints, status) => {
    expect(evaluateTraffic(orders, { controls, endpoints: [...endpoints], detail: '' }).status).toBe(status);
  });

  it('warns that an UPSERT plan whose primary is us-east-1 cannot switch in that region outage', () => {
    const outcome = evaluateTraffic(upsertVariant('plans/orders.yml'), { detail: 'upsert' });
    expect(outcome.status).toBe('WARN');
    expect(outcome.summary).toMatch(/us-east-1/);
    expect(evaluateTraffic(featureStore, { detail: 'upsert' }).status).toBe('OK');
  });

  it.each([
    [undefined, 'CRITICAL'],
    ['ALARM', 'WARN'],
    ['OK', 'OK'],
  ] as const)('health check: take-over alarm %s is %s', (alarmState, status) => {
    const facts = { ...(alarmState ? { alarmState } : {}), detail: 'alarm' };
    expect(evaluateTraffic(HEALTH, facts).status).toBe(status);
  });
});

describe('trafficFacts', () => {
  const arc = mockClient(Route53RecoveryClusterClient);
  const cw = mockClient(CloudWatchClient);
  afterEach(() => {
    arc.reset();
    cw.reset();
  });

  it('reads both controls on every cluster endpoint and names the ones that do not answer', async () => {
    // Prepare
    if (orders.traffic.kind !== 'routing-control') throw new Error('orders uses routing controls');
    const { primary } = orders.traffic.routingControls;
    arc.on(GetRoutingControlStateCommand).callsFake(async (input, getClient) => {
      const region = await getClient().config.region();
      if (region === 'eu-west-1') throw Object.assign(new Error('down'), { name: 'ECONNREFUSED' });
      return { RoutingControlState: input.RoutingControlArn === primary ? 'On' : 'Off' };
    });
    // Act
    const facts = await trafficFacts(orders);
    // Assess
    expect(facts.controls).toEqual({ primary: 'On', standby: 'Off' });
    expect(facts.endpoints?.filter((e) => !e.answered).map((e) => e.region)).toEqual(['eu-west-1']);
    expect(facts.endpoints).toHaveLength(5);
    expect(evaluateTraffic(orders, facts).status).toBe('WARN');
  });

  it('fails the check on a refusal every endpoint would give (access denied)', async () => {
    // Prepare
    arc.on(GetRoutingControlStateCommand).rejects(new AccessDeniedException({ $metadata: {}, message: 'no' }));
    // Act, Assess
    await expect(trafficFacts(orders)).rejects.toBeInstanceOf(DnsChangeFailedError);
  });

  it('reads the take-over alarm of a health-check plan, and nothing for an upsert plan', async () => {
    // Prepare
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'orders-take-over', StateValue: 'OK' }] });
    // Act, Assess
    expect(await trafficFacts(HEALTH)).toMatchObject({ alarmState: 'OK' });
    expect((await trafficFacts(featureStore)).detail).toMatch(/UPSERT/);
    expect(arc).not.toHaveReceivedAnyCommand();
  });
});
