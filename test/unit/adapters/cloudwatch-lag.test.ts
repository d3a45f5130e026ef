import { CloudWatchClient, CloudWatchServiceException, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { isStale, latestDatapoints } from '#adapters/database/cloudwatch-lag.js';
import { AwsRequestFailedError, ServiceUnavailableError } from '#core/errors.js';

const cloudwatch = mockClient(CloudWatchClient);
const NOW = new Date('2026-11-25T12:00:00.000Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);
const query = { id: 'q', namespace: 'AWS/RDS', metricName: 'ReplicaLag', dimensions: { DBInstanceIdentifier: 'r' } };
const client = () => new CloudWatchClient({ region: 'eu-west-1' });

afterEach(() => {
  cloudwatch.reset();
});

describe('latestDatapoints', () => {
  it('ignores results without an id and values that are not finite numbers', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Timestamps: [minutesAgo(1)], Values: [1] },
        { Id: 'q', Timestamps: [minutesAgo(1), minutesAgo(2)], Values: [Number.NaN, 7] },
      ],
    });

    // Act
    const latest = await latestDatapoints(client(), [query], NOW, 'test');

    // Assess
    expect([...latest.entries()]).toEqual([['q', { value: 7, timestamp: minutesAgo(2) }]]);
  });

  it('asks for the newest datapoints first over the lag window', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Act
    const latest = await latestDatapoints(client(), [query], NOW, 'test');

    // Assess
    expect(latest.size).toBe(0);
    expect(cloudwatch).toHaveReceivedCommandWith(GetMetricDataCommand, {
      ScanBy: 'TimestampDescending',
      StartTime: minutesAgo(5),
      EndTime: NOW,
    });
  });

  it('translates a server fault into ServiceUnavailableError and a refusal into AwsRequestFailedError', async () => {
    // Prepare
    cloudwatch
      .on(GetMetricDataCommand)
      .rejectsOnce(
        new CloudWatchServiceException({ name: 'InternalServiceFault', $fault: 'server', $metadata: {}, message: 'x' }),
      )
      .rejects(
        new CloudWatchServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: {}, message: 'denied' }),
      );

    // Act / Assess
    await expect(latestDatapoints(client(), [query], NOW, 'test')).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(latestDatapoints(client(), [query], NOW, 'test')).rejects.toBeInstanceOf(AwsRequestFailedError);
  });

  it('calls a datapoint stale after three minutes', () => {
    // Act / Assess
    expect(isStale({ value: 1, timestamp: minutesAgo(3) }, NOW)).toBe(false);
    expect(isStale({ value: 1, timestamp: new Date(minutesAgo(3).getTime() - 1) }, NOW)).toBe(true);
  });
});
