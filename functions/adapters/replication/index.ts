/**
 * Reads the replication metrics the RPO gates of non-database components judge, with one GetMetricData call per
 * gate: S3 Replication's per-rule metrics in the destination bucket's Region (S3 User Guide, Using S3 Replication
 * metrics: "published in the Region of the destination bucket", so the standby region answers while the primary is
 * down), DynamoDB's ReplicationLatency per source and receiving Region pair.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { defaultCloudWatch, type LagMetricQuery, latestDatapoints } from '#adapters/database/cloudwatch-lag.js';
import {
  type DynamoDbGlobalTableGate,
  type GateVerdict,
  judgeDynamoDbReplication,
  judgeS3Replication,
  type S3ReplicationGate,
} from '#core/replication-gates.js';

export interface GateRegions {
  primary: string;
  standby: string;
}

export interface ReplicationGateDeps {
  /** Injected in tests; default: the region's CloudWatch client. */
  cloudwatch?: (region: string) => CloudWatchClient;
  now?: () => Date;
}

export const s3ReplicationQueries = (gate: S3ReplicationGate): LagMetricQuery[] => {
  const dimensions = {
    SourceBucket: gate.sourceBucket,
    DestinationBucket: gate.destinationBucket,
    RuleId: gate.ruleId,
  };
  return [
    { id: 'latency', namespace: 'AWS/S3', metricName: 'ReplicationLatency', dimensions },
    { id: 'operations', namespace: 'AWS/S3', metricName: 'OperationsPendingReplication', dimensions },
    { id: 'bytes', namespace: 'AWS/S3', metricName: 'BytesPendingReplication', dimensions },
  ];
};

export const readS3Replication = async (
  gate: S3ReplicationGate,
  regions: GateRegions,
  deps: ReplicationGateDeps = {},
): Promise<GateVerdict> => {
  const now = (deps.now ?? (() => new Date()))();
  const client = (deps.cloudwatch ?? defaultCloudWatch)(regions.standby);
  const what = `S3 replication ${gate.sourceBucket} → ${gate.destinationBucket} rule ${gate.ruleId}`;
  const points = await latestDatapoints(client, s3ReplicationQueries(gate), now, what);
  return judgeS3Replication(gate, points, now);
};

export const readDynamoDbReplication = async (
  gate: DynamoDbGlobalTableGate,
  regions: GateRegions,
  deps: ReplicationGateDeps = {},
): Promise<GateVerdict> => {
  const now = (deps.now ?? (() => new Date()))();
  const region = gate.metricsRegion ?? regions.primary;
  const client = (deps.cloudwatch ?? defaultCloudWatch)(region);
  const query: LagMetricQuery = {
    id: 'latency',
    namespace: 'AWS/DynamoDB',
    metricName: 'ReplicationLatency',
    dimensions: { TableName: gate.tableName, ReceivingRegion: regions.standby },
  };
  try {
    const points = await latestDatapoints(client, [query], now, `DynamoDB ReplicationLatency ${gate.tableName}`);
    return judgeDynamoDbReplication(gate, points, now);
  } catch (error) {
    // The metric lives in the source Region: when that Region does not answer, the lag is unknown, not zero.
    if (region !== regions.standby && (error as { retryable?: boolean }).retryable) {
      const reason = `replication unknown: CloudWatch in ${region} did not answer (${(error as Error).message})`;
      return { status: 'unknown', within: false, reason };
    }
    throw error;
  }
};
