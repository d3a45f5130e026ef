/**
 * The Route 53 world itself: each validation rule as the SDK sees it, GetChange on the virtual clock, TestDNSAnswer
 * on private zones, and a control plane that is down (the documented limit: the run ends after the promotion).
 */
import { FailoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand,
  type ChangeResourceRecordSetsRequest,
  GetChangeCommand,
  Route53Client,
  TestDNSAnswerCommand,
} from '@aws-sdk/client-route-53';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ALL_MOCKS,
  auroraWorld,
  execute,
  lagMetrics,
  notifyWorld,
  rds,
  route53,
  runInput,
} from '../statemachine/support.js';
import { route53Zones } from './route53.js';

const ZONE = 'Z0EXAMPLE';
const client = new Route53Client({ region: 'us-east-1' });
const upsert = (Name: string, Type: 'A' | 'CNAME', Value: string, extra = {}): ChangeResourceRecordSetsRequest => ({
  HostedZoneId: ZONE,
  ChangeBatch: {
    Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name, Type, TTL: 60, ResourceRecords: [{ Value }], ...extra } }],
  },
});
const refusal = (request: ChangeResourceRecordSetsRequest) =>
  client.send(new ChangeResourceRecordSetsCommand(request)).then(
    () => undefined,
    (e: Error) => e.name,
  );

afterEach(() => {
  for (const m of ALL_MOCKS) m.reset();
});

describe('the Route 53 world', () => {
  it('refuses, with InvalidChangeBatch, what ChangeResourceRecordSets refuses, and changes nothing', async () => {
    // Prepare
    const world = route53Zones();
    world.zone({
      id: ZONE,
      name: 'example.internal',
      private: false,
      records: [
        {
          Name: 'w.example.internal',
          Type: 'CNAME',
          SetIdentifier: 'a',
          Weight: 1,
          TTL: 60,
          ResourceRecords: [{ Value: 'a.example' }],
        },
        { Name: 'txt.example.internal', Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"x"' }] },
      ],
    });

    // Act
    const results = {
      apexCname: await refusal(upsert('example.internal', 'CNAME', 'a.example')),
      simpleBesideWeighted: await refusal(upsert('w.example.internal', 'CNAME', 'b.example')),
      cnameBesideTxt: await refusal(upsert('txt.example.internal', 'CNAME', 'b.example')),
      outsideZone: await refusal(upsert('db.other.internal', 'A', '10.0.0.1')),
      plain: await refusal(upsert('db.example.internal', 'A', '10.0.0.1')),
    };

    // Assess
    expect(results).toEqual({
      apexCname: 'InvalidChangeBatch',
      simpleBesideWeighted: 'InvalidChangeBatch',
      cnameBesideTxt: 'InvalidChangeBatch',
      outsideZone: 'InvalidChangeBatch',
      plain: undefined,
    });
    expect(world.records(ZONE).map((r) => `${r.Name} ${r.Type}`)).toEqual([
      'w.example.internal. CNAME',
      'txt.example.internal. TXT',
      'db.example.internal. A',
    ]);
  });

  it('answers GetChange PENDING until the propagation delay has passed on its clock, then INSYNC', async () => {
    // Prepare
    route53Zones({ propagationSeconds: 10, secondsPerStatusCheck: 4 }).zone({
      id: ZONE,
      name: 'example.internal',
      private: false,
    });
    const change = await client.send(
      new ChangeResourceRecordSetsCommand(upsert('db.example.internal', 'A', '10.0.0.2')),
    );

    // Act
    const statuses: (string | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await client.send(new GetChangeCommand({ Id: change.ChangeInfo?.Id }))).ChangeInfo?.Status);
    }

    // Assess
    expect(change.ChangeInfo?.Status).toBe('PENDING');
    expect(statuses).toEqual(['PENDING', 'PENDING', 'INSYNC']);
  });

  it('refuses TestDNSAnswer on a private zone with InvalidInput and answers it on a public one', async () => {
    // Prepare
    const world = route53Zones();
    const records = [
      { Name: 'db.example.internal', Type: 'A' as const, TTL: 60, ResourceRecords: [{ Value: '10.0.0.3' }] },
    ];
    world.zone({ id: 'ZPRIVATE', name: 'example.internal', private: true, records });
    world.zone({ id: 'ZPUBLIC', name: 'example.internal', private: false, records });
    const ask = (HostedZoneId: string) =>
      client.send(new TestDNSAnswerCommand({ HostedZoneId, RecordName: 'db.example.internal', RecordType: 'A' }));

    // Act
    const onPrivate = await ask('ZPRIVATE').catch((e: Error) => e.name);
    const onPublic = await ask('ZPUBLIC');

    // Assess
    expect(onPrivate).toBe('InvalidInput');
    expect(onPublic.RecordData).toEqual(['10.0.0.3']);
  });

  it('with its control plane down, a failover promotes and then fails at UpdateDns, retried, ServiceUnavailableError', async () => {
    // Prepare
    notifyWorld();
    lagMetrics(() => 2_000);
    auroraWorld();
    const world = route53Zones();
    world.zone({
      id: 'Z0123456789ABCDEFGHIJ',
      name: 'orders.example.internal',
      private: true,
      records: [
        { Name: 'db.orders.example.internal', Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: 'old.example' }] },
      ],
    });
    world.setDown(true);

    // Act
    const run = await execute(runInput(), { validate: false });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ServiceUnavailableError');
    expect(rds).toHaveReceivedCommand(FailoverGlobalClusterCommand);
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand).length).toBeGreaterThan(1);
    expect(world.records('Z0123456789ABCDEFGHIJ')[0]?.ResourceRecords?.[0]?.Value).toBe('old.example');
  });

  it('is reached from us-east-1 only: a client of another region fails the test', async () => {
    // Prepare
    route53Zones().zone({ id: ZONE, name: 'example.internal', private: false });
    const elsewhere = new Route53Client({ region: 'eu-west-1' });

    // Act
    const error = await elsewhere.send(new GetChangeCommand({ Id: 'C1' })).catch((e: Error) => e.message);

    // Assess
    expect(error).toContain('not us-east-1');
  });
});
