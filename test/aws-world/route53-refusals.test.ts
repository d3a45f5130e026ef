/**
 * Defect 6: plans that validate but that Route 53 refuses at UpdateDns, after the promotion. What the plan alone
 * shows is refused when the plan is loaded (PlanValidationError naming the field); what only Route 53 shows (the
 * zone's apex, routing-policy records and other types at the record's name) is refused by the readiness dns check
 * before any failover, never at failover time.
 */
import { FailoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readinessProbesFor } from '#adapters/readiness/index.js';
import { PlanValidationError } from '#core/errors.js';
import type { Plan, PlanInput } from '#core/plan.js';
import type { StackNames } from '#core/ports.js';
import { runReadinessChecks } from '#core/readiness/runner.js';
import {
  ALL_MOCKS,
  auroraWorld,
  execute,
  lagMetrics,
  notifyWorld,
  ORDERS,
  rds,
  runInput,
  upsertVariant,
} from '../statemachine/support.js';
import { route53Zones } from './route53.js';

const ZONE = 'Z0123456789ABCDEFGHIJ';
const OLD_WRITER = 'orders-us.cluster-abc123.us-east-1.rds.amazonaws.com';
const STACK: StackNames = {
  stage: 'test',
  stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:dr-failover-test',
  triggerFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:dr-failover-test-trigger',
  functionNames: [],
};

const issuesOf = (build: () => unknown): { path: string; message: string }[] => {
  try {
    build();
  } catch (error) {
    if (error instanceof PlanValidationError) return [...error.issues];
    throw error;
  }
  return [];
};

const withDns = (dns: Partial<Extract<PlanInput['dns'], { kind: 'route53' }>>) => (p: PlanInput) =>
  ({ ...p, dns: { ...p.dns, ...dns } }) as PlanInput;

const zoneWith = (name: string, records: ResourceRecordSet[]) => {
  const world = route53Zones();
  world.zone({ id: ZONE, name, private: true, records });
  return world;
};

const cname = (value: string, extra: Partial<ResourceRecordSet> = {}): ResourceRecordSet => ({
  Name: ORDERS.record,
  Type: 'CNAME',
  TTL: 30,
  ResourceRecords: [{ Value: value }],
  ...extra,
});

const dnsCheck = async (plan: Plan) => {
  const probes = await readinessProbesFor(plan, STACK);
  const report = await runReadinessChecks(plan, { probes, now: () => new Date() }, { only: ['dns'] });
  const [check] = report.checks;
  if (!check) throw new Error('no dns check in the report');
  return check;
};

describe('plans Route 53 would refuse are refused at plan load', () => {
  it('refuses a CNAME at the zone apex (recordName equal to zoneName), naming dns.recordName', () => {
    // Act
    const issues = issuesOf(() =>
      upsertVariant(
        'plans/orders.yml',
        withDns({ recordName: 'orders.example.internal', zoneName: 'orders.example.internal' }),
      ),
    );

    // Assess
    expect(issues).toEqual([{ path: 'dns.recordName', message: expect.stringContaining('zone apex') }]);
  });

  it('refuses an A record for an RDS or Aurora endpoint (a host name: a CNAME is required), naming dns.recordType', () => {
    // Act
    const aurora = issuesOf(() => upsertVariant('plans/orders.yml', withDns({ recordType: 'A' })));
    const rdsInstance = issuesOf(() => upsertVariant('plans/feature-store.yml', withDns({ recordType: 'A' })));

    // Assess
    for (const issues of [aurora, rdsInstance]) {
      expect(issues).toEqual([{ path: 'dns.recordType', message: expect.stringContaining('CNAME') }]);
    }
  });

  it('accepts the shipped plans and a CNAME below the apex', () => {
    // Act
    const issues = issuesOf(() =>
      upsertVariant('plans/orders.yml', withDns({ recordName: 'db2.orders.example.internal' })),
    );

    // Assess
    expect(issues).toEqual([]);
  });
});

