import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  InvalidChangeBatch,
  InvalidInput,
  ListResourceRecordSetsCommand,
  NoSuchChange,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  Route53Client,
  Route53ServiceException,
  TestDNSAnswerCommand,
  ThrottlingException,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROUTE53_CONTROL_PLANE_REGION, Route53DnsSwitch } from '#adapters/dns/route53.js';
import {
  AwsRequestFailedError,
  DnsChangeFailedError,
  ResourceBusyError,
  ServiceUnavailableError,
  ThrottledError,
} from '#core/errors.js';
import type { PlanWithDns } from '#core/plan.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const r53 = mockClient(Route53Client);

afterEach(() => {
  r53.reset();
});

const ordersPlan = (): PlanWithDns<'route53'> => {
  const plan = loadPlanFile('plans/orders.yml');
  if (plan.dns.kind !== 'route53') throw new Error('plans/orders.yml must use route53');
  return { ...plan, dns: plan.dns };
};

const RECORD = 'db.orders.example.internal';
const ZONE = 'Z0123456789ABCDEFGHIJ';
const WRITER = 'orders-eu.cluster-abc123.eu-west-1.rds.amazonaws.com';

const changeInfo = (status: 'PENDING' | 'INSYNC', id = '/change/C2682N5HXP0BZ4') => ({
  ChangeInfo: { Id: id, Status: status, SubmittedAt: new Date('2026-01-01T00:00:00Z') },
});

/** A Route 53 error as the SDK surfaces it when the service has no modelled class for the code. */
const serviceError = (name: string, httpStatusCode: number, fault: 'client' | 'server' = 'client') =>
  new Route53ServiceException({ name, $fault: fault, $metadata: { httpStatusCode }, message: `${name} from Route 53` });

const newSwitch = (plan = ordersPlan()) => new Route53DnsSwitch(plan, { route53: () => new Route53Client({}) });

