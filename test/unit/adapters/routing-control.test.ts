import {
  AccessDeniedException,
  ConflictException,
  EndpointTemporarilyUnavailableException,
  GetRoutingControlStateCommand,
  InternalServerException,
  ResourceNotFoundException,
  Route53RecoveryClusterClient,
  ServiceLimitExceededException,
  ThrottlingException,
  UpdateRoutingControlStatesCommand,
  ValidationException,
} from '@aws-sdk/client-route53-recovery-cluster';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it, vi } from 'vitest';
import { type ClusterEndpoint, clusterClient } from '#adapters/traffic/endpoints.js';
import { trafficFor } from '#adapters/traffic/index.js';
import { RoutingControlSwitch } from '#adapters/traffic/routing-control.js';
import { DnsChangeFailedError, ServiceUnavailableError, ThrottledError } from '#core/errors.js';
import type { PlanWithTraffic } from '#core/plan.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const ordersPlan = (): PlanWithTraffic<'routing-control'> => {
  const plan = loadPlanFile('plans/orders.yml');
  if (plan.traffic.kind !== 'routing-control') throw new Error('plans/orders.yml must use routing controls');
  return { ...plan, traffic: plan.traffic };
};

const PLAN = ordersPlan();
const { primary: PRIMARY, standby: STANDBY } = PLAN.traffic.routingControls;
const meta = { $metadata: {}, message: 'from ARC' };

type Stub = ReturnType<typeof mockClient>;

/** One client per endpoint, each mocked on its own, so a test can say which endpoint answered. */
const cluster = () => {
  const stubs = new Map<string, Stub>();
  const clients = new Map<string, Route53RecoveryClusterClient>();
  for (const e of PLAN.traffic.clusterEndpoints) {
    const client = new Route53RecoveryClusterClient({ region: e.region, endpoint: e.url });
    clients.set(e.url, client);
    stubs.set(e.region, mockClient(client));
  }
  const at = (region: string) => stubs.get(region) as Stub;
  const clientOf = (e: ClusterEndpoint) => clients.get(e.url) as Route53RecoveryClusterClient;
  const records = { resolve: async () => ['orders-eu.cluster-abc123.eu-west-1.rds.amazonaws.com'] };
  const sw = new RoutingControlSwitch(PLAN, { records, clientOf });
  return { at, sw, clientOf, stubs: [...stubs.values()] };
};

const ORDER = PLAN.traffic.clusterEndpoints.map((e) => e.region);
const [FIRST = '', SECOND = '', THIRD = ''] = ORDER;

describe('RoutingControlSwitch.point', () => {
  it('sets the standby On and the primary Off in one UpdateRoutingControlStates on the first endpoint', async () => {
    // Prepare
    const c = cluster();
    c.at(FIRST).on(UpdateRoutingControlStatesCommand).resolves({});
    // Act
    const change = await c.sw.point('db.orders.example.internal', 'writer', 30);
    // Assess
    expect(c.at(FIRST)).toReceiveCommandExactlyOnceWith(UpdateRoutingControlStatesCommand, {
      UpdateRoutingControlStateEntries: [
        { RoutingControlArn: STANDBY, RoutingControlState: 'On' },
        { RoutingControlArn: PRIMARY, RoutingControlState: 'Off' },
      ],
    });
    expect(c.at(SECOND)).not.toHaveReceivedAnyCommand();
    expect(change).toMatchObject({
      mechanism: 'routing-control',
      endpoint: FIRST,
      changeId: `routing-control:${FIRST}`,
    });
  });

  it('tries the next endpoints in turn when one is unavailable, errors 5xx or throttles, and records which answered', async () => {
    // Prepare
    const c = cluster();
    c.at(FIRST).on(UpdateRoutingControlStatesCommand).rejects(new EndpointTemporarilyUnavailableException(meta));
    c.at(SECOND).on(UpdateRoutingControlStatesCommand).rejects(new InternalServerException(meta));
    c.at(THIRD).on(UpdateRoutingControlStatesCommand).rejects(new ThrottlingException(meta));
    c.at(ORDER[3] ?? '')
      .on(UpdateRoutingControlStatesCommand)
      .resolves({});
    // Act
    const change = await c.sw.point('db.orders.example.internal', 'writer', 30);
    // Assess
    expect(change.endpoint).toBe(ORDER[3]);
    expect(change.detail).toContain('after 3 endpoint(s) did not answer');
    for (const region of ORDER.slice(0, 4)) {
      expect(c.at(region)).toHaveReceivedCommandTimes(UpdateRoutingControlStatesCommand, 1);
    }
    expect(c.at(ORDER[4] ?? '')).not.toHaveReceivedAnyCommand();
  });

  it('moves on from an endpoint that does not answer within the plan bound', async () => {
    // Prepare
    const plan = { ...PLAN, traffic: { ...PLAN.traffic, endpointTimeoutMs: 200 } };
    const c = cluster();
    c.at(FIRST)
      .on(UpdateRoutingControlStatesCommand)
      .callsFake(() => new Promise(() => undefined));
    c.at(SECOND).on(UpdateRoutingControlStatesCommand).resolves({});
    const sw = new RoutingControlSwitch(plan, { records: { resolve: async () => [] }, clientOf: c.clientOf });
    // Act: on the test's clock, so the bound is checked exactly, however loaded the machine
    vi.useFakeTimers();
    let settled = false;
    let change: Awaited<ReturnType<RoutingControlSwitch['point']>> | undefined;
    try {
      const pointing = sw.point('db.orders.example.internal', 'writer', 30).finally(() => {
        settled = true;
      });
      await vi.advanceTimersByTimeAsync(199);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      change = await pointing;
    } finally {
      vi.useRealTimers();
    }
    // Assess: the first endpoint given up at the plan's 200 ms, then the second answered
    expect(change.endpoint).toBe(SECOND);
  });

  it.each([
    ['AccessDeniedException', () => new AccessDeniedException(meta)],
    ['ValidationException', () => new ValidationException({ ...meta, reason: 'other' })],
    ['ResourceNotFoundException', () => new ResourceNotFoundException({ ...meta, resourceId: 'x', resourceType: 'y' })],
    [
      'ServiceLimitExceededException',
      () => new ServiceLimitExceededException({ ...meta, limitCode: 'l', serviceCode: 's' }),
    ],
  ])('maps %s to DnsChangeFailedError at once, trying no other endpoint', async (_name, error) => {
    // Prepare
    const c = cluster();
    c.at(FIRST).on(UpdateRoutingControlStatesCommand).rejects(error());
    // Act
    const attempt = c.sw.point('db.orders.example.internal', 'writer', 30);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(DnsChangeFailedError);
    expect(c.at(SECOND)).not.toHaveReceivedAnyCommand();
  });

  it('throws ServiceUnavailableError naming every endpoint when none answers', async () => {
    // Prepare
    const c = cluster();
    for (const s of c.stubs)
      s.on(UpdateRoutingControlStatesCommand).rejects(new EndpointTemporarilyUnavailableException(meta));
    // Act
    const attempt = c.sw.point('db.orders.example.internal', 'writer', 30);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(attempt).rejects.toThrow(
      /no cluster endpoint answered.*us-west-2.*eu-west-1.*ap-northeast-1.*ap-southeast-2.*us-east-1/,
    );
  });

  it('throws ThrottledError when every endpoint throttled', async () => {
    // Prepare
    const c = cluster();
    for (const s of c.stubs) s.on(UpdateRoutingControlStatesCommand).rejects(new ThrottlingException(meta));
    // Act, Assess
    await expect(c.sw.point('r', 't', 1)).rejects.toBeInstanceOf(ThrottledError);
  });

  it('treats a conflict as transient: the next endpoint is tried, and all conflicting ends retryable', async () => {
    // Prepare
    const c = cluster();
    for (const s of c.stubs)
      s.on(UpdateRoutingControlStatesCommand).rejects(
        new ConflictException({ ...meta, resourceId: 'x', resourceType: 'y' }),
      );
    // Act
    const attempt = c.sw.point('r', 't', 1);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ServiceUnavailableError);
    for (const s of c.stubs) expect(s).toHaveReceivedCommandTimes(UpdateRoutingControlStatesCommand, 1);
  });
});

