import {
  GetHealthCheckCommand,
  GetHostedZoneCommand,
  ListResourceRecordSetsCommand,
  NoSuchHealthCheck,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { FailoverRecordReader } from '#adapters/readiness/failover-records.js';
import { Route53RecordReader } from '#adapters/readiness/route53.js';
import type { Plan, PlanWithDns } from '#core/plan.js';
import type { FailoverRecordFacts, ReadinessProbes } from '#core/ports.js';
import { verifyReach } from '#core/readiness/dns-route53.js';
import { evaluateFailoverRecords } from '#core/readiness/failover-records.js';
import { runReadinessChecks } from '#core/readiness/runner.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { healthCheckOrders, healthyFailoverRecords, PRIMARY_HC, SECONDARY_HC } from '../fixtures/failover-records.js';
import { planVariant } from '../statemachine/support.js';

const orders = loadPlanFile('plans/orders.yml') as PlanWithDns<'route53'>;
const featureStore: Plan = loadPlanFile('plans/feature-store.yml');
const HEALTH = healthCheckOrders();
const NAME = 'db.orders.example.internal';
const WRITER = 'orders-us.cluster-abc.us-east-1.rds.amazonaws.com';
const REPLICA = 'orders-eu.cluster-def.eu-west-1.rds.amazonaws.com';
const NOW = new Date('2026-12-07T12:00:00.000Z');
/** The VPC orders' Verify runs in (traffic.verify.vpc). */
const VERIFY_VPC = 'vpc-0a1b2c3d4e5f60711';
const WAY_BACK_VPC = 'vpc-0f1e2d3c4b5a69781';

/** The healthy facts with one change. */
const changed = (plan: Plan, edit: (f: FailoverRecordFacts) => void): FailoverRecordFacts => {
  const facts = structuredClone(healthyFailoverRecords(plan));
  edit(facts);
  return facts;
};
const hc = (f: FailoverRecordFacts, id: string) =>
  f.healthChecks.find((h) => h.id === id) as (typeof f.healthChecks)[0];
const set = (f: FailoverRecordFacts, role: string) => f.sets.find((s) => s.role === role) as (typeof f.sets)[0];

describe('evaluateFailoverRecords: routing controls', () => {
  it('is OK when each PRIMARY and SECONDARY health check follows its own routing control', () => {
    const outcome = evaluateFailoverRecords(orders, healthyFailoverRecords(orders));
    expect(outcome.status).toBe('OK');
    expect(outcome.summary).toBe(
      "1 failover record pair, each PRIMARY health check following the plan's primary routing control",
    );
  });

  it.each([
    [
      'no SECONDARY record',
      (f: FailoverRecordFacts) => f.sets.splice(1, 1),
      `${NAME} has no SECONDARY failover record`,
    ],
    ['no PRIMARY record', (f: FailoverRecordFacts) => f.sets.splice(0, 1), `${NAME} has no PRIMARY failover record`],
    [
      'a PRIMARY without a health check',
      (f: FailoverRecordFacts) => delete set(f, 'PRIMARY').healthCheckId,
      `${NAME} PRIMARY has no health check: Route 53 always answers it`,
    ],
    [
      "a PRIMARY health check on the standby's routing control",
      (f: FailoverRecordFacts) => {
        hc(f, PRIMARY_HC).routingControlArn =
          orders.traffic.kind === 'routing-control' ? orders.traffic.routingControls.standby : '';
      },
      'not RECOVERY_CONTROL on routingControls.primary',
    ],
    [
      'a PRIMARY health check that does not exist',
      (f: FailoverRecordFacts) => {
        f.healthChecks[0] = { id: PRIMARY_HC, exists: false };
      },
      `health check ${PRIMARY_HC} does not exist`,
    ],
    ['a disabled PRIMARY health check', (f: FailoverRecordFacts) => (hc(f, PRIMARY_HC).disabled = true), 'is disabled'],
    [
      'an inverted PRIMARY health check',
      (f: FailoverRecordFacts) => (hc(f, PRIMARY_HC).inverted = true),
      'is inverted',
    ],
    [
      "a SECONDARY health check on the primary's routing control",
      (f: FailoverRecordFacts) => {
        hc(f, SECONDARY_HC).routingControlArn = hc(f, PRIMARY_HC).routingControlArn as string;
      },
      `${NAME} SECONDARY health check is RECOVERY_CONTROL`,
    ],
    [
      'both records answering the same endpoint',
      (f: FailoverRecordFacts) => (set(f, 'SECONDARY').values = set(f, 'PRIMARY').values),
      'PRIMARY and SECONDARY both answer',
    ],
  ])('is CRITICAL with %s', (_, edit, finding) => {
    const outcome = evaluateFailoverRecords(orders, changed(orders, edit));
    expect(outcome.status).toBe('CRITICAL');
    expect(outcome.summary).toContain('a failover would not move traffic as planned');
    expect(outcome.summary).toContain(finding);
  });

  it('accepts a SECONDARY without a health check (Route 53 answers it once the PRIMARY is unhealthy)', () => {
    const facts = changed(orders, (f) => {
      delete set(f, 'SECONDARY').healthCheckId;
      f.healthChecks.splice(1, 1);
    });
    expect(evaluateFailoverRecords(orders, facts).status).toBe('OK');
  });
});

describe('evaluateFailoverRecords: the take-over health check', () => {
  it('is OK when the PRIMARY carries the plan’s health check on the take-over alarm in the standby region', () => {
    expect(evaluateFailoverRecords(HEALTH, healthyFailoverRecords(HEALTH), 'OK').status).toBe('OK');
  });

  it.each([
    [
      'another health check on the PRIMARY',
      (f: FailoverRecordFacts) => {
        set(f, 'PRIMARY').healthCheckId = PRIMARY_HC;
        f.healthChecks[0] = { ...f.healthChecks[0], id: PRIMARY_HC } as (typeof f.healthChecks)[0];
      },
      `is ${PRIMARY_HC}, not traffic.healthCheckId`,
    ],
    [
      'an alarm in the primary region',
      (f: FailoverRecordFacts) => {
        (f.healthChecks[0] as { alarm: { region: string } }).alarm.region = 'us-east-1';
      },
      'not CLOUDWATCH_METRIC on the take-over alarm orders-take-over in eu-west-1',
    ],
  ])('is CRITICAL with %s', (_, edit, finding) => {
    const outcome = evaluateFailoverRecords(HEALTH, changed(HEALTH, edit), 'OK');
    expect(outcome.status).toBe('CRITICAL');
    expect(outcome.summary).toContain(finding);
  });

  it('warns of Unhealthy on insufficient data, and is CRITICAL while the alarm has none', () => {
    const facts = changed(HEALTH, (f) => {
      (f.healthChecks[0] as { insufficientDataHealthStatus: string }).insufficientDataHealthStatus = 'Unhealthy';
    });
    expect(evaluateFailoverRecords(HEALTH, facts, 'OK').status).toBe('WARN');
    const blind = evaluateFailoverRecords(HEALTH, facts, 'INSUFFICIENT_DATA');
    expect(blind.status).toBe('CRITICAL');
    expect(blind.summary).toContain('clients are sent to the standby, still a replica');
  });
});

describe('the failover-records and dns checks in a readiness run', () => {
  const probes = (over: Partial<ReadinessProbes>): ReadinessProbes => ({
    standby: async () => ({ exists: true, role: 'replica', state: 'available', replication: 'connected', detail: '' }),
    replicationLag: async () => ({ status: 'known', seconds: 1, observedAt: NOW.toISOString(), source: 'cw' }),
    backup: async () => ({ kind: 'found', newestAt: NOW, source: 's', detail: '' }),
    writer: async () => ({ role: 'primary', endpoints: [WRITER], forbidden: [REPLICA], detail: 'orders-us writes' }),
    dnsRecord: async () => ({
      // ListResourceRecordSets gives both sets of the pair.
      values: [WRITER, REPLICA],
      detail: '',
      zone: {
        name: 'orders.example.internal',
        private: true,
        vpcs: [
          { id: VERIFY_VPC, region: 'eu-west-1' },
          { id: WAY_BACK_VPC, region: 'us-east-1' },
        ],
      },
      sameName: [
        { type: 'CNAME', routingPolicy: true },
        { type: 'CNAME', routingPolicy: true },
      ],
      failover: { primary: [WRITER], secondary: [REPLICA] },
    }),
    alarms: async () => [],
    traffic: async () => ({ alarmState: 'INSUFFICIENT_DATA', detail: '' }),
    failoverRecords: async () => healthyFailoverRecords(orders),
    // The plan has no components: a component read would be a bug.
    component: async (c) => {
      throw new Error(`no component ${c.name} in this plan`);
    },
    stateMachine: async () => ({ name: 'sm', exists: true, state: 'ACTIVE' }),
    functions: async () => [],
    ...over,
  });

  it('judges a data-plane record by the failover set that answers now, never as an UPSERT target', async () => {
    // Before: the pair's routing-policy records read as an UPSERT refusal and the SECONDARY as the replica: CRITICAL.
    const primaryNow = await runReadinessChecks(orders, { probes: probes({}), now: () => NOW }, { only: ['dns'] });
    const standbyNow = await runReadinessChecks(
      orders,
      {
        probes: probes({
          writer: async () => ({ role: 'standby', endpoints: [REPLICA], forbidden: [], detail: 'orders-eu writes' }),
        }),
        now: () => NOW,
      },
      { only: ['dns'] },
    );
    expect(primaryNow.checks[0]).toMatchObject({ status: 'OK' });
    expect(primaryNow.checks[0]?.summary).toContain(`${NAME} PRIMARY failover record: the record answers the primary`);
    expect(standbyNow.checks[0]?.summary).toContain(
      `${NAME} SECONDARY failover record: the record answers the standby`,
    );
  });

  it('reads the take-over alarm once for the traffic and failover-records checks of one run', async () => {
    let reads = 0;
    const report = await runReadinessChecks(
      HEALTH,
      {
        probes: probes({
          traffic: async () => {
            reads += 1;
            return { alarmState: 'OK', detail: 'take-over alarm OK' };
          },
          failoverRecords: async () => healthyFailoverRecords(HEALTH),
        }),
        now: () => NOW,
      },
      { only: ['traffic', 'failover-records'] },
    );
    expect(report.checks.map((c) => [c.check, c.status])).toEqual([
      ['traffic', 'OK'],
      ['failover-records', 'OK'],
    ]);
    expect(reads).toBe(1);
  });

  it('runs for data-plane plans on Route 53 only, and gives the take-over alarm’s state to the judgement', async () => {
    const upsert = await runReadinessChecks(featureStore, { probes: probes({}), now: () => NOW });
    expect(upsert.checks.map((c) => c.check)).not.toContain('failover-records');

    const unhealthyOnNoData = changed(HEALTH, (f) => {
      (f.healthChecks[0] as { insufficientDataHealthStatus: string }).insufficientDataHealthStatus = 'Unhealthy';
    });
    const report = await runReadinessChecks(
      HEALTH,
      { probes: probes({ failoverRecords: async () => unhealthyOnNoData }), now: () => NOW },
      { only: ['failover-records'] },
    );
    expect(report.checks[0]).toMatchObject({ check: 'failover-records', scope: 'primary', status: 'CRITICAL' });
  });
});

/** One failover record set of NAME as ListResourceRecordSets lists it. */
const listed = (role: 'PRIMARY' | 'SECONDARY', value: string, healthCheckId?: string) => ({
  Name: `${NAME}.`,
  Type: 'CNAME' as const,
  SetIdentifier: role === 'PRIMARY' ? 'p' : 's',
  Failover: role,
  ...(healthCheckId ? { HealthCheckId: healthCheckId } : {}),
  TTL: 30,
  ResourceRecords: [{ Value: value }],
});

describe('FailoverRecordReader', () => {
  const route53 = mockClient(Route53Client);
  afterEach(() => route53.reset());

  it('lists each record name’s failover sets and reads each health check once; a missing one is not an error', async () => {
    // Prepare
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        listed('PRIMARY', WRITER, PRIMARY_HC),
        listed('SECONDARY', REPLICA, SECONDARY_HC),
        { Name: `${NAME}.`, Type: 'TXT', TTL: 30, ResourceRecords: [{ Value: '"owner=orders"' }] },
      ],
      IsTruncated: false,
      MaxItems: 20,
    });
    route53
      .on(GetHealthCheckCommand, { HealthCheckId: PRIMARY_HC })
      .resolves({
        HealthCheck: {
          Id: PRIMARY_HC,
          CallerReference: 'x',
          HealthCheckVersion: 1,
          HealthCheckConfig: {
            Type: 'RECOVERY_CONTROL',
            RoutingControlArn: 'arn:rc',
            Inverted: false,
            Disabled: false,
          },
        },
      })
      .on(GetHealthCheckCommand, { HealthCheckId: SECONDARY_HC })
      .rejects(new NoSuchHealthCheck({ message: 'No health check exists with the specified ID', $metadata: {} }));

    // Act
    const facts = await new FailoverRecordReader(orders, {
      route53: () => new Route53Client({ region: 'us-east-1' }),
    }).failoverRecords();

    // Assess
    expect(route53.commandCalls(ListResourceRecordSetsCommand)[0]?.args[0].input).toEqual({
      HostedZoneId: orders.dns.hostedZoneId,
      StartRecordName: NAME,
      MaxItems: 20,
    });
    expect(route53.commandCalls(GetHealthCheckCommand).map((c) => c.args[0].input)).toEqual([
      { HealthCheckId: PRIMARY_HC },
      { HealthCheckId: SECONDARY_HC },
    ]);
    expect(facts).toEqual({
      sets: [
        { name: NAME, type: 'CNAME', role: 'PRIMARY', setIdentifier: 'p', values: [WRITER], healthCheckId: PRIMARY_HC },
        {
          name: NAME,
          type: 'CNAME',
          role: 'SECONDARY',
          setIdentifier: 's',
          values: [REPLICA],
          healthCheckId: SECONDARY_HC,
        },
      ],
      healthChecks: [
        {
          id: PRIMARY_HC,
          exists: true,
          type: 'RECOVERY_CONTROL',
          routingControlArn: 'arn:rc',
          inverted: false,
          disabled: false,
        },
        { id: SECONDARY_HC, exists: false },
      ],
    });
  });

  it('gives the pair’s values by role to the dns check', async () => {
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [listed('PRIMARY', WRITER), listed('SECONDARY', REPLICA)],
      IsTruncated: false,
      MaxItems: 20,
    });
    route53
      .on(GetHostedZoneCommand)
      .resolves({ HostedZone: { Id: 'Z', Name: 'orders.example.internal.', CallerReference: 'x' } });
    const reader = new Route53RecordReader(orders, { route53: () => new Route53Client({ region: 'us-east-1' }) });
    const facts = await reader.dnsRecord();
    expect(facts.failover).toEqual({ primary: [WRITER], secondary: [REPLICA] });
  });

  it('maps a refusal other than a missing health check to the error contract', async () => {
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [listed('PRIMARY', WRITER, PRIMARY_HC)],
      IsTruncated: false,
      MaxItems: 20,
    });
    route53.on(GetHealthCheckCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const reader = new FailoverRecordReader(orders, { route53: () => new Route53Client({ region: 'us-east-1' }) });
    await expect(reader.failoverRecords()).rejects.toMatchObject({ name: 'ThrottledError', retryable: true });
  });
});