describe('Route53DnsSwitch.point', () => {
  it('sends one UPSERT of the plan record with its type, the TTL and the target, and returns the change id', async () => {
    // Prepare
    r53.on(ChangeResourceRecordSetsCommand).resolves(changeInfo('PENDING'));
    const dns = newSwitch();

    // Act
    const result = await dns.point(RECORD, WRITER, 30);

    // Assess
    expect(result).toEqual({ changeId: '/change/C2682N5HXP0BZ4', status: 'pending' });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    expect(r53).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      HostedZoneId: ZONE,
      ChangeBatch: {
        Comment: expect.stringContaining('dr-failover'),
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: { Name: RECORD, Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: WRITER }] },
          },
        ],
      },
    });
    const input = r53.commandCalls(ChangeResourceRecordSetsCommand)[0]?.args[0].input;
    expect(input?.ChangeBatch?.Changes).toHaveLength(1);
    expect(input?.ChangeBatch?.Comment?.length).toBeLessThanOrEqual(256);
  });

  it('returns the status Route 53 answered the change with, INSYNC included', async () => {
    // Prepare
    r53.on(ChangeResourceRecordSetsCommand).resolves(changeInfo('INSYNC'));

    // Act
    const result = await newSwitch().point(RECORD, WRITER, 30);

    // Assess
    expect(result.status).toBe('insync');
  });

  it('writes the same UPSERT twice when called twice, and never a DELETE', async () => {
    // Prepare
    r53
      .on(ChangeResourceRecordSetsCommand)
      .resolvesOnce(changeInfo('PENDING', '/change/C1'))
      .resolvesOnce(changeInfo('PENDING', '/change/C2'));
    const dns = newSwitch();

    // Act
    const first = await dns.point(RECORD, WRITER, 30);
    const second = await dns.point(RECORD, WRITER, 30);

    // Assess
    expect([first.changeId, second.changeId]).toEqual(['/change/C1', '/change/C2']);
    const changes = r53.commandCalls(ChangeResourceRecordSetsCommand).map((c) => c.args[0].input.ChangeBatch?.Changes);
    expect(changes).toHaveLength(2);
    expect(changes[0]).toEqual(changes[1]);
    expect(changes.flat().map((c) => c?.Action)).toEqual(['UPSERT', 'UPSERT']);
  });

  it('accepts the plan record written with a trailing dot or in another case', async () => {
    // Prepare
    r53.on(ChangeResourceRecordSetsCommand).resolves(changeInfo('PENDING'));
    const dns = newSwitch();

    // Act
    await dns.point('DB.Orders.Example.Internal.', WRITER, 30);

    // Assess
    expect(r53).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      ChangeBatch: expect.objectContaining({
        Changes: [expect.objectContaining({ ResourceRecordSet: expect.objectContaining({ Name: RECORD }) })],
      }),
    });
  });

  it.each([
    ['another record of the zone', 'api.orders.example.internal'],
    ['a record of another zone', 'db.payments.example.internal'],
    ['a name that only ends like the record', 'evil-db.orders.example.internal'],
  ])('refuses %s without sending anything', async (_what, recordName) => {
    // Prepare
    const dns = newSwitch();

    // Act
    const result = dns.point(recordName, WRITER, 30);

    // Assess
    await expect(result).rejects.toBeInstanceOf(DnsChangeFailedError);
    await expect(result).rejects.toThrow(/refusing to change/);
    expect(r53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
  });

  it.each([
    ['a negative TTL', WRITER, -1],
    ['a fractional TTL', WRITER, 1.5],
    ['an empty target', '  ', 30],
    ['a target with spaces', 'two words', 30],
  ])('refuses %s without sending anything', async (_what, target, ttl) => {
    // Prepare
    const dns = newSwitch();

    // Act
    const result = dns.point(RECORD, target, ttl);

    // Assess
    await expect(result).rejects.toBeInstanceOf(DnsChangeFailedError);
    expect(r53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
  });

  it('uses the plan record type: an A record takes an IPv4 address and refuses a host name', async () => {
    // Prepare
    r53.on(ChangeResourceRecordSetsCommand).resolves(changeInfo('PENDING'));
    const base = ordersPlan();
    const dns = newSwitch({ ...base, dns: { ...base.dns, recordType: 'A' } });

    // Act
    await dns.point(RECORD, '10.20.30.40', 60);
    const refused = dns.point(RECORD, WRITER, 60);

    // Assess
    await expect(refused).rejects.toBeInstanceOf(DnsChangeFailedError);
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    expect(r53).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      ChangeBatch: expect.objectContaining({
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: { Name: RECORD, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.20.30.40' }] },
          },
        ],
      }),
    });
  });

  it.each([
    {
      code: 'PriorRequestNotComplete',
      expected: ResourceBusyError,
      makeError: () => new PriorRequestNotComplete({ $metadata: {}, message: 'still processing a prior request' }),
    },
    { code: 'Throttling', expected: ThrottledError, makeError: () => serviceError('Throttling', 400) },
    {
      code: 'ThrottlingException',
      expected: ThrottledError,
      makeError: () => new ThrottlingException({ $metadata: {}, message: 'Rate exceeded' }),
    },
    {
      code: 'InternalFailure',
      expected: ServiceUnavailableError,
      makeError: () => serviceError('InternalFailure', 500, 'server'),
    },
    {
      code: 'InvalidChangeBatch',
      expected: DnsChangeFailedError,
      makeError: () => new InvalidChangeBatch({ $metadata: {}, message: 'bad batch', messages: ['bad batch'] }),
    },
    {
      code: 'NoSuchHostedZone',
      expected: DnsChangeFailedError,
      makeError: () => new NoSuchHostedZone({ $metadata: {}, message: 'No hosted zone found' }),
    },
    {
      code: 'InvalidInput',
      expected: DnsChangeFailedError,
      makeError: () => new InvalidInput({ $metadata: {}, message: 'Invalid request' }),
    },
    { code: 'AccessDenied', expected: DnsChangeFailedError, makeError: () => serviceError('AccessDenied', 403) },
  ])('translates $code into $expected.name, keeping the SDK error as cause', async ({ code, expected, makeError }) => {
    // Prepare
    const sdkError = makeError();
    r53.on(ChangeResourceRecordSetsCommand).rejects(sdkError);
    const dns = newSwitch();

    // Act
    const error = await dns.point(RECORD, WRITER, 30).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(expected);
    expect((error as Error).name).toBe(expected.name);
    expect((error as Error).cause).toBe(sdkError);
    expect((error as Error).message).toContain(code);
    expect((error as Error).message).toContain(RECORD);
  });

  it('marks busy and throttled failures retryable and refusals terminal', async () => {
    // Prepare
    r53
      .on(ChangeResourceRecordSetsCommand)
      .rejectsOnce(new PriorRequestNotComplete({ $metadata: {}, message: 'busy' }))
      .rejectsOnce(new InvalidChangeBatch({ $metadata: {}, message: 'bad' }));
    const dns = newSwitch();

    // Act
    const busy = await dns.point(RECORD, WRITER, 30).catch((e: unknown) => e);
    const refused = await dns.point(RECORD, WRITER, 30).catch((e: unknown) => e);

    // Assess
    expect(busy).toMatchObject({ name: 'ResourceBusyError', retryable: true });
    expect(refused).toMatchObject({ name: 'DnsChangeFailedError', retryable: false });
  });

  it('fails when Route 53 answers without a change id', async () => {
    // Prepare
    r53.on(ChangeResourceRecordSetsCommand).resolves({});
    const dns = newSwitch();

    // Act
    const result = dns.point(RECORD, WRITER, 30);

    // Assess
    await expect(result).rejects.toBeInstanceOf(DnsChangeFailedError);
  });
});

