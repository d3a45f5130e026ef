import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandOutput,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';

/**
 * Reads the latest datapoint of replication-lag metrics with one GetMetricData call.
 *
 * Adapters import this module dynamically, so the steps that never read lag (fence, promote, status)
 * do not pay for evaluating the CloudWatch client at cold start.
 */

/** How far back to look: RDS publishes these metrics every minute, usually a minute or two late. */
export const LAG_WINDOW_MS = 5 * 60_000;
/** A latest datapoint older than this says nothing about the lag now: it is unknown, not its old value. */
export const STALE_AFTER_MS = 3 * 60_000;
export const LAG_PERIOD_SECONDS = 60;

export interface LagMetricQuery {
  /** GetMetricData query id: lowercase letter first, then letters, digits and _. */
  id: string;
  namespace: string;
  metricName: string;
  dimensions: Readonly<Record<string, string>>;
}

export interface Datapoint {
  value: number;
  /** Start of the period the value covers. */
  timestamp: Date;
}

/** The default CloudWatch client of a region (the standby region: lag is read where the stack runs). */
export const defaultCloudWatch = (region: string): CloudWatchClient => clientFor(CloudWatchClient, region);

/**
 * The latest datapoint of each query within the last LAG_WINDOW_MS, keyed by query id; a query with no
 * datapoint is absent from the map. SDK failures become named errors (throttling stays retryable).
 */
export const latestDatapoints = async (
  client: CloudWatchClient,
  queries: readonly LagMetricQuery[],
  now: Date,
  what: string,
): Promise<Map<string, Datapoint>> => {
  const metricDataQueries: MetricDataQuery[] = queries.map((q) => ({
    Id: q.id,
    MetricStat: {
      Metric: {
        Namespace: q.namespace,
        MetricName: q.metricName,
        Dimensions: Object.entries(q.dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: LAG_PERIOD_SECONDS,
      // The worst minute, not the average: an RPO check must not be talked down by quiet seconds.
      Stat: 'Maximum',
    },
    ReturnData: true,
  }));
  let response: GetMetricDataCommandOutput;
  try {
    response = await client.send(
      new GetMetricDataCommand({
        MetricDataQueries: metricDataQueries,
        StartTime: new Date(now.getTime() - LAG_WINDOW_MS),
        EndTime: now,
        ScanBy: 'TimestampDescending',
      }),
    );
  } catch (error) {
    throw translateAwsError(error, `GetMetricData ${what}`);
  }
  const latest = new Map<string, Datapoint>();
  for (const result of response.MetricDataResults ?? []) {
    const timestamps = result.Timestamps ?? [];
    const values = result.Values ?? [];
    if (!result.Id) continue;
    // Do not trust the order: take the newest timestamp that has a value.
    for (let i = 0; i < timestamps.length && i < values.length; i++) {
      const timestamp = timestamps[i];
      const value = values[i];
      if (timestamp === undefined || value === undefined || !Number.isFinite(value)) continue;
      const current = latest.get(result.Id);
      if (!current || timestamp.getTime() > current.timestamp.getTime()) {
        latest.set(result.Id, { value, timestamp });
      }
    }
  }
  return latest;
};

/** True when the datapoint is too old to describe the lag now. */
export const isStale = (datapoint: Datapoint, now: Date): boolean =>
  now.getTime() - datapoint.timestamp.getTime() > STALE_AFTER_MS;

/** `n s ago` for details read by people. */
export const age = (datapoint: Datapoint, now: Date): string =>
  `${Math.max(0, Math.round((now.getTime() - datapoint.timestamp.getTime()) / 1000))} s ago`;
