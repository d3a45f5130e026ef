import { CloudWatchServiceException, DescribeAlarmsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { FailoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  Route53ServiceException,
  TestDNSAnswerCommand,
} from '@aws-sdk/client-route-53';
import {
  AccessDeniedException,
  GetRoutingControlStateCommand,
  UpdateRoutingControlStatesCommand,
} from '@aws-sdk/client-route53-recovery-cluster';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { resetResolverWorld, resolverWorld } from './resolver-world.js';
import {
  ALL_MOCKS,
  arc,
  auroraWorld,
  cloudwatch,
  eventBridge,
  execute,
  lagMetrics,
  notifyWorld,
  ORDERS,
  ORDERS_UPSERT,
  planVariant,
  preparing,
  rds,
  route53,
  route53World,
  routingControlWorld,
  runInput,
  shippedHandlers,
} from './support.js';

const ORDERS_PLAN = loadPlanFile('plans/orders.yml');
const CONTROLS = ORDERS_PLAN.traffic.kind === 'routing-control' ? ORDERS_PLAN.traffic.routingControls : undefined;

/** Route 53's control plane refusing every call, as it would while us-east-1 is down. */
const controlPlaneDown = () => {
  const down = () =>
    new Route53ServiceException({
      name: 'ServiceUnavailable',
      $fault: 'server',
      $metadata: { httpStatusCode: 503 },
      message: 'us-east-1 control plane unavailable',
    });
  route53.on(ChangeResourceRecordSetsCommand).rejects(down());
  route53.on(GetChangeCommand).rejects(down());
};

const failedDetail = () =>
  JSON.parse(eventBridge.commandCalls(PutEventsCommand).at(-1)?.args[0].input.Entries?.[0]?.Detail ?? '{}');

describe('traffic mechanisms, executed through the real ASL and handlers', () => {
  beforeEach(() => {
    notifyWorld();
    lagMetrics(() => 2_000);
    auroraWorld();
  });
  afterEach(() => {
    for (const m of ALL_MOCKS) m.reset();
  });

  it('routing-control (the shipped orders plan): flips both controls in one call, confirms at once, verifies', async () => {
    // Prepare
    const world = routingControlWorld(ORDERS_PLAN);

    // Act
    const run = await execute(runInput(), { handlers: shippedHandlers() });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(rds).toHaveReceivedCommand(FailoverGlobalClusterCommand);
    expect(arc).toHaveReceivedCommandTimes(UpdateRoutingControlStatesCommand, 1);
    expect(arc).toHaveReceivedCommandWith(UpdateRoutingControlStatesCommand, {
      UpdateRoutingControlStateEntries: [
        { RoutingControlArn: CONTROLS?.standby, RoutingControlState: 'On' },
        { RoutingControlArn: CONTROLS?.primary, RoutingControlState: 'Off' },
      ],
    });
    expect(arc).toHaveReceivedCommand(GetRoutingControlStateCommand);
    expect(route53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
    expect(route53).not.toHaveReceivedCommand(GetChangeCommand);
    // Verified through the resolver, as clients resolve: no Route 53 control-plane read either.
    expect(route53).not.toHaveReceivedCommand(TestDNSAnswerCommand);
    expect(route53).not.toHaveReceivedCommand(ListResourceRecordSetsCommand);
    expect(resolverWorld.queries).toBeGreaterThan(0);
    // No Wait between the switch and its confirmation.
    const after = run.visited.slice(run.visited.indexOf('UpdateDns'));
    expect(after.slice(0, 4)).toEqual(['UpdateDns', 'DnsChanged?', 'DnsStatus', 'InSync?']);
    expect(world.states.get(CONTROLS?.standby ?? '')).toBe('On');
    const output = run.output as { dns: { mechanism: string; endpoint: string }; verify: { answer: string[] } };
    expect(output.dns).toMatchObject({ mechanism: 'routing-control', endpoint: 'us-west-2' });
    expect(output.verify.answer).toEqual([ORDERS.endpoint]);
  });

  it('routing-control, resolver answering the old endpoint from cache at first: Verify waits, checks again, succeeds', async () => {
    // Prepare
    const world = routingControlWorld(ORDERS_PLAN);
    // Six cached answers: UpdateDns's read of the old answer (CNAME and A queries), then two Verify checks.
    Object.assign(resolverWorld, { cached: 'orders-us.cluster-abc123.us-east-1.rds.amazonaws.com', staleAnswers: 6 });
    controlPlaneDown();

    // Act
    const run = await execute(runInput(), { handlers: shippedHandlers() });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(world.states.get(CONTROLS?.standby ?? '')).toBe('On');
    // Two checks answered stale, the third the standby.
    expect(run.visited.filter((s) => s === 'Verify')).toHaveLength(3);
    expect(run.visited.filter((s) => s === 'WaitForVerify')).toHaveLength(2);
    const output = run.output as { verify: { answer: string[]; status: string; checks: number } };
    expect(output.verify).toMatchObject({ answer: [ORDERS.endpoint], status: 'matched', checks: 3 });
  });

  it('routing-control, resolver still answering the old endpoint past TTL + allowance: DnsVerificationFailedError', async () => {
    // Prepare: TTL 0 and a 1 s allowance, so the wait runs out in real time; the pair never turns.
    const plan = planVariant('plans/orders.yml', (p) => ({
      ...p,
      dns: { ...p.dns, ttl: 0 },
      traffic: { ...(p.traffic as object), verify: { allowanceSeconds: 1 } } as typeof p.traffic,
    }));
    routingControlWorld(plan);
    const old = 'orders-us.cluster-abc123.us-east-1.rds.amazonaws.com';
    resetResolverWorld(() => old);

    // Act
    const started = Date.now();
    const run = await execute(runInput(), { handlers: preparing(plan) });

    // Assess
    expect(run.error).toBe('DnsVerificationFailedError');
    // Holds by construction, whatever the load: Verify fails only once its now() (Date.now(), whole ms) has reached
    // TTL 0 + 1 s past the switch's in-sync instant or its first check, both read with Date.now() after `started`.
    // No timer decides it.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(run.visited.filter((s) => s === 'Verify').length).toBeGreaterThan(1);
    expect(run.visited.slice(-3)).toEqual(['Verify', 'NotifyFailed', 'Failed']);
    const failed = failedDetail();
    expect(JSON.stringify(failed)).toContain(`answers ${old}, expected ${ORDERS.endpoint} after`);
    expect(failed.detail.promoted).toBe(true);
  });

  it('routing-control with Route 53 control plane down and two cluster endpoints down: succeeds on the third', async () => {
    // Prepare
    controlPlaneDown();
    const world = routingControlWorld(ORDERS_PLAN, { down: ['us-west-2', 'eu-west-1'] });

    // Act
    const run = await execute(runInput(), { handlers: shippedHandlers() });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(world.answered[0]).toBe('ap-northeast-1');
    expect((run.output as { dns: { endpoint: string } }).dns.endpoint).toBe('ap-northeast-1');
  });

  it('routing-control refused (AccessDenied): DnsChangeFailedError, not retried, standby promoted and said so', async () => {
    // Prepare
    routingControlWorld(ORDERS_PLAN, {
      failUpdates: [new AccessDeniedException({ $metadata: { httpStatusCode: 403 }, message: 'denied' })],
    });

    // Act
    const run = await execute(runInput(), { handlers: shippedHandlers() });

    // Assess
    expect(run.error).toBe('DnsChangeFailedError');
    expect(arc).toHaveReceivedCommandTimes(UpdateRoutingControlStatesCommand, 1);
    expect(run.visited.slice(-3)).toEqual(['UpdateDns', 'NotifyFailed', 'Failed']);
    expect(failedDetail().detail.promoted).toBe(true);
  });

  it('health-check: publishes the metric in the standby region, waits for the alarm, verifies', async () => {
    // Prepare
    const plan = planVariant('plans/orders.yml', (p) => ({
      ...p,
      traffic: {
        kind: 'health-check',
        records: ['db.orders.example.internal'],
        healthCheckId: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
        alarm: { name: 'orders-take-over', namespace: 'DrFailover/Traffic', metricName: 'OrdersTakeOver' },
      },
    }));
    let published = false;
    let reads = 0;
    cloudwatch.on(PutMetricDataCommand).callsFake(() => {
      published = true;
      return {};
    });
    cloudwatch.on(DescribeAlarmsCommand).callsFake(() => {
      reads += 1;
      // The alarm evaluates a period after the datapoint: OK on the first read, ALARM after.
      return { MetricAlarms: [{ AlarmName: 'orders-take-over', StateValue: published && reads > 1 ? 'ALARM' : 'OK' }] };
    });
    routingControlWorld(ORDERS_PLAN);
    // The resolver answers the pair's choice: the standby once the alarm has taken the primary out.
    resetResolverWorld(() => (published && reads > 1 ? ORDERS.endpoint : 'orders-us.example.internal'));
    controlPlaneDown();

    // Act
    const run = await execute(runInput(), { handlers: preparing(plan) });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(cloudwatch).toHaveReceivedCommandTimes(PutMetricDataCommand, 1);
    expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 2);
    expect(run.visited.filter((s) => s === 'WaitForDns')).toHaveLength(2);
    expect(route53).not.toHaveReceivedCommand(GetChangeCommand);
  });

  it('health-check refused (AccessDenied on PutMetricData): DnsChangeFailedError at UpdateDns, not retried', async () => {
    // Prepare
    const plan = planVariant('plans/orders.yml', (p) => ({
      ...p,
      traffic: {
        kind: 'health-check',
        records: ['db.orders.example.internal'],
        healthCheckId: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
        alarm: { name: 'orders-take-over', namespace: 'DrFailover/Traffic', metricName: 'OrdersTakeOver' },
      },
    }));
    cloudwatch.on(PutMetricDataCommand).rejects(
      new CloudWatchServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'no',
      }),
    );

    // Act
    const run = await execute(runInput(), { handlers: preparing(plan) });

    // Assess
    expect(run.error).toBe('DnsChangeFailedError');
    expect(cloudwatch).toHaveReceivedCommandTimes(PutMetricDataCommand, 1);
  });

  it('upsert with Route 53 control plane down: ends promoted, DNS not switched, notified with the manual step', async () => {
    // Prepare
    route53World();
    controlPlaneDown();

    // Act
    const run = await execute(runInput(), { handlers: preparing(ORDERS_UPSERT) });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ServiceUnavailableError');
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand).length).toBeGreaterThan(1); // retried, then given up
    expect(arc).not.toHaveReceivedAnyCommand();
    const failed = failedDetail();
    expect(failed.detail.promoted).toBe(true);
    expect(failed.detail.nextSteps).toMatch(/IS promoted/);
  });
});