describe('Route53DnsSwitch.changeStatus', () => {
  it.each([
    ['PENDING', 'pending'],
    ['INSYNC', 'insync'],
  ] as const)('maps GetChange %s to %s', async (status, expected) => {
    // Prepare
    r53.on(GetChangeCommand).resolves(changeInfo(status));
    const dns = newSwitch();

    // Act
    const result = await dns.changeStatus('/change/C2682N5HXP0BZ4');

    // Assess
    expect(result).toBe(expected);
    expect(r53).toHaveReceivedCommandWith(GetChangeCommand, { Id: '/change/C2682N5HXP0BZ4' });
  });

  it('translates NoSuchChange into DnsChangeFailedError and throttling into ThrottledError', async () => {
    // Prepare
    const missing = new NoSuchChange({
      $metadata: {},
      message: 'A change with the specified change ID does not exist',
    });
    r53.on(GetChangeCommand).rejectsOnce(missing).rejectsOnce(serviceError('Throttling', 400));
    const dns = newSwitch();

    // Act
    const first = await dns.changeStatus('/change/NOPE').catch((e: unknown) => e);
    const second = await dns.changeStatus('/change/C1').catch((e: unknown) => e);

    // Assess
    expect(first).toBeInstanceOf(DnsChangeFailedError);
    expect((first as Error).cause).toBe(missing);
    expect(second).toBeInstanceOf(ThrottledError);
  });
});

const hostedZone = (isPrivate: boolean) => ({
  HostedZone: {
    Id: `/hostedzone/${ZONE}`,
    Name: 'orders.example.internal.',
    CallerReference: 'test',
    Config: { PrivateZone: isPrivate },
  },
});

