import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { readDynamoDbReplication, readS3Replication } from '#adapters/replication/index.js';
import { AwsRequestFailedError } from '#core/errors.js';
import { dynamoDbGlobalTableGate, s3ReplicationGate } from '#core/replication-gates.js';

const cw = mockClient(CloudWatchClient);

afterEach(() => {
  cw.reset();
});

const NOW = new Date('2026-12-07T12:00:00Z');
const REGIONS = { primary: 'us-east-1', standby: 'eu-west-1' };
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);

const S3_GATE = s3ReplicationGate.parse({
  kind: 's3-replication',
  sourceBucket: 'models-us',
  destinationBucket: 'models-eu',
  ruleId: 'models-to-eu',
  maxLatencySeconds: 900,
  maxPendingBytes: 1_000_000,
});
const DDB_GATE = dynamoDbGlobalTableGate.parse({
  kind: 'dynamodb-global-table',
  tableName: 'online-features',
  maxLatencySeconds: 5,
});

/** CloudWatch's answer: per query id, datapoints newest first. */
const answer = (points: Record<string, [number, Date][]>) => ({
  MetricDataResults: Object.entries(points).map(([Id, list]) => ({
    Id,
    Timestamps: list.map(([, t]) => t),
    Values: list.map(([v]) => v),
    StatusCode: 'Complete' as const,
  })),
});

/** Records the region each CloudWatch client was asked for. */
const clients = () => {
  const regions: string[] = [];
  return {
    regions,
    cloudwatch: (region: string) => {
      regions.push(region);
      return new CloudWatchClient({ region });
    },
  };
};

describe('the S3 replication gate', () => {
  it('reads the rule’s three metrics in the destination bucket’s Region and is within its limits', async () => {
    // Prepare
    cw.on(GetMetricDataCommand).resolves(
      answer({ latency: [[40, minutesAgo(1)]], operations: [[0, minutesAgo(1)]], bytes: [[0, minutesAgo(1)]] }),
    );
    const { regions, cloudwatch } = clients();

    // Act
    const verdict = await readS3Replication(S3_GATE, REGIONS, { cloudwatch, now: () => NOW });

    // Assess
    expect(regions).toEqual(['eu-west-1']);
    expect(verdict).toEqual({
      status: 'known',
      within: true,
      reason:
        'replication within limits: ReplicationLatency 40 s, OperationsPendingReplication 0 operations, BytesPendingReplication 0 bytes',
      // Each reading with its limit, for readiness to judge the margin.
      readings: [
        { metric: 'ReplicationLatency', value: 40, limit: 900, unit: 's' },
        { metric: 'OperationsPendingReplication', value: 0, limit: 0, unit: 'operations' },
        { metric: 'BytesPendingReplication', value: 0, limit: 1_000_000, unit: 'bytes' },
      ],
    });
    const input = cw.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    const dims = [
      { Name: 'SourceBucket', Value: 'models-us' },
      { Name: 'DestinationBucket', Value: 'models-eu' },
      { Name: 'RuleId', Value: 'models-to-eu' },
    ];
    expect(input?.MetricDataQueries?.map((q) => [q.Id, q.MetricStat?.Metric?.MetricName, q.MetricStat?.Stat])).toEqual([
      ['latency', 'ReplicationLatency', 'Maximum'],
      ['operations', 'OperationsPendingReplication', 'Maximum'],
      ['bytes', 'BytesPendingReplication', 'Maximum'],
    ]);
    expect(input?.MetricDataQueries?.every((q) => q.MetricStat?.Metric?.Namespace === 'AWS/S3')).toBe(true);
    expect(input?.MetricDataQueries?.[0]?.MetricStat?.Metric?.Dimensions).toEqual(dims);
  });

  it('is behind when objects are pending or the latency is over the limit, naming each', async () => {
    // Prepare
    cw.on(GetMetricDataCommand).resolves(
      answer({ latency: [[1200, minutesAgo(1)]], operations: [[37, minutesAgo(1)]], bytes: [[10, minutesAgo(1)]] }),
    );

    // Act
    const verdict = await readS3Replication(S3_GATE, REGIONS, { now: () => NOW });

    // Assess
    expect(verdict).toMatchObject({ status: 'known', within: false });
    expect(verdict.reason).toBe(
      'replication behind: ReplicationLatency 1200 > 900 s, OperationsPendingReplication 37 > 0 operations',
    );
  });

  it('is unknown, never within, when a metric is absent (replication metrics off) or stale', async () => {
    // Prepare
    cw.on(GetMetricDataCommand).resolves(answer({ latency: [[0, minutesAgo(4)]], operations: [[0, minutesAgo(1)]] }));

    // Act
    const verdict = await readS3Replication(S3_GATE, REGIONS, { now: () => NOW });

    // Assess
    expect(verdict).toEqual({
      status: 'unknown',
      within: false,
      reason: 'replication unknown: ReplicationLatency stale, BytesPendingReplication absent',
    });
  });
});