describe('verifyReach: can Verify resolve a private zone?', () => {
  const zone = (vpcs: { id: string; region: string }[]) => ({ name: 'orders.example.internal', private: true, vpcs });
  const withVerify = (verify: Record<string, unknown>) =>
    planVariant('plans/orders.yml', (p) => ({ ...p, traffic: { ...(p.traffic as object), verify } as never }));

  it('is OK when Verify runs in a VPC associated with the zone in the standby region, and the way back’s in the primary', () => {
    const both = zone([
      { id: VERIFY_VPC, region: 'eu-west-1' },
      { id: WAY_BACK_VPC, region: 'us-east-1' },
    ]);
    expect(verifyReach(orders, both)?.status).toBe('OK');
  });

  it('WARNs when the way back’s Verify VPC (traffic.verify.wayBackVpc, in the primary region) is not associated', () => {
    // Same VPC id, wrong region: an association is per VPC, and a VPC is in one region.
    const reach = verifyReach(
      orders,
      zone([
        { id: VERIFY_VPC, region: 'eu-west-1' },
        { id: WAY_BACK_VPC, region: 'eu-west-1' },
      ]),
    );
    expect(reach?.status).toBe('WARN');
    expect(reach?.text).toContain(`the way back's Verify runs in ${WAY_BACK_VPC} (us-east-1), which is not`);
    expect(reach?.text).toContain('a failback would fail Verify after moving traffic back');
  });

  it('is CRITICAL when the zone is not associated with Verify’s VPC in the standby region, naming the associations', () => {
    const reach = verifyReach(orders, zone([{ id: VERIFY_VPC, region: 'us-east-1' }]));
    expect(reach?.status).toBe('CRITICAL');
    expect(reach?.text).toContain(
      `Verify runs in ${VERIFY_VPC} (eu-west-1), which is not associated with the private zone (associated: ${VERIFY_VPC} (us-east-1))`,
    );
  });

  it('is CRITICAL outside any VPC, WARN with resolvers named, and silent for a public zone or a read-back plan', () => {
    const none = withVerify({});
    expect(verifyReach(none, zone([]))).toMatchObject({
      status: 'CRITICAL',
      text: expect.stringContaining("the Lambda service's resolver does not answer a private zone"),
    });
    expect(verifyReach(withVerify({ resolvers: ['10.30.0.2'] }), zone([]))?.status).toBe('WARN');
    expect(verifyReach(none, { name: 'orders.example.com', private: false })).toBeUndefined();
    expect(verifyReach(featureStore, zone([]))).toBeUndefined();
  });

  it('makes the dns check CRITICAL for a data-plane plan whose Verify cannot resolve the private zone', async () => {
    const report = await runReadinessChecks(
      withVerify({}),
      {
        probes: {
          writer: async () => ({ role: 'primary', endpoints: [WRITER], forbidden: [REPLICA], detail: '' }),
          dnsRecord: async () => ({
            values: [WRITER, REPLICA],
            detail: '',
            zone: zone([]),
            failover: { primary: [WRITER], secondary: [REPLICA] },
          }),
        } as unknown as ReadinessProbes,
        now: () => NOW,
      },
      { only: ['dns'] },
    );
    expect(report.checks[0]?.status).toBe('CRITICAL');
    expect(report.checks[0]?.summary).toContain('every run would fail Verify after moving traffic');
  });
});