describe('what only Route 53 shows is refused by the readiness dns check, before any failover', () => {
  beforeEach(() => {
    notifyWorld();
    lagMetrics(() => 2_000);
    auroraWorld();
  });
  afterEach(() => {
    for (const m of ALL_MOCKS) m.reset();
  });

  it('a run beside weighted records promotes, then UpdateDns is refused: the failure readiness must catch', async () => {
    // Prepare
    const world = zoneWith('orders.example.internal', [
      cname(OLD_WRITER, { SetIdentifier: 'us', Weight: 100 }),
      cname(ORDERS.endpoint, { SetIdentifier: 'eu', Weight: 0 }),
    ]);

    // Act
    const run = await execute(runInput(), { validate: false });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('DnsChangeFailedError');
    expect(rds).toHaveReceivedCommand(FailoverGlobalClusterCommand);
    expect(world.records(ZONE)).toHaveLength(2);
  });

  it('is CRITICAL when the record name and type have routing-policy records, naming dns.recordName', async () => {
    // Prepare
    zoneWith('orders.example.internal', [
      cname(OLD_WRITER, { SetIdentifier: 'us', Weight: 100 }),
      cname(ORDERS.endpoint, { SetIdentifier: 'eu', Weight: 0 }),
    ]);
    const plan = upsertVariant('plans/orders.yml', (p) => p);

    // Act
    const check = await dnsCheck(plan);

    // Assess
    expect(check.status).toBe('CRITICAL');
    expect(check.details?.refusals).toEqual([expect.stringMatching(/^dns\.recordName: .*routing-policy/)]);
  });

  it('is CRITICAL when the record is the apex of the zone Route 53 holds, though the plan names a parent zone', async () => {
    // Prepare: the plan says zone example.internal; the zone the id names is orders.example.internal.
    zoneWith('orders.example.internal', [
      {
        Name: 'orders.example.internal',
        Type: 'SOA',
        TTL: 900,
        ResourceRecords: [{ Value: 'ns-1. awsdns-hostmaster. 1 7200 900 1209600 86400' }],
      },
    ]);
    const plan = upsertVariant(
      'plans/orders.yml',
      withDns({ zoneName: 'example.internal', recordName: 'orders.example.internal' }),
    );

    // Act
    const check = await dnsCheck(plan);

    // Assess
    expect(check.status).toBe('CRITICAL');
    expect(check.details?.refusals).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^dns\.zoneName: /),
        expect.stringMatching(/^dns\.recordName: .*apex/),
        expect.stringMatching(/^dns\.recordType: .*SOA/),
      ]),
    );
  });

  it('is CRITICAL when another type already holds the CNAME record name, naming dns.recordType', async () => {
    // Prepare
    zoneWith('orders.example.internal', [
      { Name: ORDERS.record, Type: 'TXT', TTL: 30, ResourceRecords: [{ Value: '"owner=orders"' }] },
    ]);
    const plan = upsertVariant('plans/orders.yml', (p) => p);

    // Act
    const check = await dnsCheck(plan);

    // Assess
    expect(check.status).toBe('CRITICAL');
    expect(check.details?.refusals).toEqual([expect.stringMatching(/^dns\.recordType: .*TXT/)]);
  });

  it('says which method Verify will use: ListResourceRecordSets for a private zone', async () => {
    // Prepare
    zoneWith('orders.example.internal', [cname(OLD_WRITER)]);
    const plan = upsertVariant('plans/orders.yml', (p) => p);

    // Act
    const check = await dnsCheck(plan);

    // Assess
    expect(check.details?.refusals).toBeUndefined();
    expect(check.details?.verifyMethod).toEqual(expect.stringContaining('ListResourceRecordSets'));
    expect(check.summary).toContain('Verify will read it with ListResourceRecordSets');
  });
});