describe('RoutingControlSwitch.changeStatus', () => {
  it('is insync once the cluster reads the standby On and the primary Off', async () => {
    // Prepare
    const c = cluster();
    c.at(FIRST)
      .on(GetRoutingControlStateCommand, { RoutingControlArn: STANDBY })
      .resolves({ RoutingControlArn: STANDBY, RoutingControlState: 'On' })
      .on(GetRoutingControlStateCommand, { RoutingControlArn: PRIMARY })
      .resolves({ RoutingControlArn: PRIMARY, RoutingControlState: 'Off' });
    // Act, Assess
    expect(await c.sw.changeStatus(`routing-control:${FIRST}`)).toBe('insync');
    expect(c.at(FIRST)).toHaveReceivedCommandWith(GetRoutingControlStateCommand, { RoutingControlArn: STANDBY });
    expect(c.at(FIRST)).toHaveReceivedCommandWith(GetRoutingControlStateCommand, { RoutingControlArn: PRIMARY });
  });

  it('is pending while the primary still reads On, reading on the next endpoint when the first is down', async () => {
    // Prepare
    const c = cluster();
    c.at(FIRST).on(GetRoutingControlStateCommand).rejects(new EndpointTemporarilyUnavailableException(meta));
    c.at(SECOND).on(GetRoutingControlStateCommand).resolves({ RoutingControlState: 'On' });
    // Act, Assess
    expect(await c.sw.changeStatus('routing-control:x')).toBe('pending');
    expect(c.at(SECOND)).toHaveReceivedCommandTimes(GetRoutingControlStateCommand, 2);
  });
});

describe('RoutingControlSwitch.resolve and the registry', () => {
  it('reads the record through the reader it is given, and trafficFor picks the switch by traffic.kind', async () => {
    // Prepare
    const c = cluster();
    // Act, Assess
    expect(await c.sw.resolve('db.orders.example.internal')).toEqual([
      'orders-eu.cluster-abc123.eu-west-1.rds.amazonaws.com',
    ]);
    expect(await trafficFor(PLAN)).toBeInstanceOf(RoutingControlSwitch);
  });

  it('builds one real client per endpoint, pointed at the endpoint in its region', async () => {
    // Act
    const [e] = PLAN.traffic.clusterEndpoints;
    if (!e) throw new Error('no endpoint');
    const client = clusterClient(e, 1_000);
    // Assess
    expect(clusterClient(e, 1_000)).toBe(client);
    expect(await client.config.region()).toBe(e.region);
    const endpoint = await client.config.endpoint?.();
    expect(endpoint?.hostname).toBe(new URL(e.url).hostname);
  });
});