describe('Route53DnsSwitch.resolve', () => {
  beforeEach(() => {
    r53.on(GetHostedZoneCommand).resolves(hostedZone(false));
  });

  it('asks TestDNSAnswer for the record in the plan zone and type, and strips trailing dots', async () => {
    // Prepare
    r53.on(TestDNSAnswerCommand).resolves({
      Nameserver: 'ns-1.awsdns-01.org',
      RecordName: `${RECORD}.`,
      RecordType: 'CNAME',
      RecordData: [`${WRITER}.`],
      ResponseCode: 'NOERROR',
      Protocol: 'UDP',
    });
    const dns = newSwitch();

    // Act
    const answer = await dns.resolve(RECORD);

    // Assess
    expect(answer).toEqual([WRITER]);
    expect(r53).toHaveReceivedCommandWith(TestDNSAnswerCommand, {
      HostedZoneId: ZONE,
      RecordName: RECORD,
      RecordType: 'CNAME',
    });
  });

  it('answers an empty list when the name does not exist', async () => {
    // Prepare
    r53.on(TestDNSAnswerCommand).resolves({
      Nameserver: 'ns-1.awsdns-01.org',
      RecordName: RECORD,
      RecordType: 'CNAME',
      RecordData: [],
      ResponseCode: 'NXDOMAIN',
      Protocol: 'UDP',
    });
    const dns = newSwitch();

    // Act
    const answer = await dns.resolve(RECORD);

    // Assess
    expect(answer).toEqual([]);
  });

  it('reads a private zone back with ListResourceRecordSets, never TestDNSAnswer, reading the zone once', async () => {
    // Prepare
    r53.on(GetHostedZoneCommand).resolves(hostedZone(true));
    r53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        { Name: `${RECORD}.`, Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: `${WRITER}.` }] },
        { Name: `${RECORD}.`, Type: 'TXT', TTL: 30, ResourceRecords: [{ Value: '"owner=orders"' }] },
        { Name: `x.${RECORD}.`, Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: 'elsewhere.example.' }] },
      ],
      IsTruncated: false,
      MaxItems: 20,
    });
    const dns = newSwitch();

    // Act
    const first = await dns.resolve(RECORD);
    const second = await dns.resolve(RECORD);

    // Assess
    expect(first).toEqual([WRITER]);
    expect(second).toEqual([WRITER]);
    expect(r53).not.toHaveReceivedCommand(TestDNSAnswerCommand);
    expect(r53).toHaveReceivedCommandTimes(GetHostedZoneCommand, 1);
    expect(r53).toHaveReceivedCommandWith(ListResourceRecordSetsCommand, {
      HostedZoneId: ZONE,
      StartRecordName: RECORD,
    });
  });

  it('reads the zone again on the next call when reading it failed (throttled: retryable)', async () => {
    // Prepare
    r53
      .on(GetHostedZoneCommand)
      .rejectsOnce(new ThrottlingException({ $metadata: {}, message: 'Rate exceeded' }))
      .resolves(hostedZone(false));
    r53.on(TestDNSAnswerCommand).resolves({ RecordData: [WRITER], ResponseCode: 'NOERROR' });
    const dns = newSwitch();

    // Act
    const first = await dns.resolve(RECORD).catch((e: unknown) => e);
    const second = await dns.resolve(RECORD);

    // Assess
    expect(first).toBeInstanceOf(ThrottledError);
    expect(second).toEqual([WRITER]);
  });

  it('translates a refusal (a private zone, a missing zone) into AwsRequestFailedError', async () => {
    // Prepare
    const refusal = new InvalidInput({ $metadata: {}, message: 'private hosted zones are not supported' });
    r53.on(TestDNSAnswerCommand).rejects(refusal);
    const dns = newSwitch();

    // Act
    const error = await dns.resolve(RECORD).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(AwsRequestFailedError);
    expect((error as Error).cause).toBe(refusal);
  });
});

describe('Route53DnsSwitch client', () => {
  it('builds its client lazily, once, on first use', async () => {
    // Prepare
    r53.on(GetChangeCommand).resolves(changeInfo('INSYNC'));
    const factory = vi.fn(() => new Route53Client({}));

    // Act
    const dns = new Route53DnsSwitch(ordersPlan(), { route53: factory });
    const before = factory.mock.calls.length;
    await dns.changeStatus('/change/C1');
    await dns.changeStatus('/change/C1');

    // Assess
    expect(before).toBe(0);
    expect(factory).toHaveBeenCalledTimes(1);
  });

  it('talks to the Route 53 control plane in us-east-1 by default, whatever the plan regions', async () => {
    // Prepare
    r53.on(GetChangeCommand).resolves(changeInfo('INSYNC'));
    const dns = new Route53DnsSwitch(ordersPlan());

    // Act
    await dns.changeStatus('/change/C1');

    // Assess
    const client = r53.commandCalls(GetChangeCommand)[0]?.thisValue as Route53Client;
    expect(ROUTE53_CONTROL_PLANE_REGION).toBe('us-east-1');
    expect(await client.config.region()).toBe('us-east-1');
  });
});