describe('the DynamoDB global table gate', () => {
  it('reads ReplicationLatency towards the standby in the primary Region, in milliseconds', async () => {
    // Prepare
    cw.on(GetMetricDataCommand).resolves(answer({ latency: [[1500, minutesAgo(1)]] }));
    const { regions, cloudwatch } = clients();

    // Act
    const verdict = await readDynamoDbReplication(DDB_GATE, REGIONS, { cloudwatch, now: () => NOW });

    // Assess
    expect(regions).toEqual(['us-east-1']);
    expect(verdict).toEqual({
      status: 'known',
      within: true,
      reason: 'replication within limits: ReplicationLatency 1.5 s',
      readings: [{ metric: 'ReplicationLatency', value: 1.5, limit: DDB_GATE.maxLatencySeconds, unit: 's' }],
    });
    expect(cw).toHaveReceivedCommandWith(GetMetricDataCommand, {
      MetricDataQueries: [
        expect.objectContaining({
          MetricStat: expect.objectContaining({
            Metric: {
              Namespace: 'AWS/DynamoDB',
              MetricName: 'ReplicationLatency',
              Dimensions: [
                { Name: 'TableName', Value: 'online-features' },
                { Name: 'ReceivingRegion', Value: 'eu-west-1' },
              ],
            },
          }),
        }),
      ],
    });
  });

  it('is unknown when the primary Region’s CloudWatch does not answer, and throws what retrying cannot fix', async () => {
    // Prepare
    const unavailable = Object.assign(new Error('Service Unavailable'), {
      name: 'ServiceUnavailable',
      $fault: 'server',
      $metadata: { httpStatusCode: 503 },
    });
    const denied = Object.assign(new Error('not authorized'), {
      name: 'AccessDenied',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
    });
    cw.on(GetMetricDataCommand).rejectsOnce(unavailable).rejectsOnce(denied);

    // Act
    const first = await readDynamoDbReplication(DDB_GATE, REGIONS, { now: () => NOW });
    const second = await readDynamoDbReplication(DDB_GATE, REGIONS, { now: () => NOW }).catch((e: unknown) => e);

    // Assess
    expect(first).toMatchObject({ status: 'unknown', within: false });
    expect(first.reason).toMatch(/^replication unknown: CloudWatch in us-east-1 did not answer/);
    expect(second).toBeInstanceOf(AwsRequestFailedError);
  });

  it('refuses a gate without a valid table name or with a bad region', () => {
    // Act / Assess
    expect(dynamoDbGlobalTableGate.safeParse({ ...DDB_GATE, tableName: 'a' }).success).toBe(false);
    expect(dynamoDbGlobalTableGate.safeParse({ ...DDB_GATE, metricsRegion: 'Europe' }).success).toBe(false);
    expect(s3ReplicationGate.safeParse({ ...S3_GATE, ruleId: '' }).success).toBe(false);
  });
});
