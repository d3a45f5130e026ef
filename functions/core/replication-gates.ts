/**
 * RPO gates for the platform's data that is not a database: S3 buckets replicated by S3 Replication (model
 * artifacts, training data) and DynamoDB global tables (online features). Each gate reads the replication metrics
 * AWS publishes and says whether the standby region's copy is within the plan's limits. A metric that is absent or
 * stale makes the verdict unknown, which is never within: no reading is not a reading of zero.
 *
 * Pure: the datapoints come from the CloudWatch adapter (adapters/replication/).
 */
import * as z from 'zod';
import { REGION_PATTERN } from './arn.js';
import { bucketName } from './s3-names.js';

/** A datapoint older than this says nothing about replication now (both services publish every minute). */
export const GATE_STALE_AFTER_MS = 3 * 60_000;

export const s3ReplicationGate = z
  .object({
    kind: z.literal('s3-replication'),
    sourceBucket: bucketName,
    destinationBucket: bucketName,
    /** The replication rule whose metrics are read (S3 publishes them per rule, once replication metrics are on). */
    ruleId: z.string().min(1).max(255),
    /** ReplicationLatency: how many seconds the destination is behind the source, at most. */
    maxLatencySeconds: z.number().min(0).max(86_400),
    /** OperationsPendingReplication at most (objects, delete markers, tags not yet replicated). Default 0. */
    maxPendingOperations: z.number().int().min(0).default(0),
    /** BytesPendingReplication at most; unchecked when absent. */
    maxPendingBytes: z.number().int().min(0).optional(),
  })
  .strict();

export const dynamoDbGlobalTableGate = z
  .object({
    kind: z.literal('dynamodb-global-table'),
    tableName: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'),
    maxLatencySeconds: z.number().min(0).max(86_400),
    /**
     * Where ReplicationLatency (per source and receiving Region pair) is read: by default the primary Region, the
     * source of the writes; unreadable when that Region is down, which the gate reports as unknown.
     */
    metricsRegion: z.string().regex(REGION_PATTERN, 'must be an AWS region such as eu-west-1').optional(),
  })
  .strict();

export type S3ReplicationGate = z.infer<typeof s3ReplicationGate>;
export type DynamoDbGlobalTableGate = z.infer<typeof dynamoDbGlobalTableGate>;

export interface GateDatapoint {
  value: number;
  timestamp: Date;
}

export interface GateVerdict {
  status: 'known' | 'unknown';
  within: boolean;
  /** For people: every limit checked, with its reading. */
  reason: string;
  /** A known verdict's readings, each with its limit (none: read, not limited), for readiness to judge the margin. */
  readings?: GateReading[];
}

export interface GateReading {
  metric: string;
  value: number;
  limit?: number;
  unit: string;
}

type Check = { metric: string; point: GateDatapoint | undefined; limit: number | undefined; unit: string };

/** Each metric must be there and fresh; each limited one within its limit. */
const judge = (checks: readonly Check[], now: Date): GateVerdict => {
  const unknown = checks.filter((c) => !c.point || now.getTime() - c.point.timestamp.getTime() > GATE_STALE_AFTER_MS);
  if (unknown.length > 0) {
    const what = unknown.map((c) => `${c.metric} ${c.point ? 'stale' : 'absent'}`).join(', ');
    return { status: 'unknown', within: false, reason: `replication unknown: ${what}` };
  }
  const over = checks.filter((c) => c.limit !== undefined && (c.point as GateDatapoint).value > c.limit);
  const values = checks.map(({ metric, point, limit, unit }) => ({
    metric,
    value: (point as GateDatapoint).value,
    ...(limit !== undefined ? { limit } : {}),
    unit,
  }));
  const readings = checks.map((c) => `${c.metric} ${(c.point as GateDatapoint).value} ${c.unit}`).join(', ');
  if (over.length > 0) {
    const what = over.map((c) => `${c.metric} ${(c.point as GateDatapoint).value} > ${c.limit} ${c.unit}`).join(', ');
    return { status: 'known', within: false, reason: `replication behind: ${what}`, readings: values };
  }
  return { status: 'known', within: true, reason: `replication within limits: ${readings}`, readings: values };
};

/** The S3 gate over the rule's three metrics (S3 User Guide, Using S3 Replication metrics). */
export const judgeS3Replication = (
  gate: S3ReplicationGate,
  points: ReadonlyMap<string, GateDatapoint>,
  now: Date,
): GateVerdict =>
  judge(
    [
      { metric: 'ReplicationLatency', point: points.get('latency'), limit: gate.maxLatencySeconds, unit: 's' },
      {
        metric: 'OperationsPendingReplication',
        point: points.get('operations'),
        limit: gate.maxPendingOperations,
        unit: 'operations',
      },
      { metric: 'BytesPendingReplication', point: points.get('bytes'), limit: gate.maxPendingBytes, unit: 'bytes' },
    ],
    now,
  );

/** The DynamoDB gate: ReplicationLatency arrives in milliseconds (DynamoDB Developer Guide, monitoring global tables). */
export const judgeDynamoDbReplication = (
  gate: DynamoDbGlobalTableGate,
  points: ReadonlyMap<string, GateDatapoint>,
  now: Date,
): GateVerdict => {
  const ms = points.get('latency');
  const seconds = ms ? { value: ms.value / 1000, timestamp: ms.timestamp } : undefined;
  return judge([{ metric: 'ReplicationLatency', point: seconds, limit: gate.maxLatencySeconds, unit: 's' }], now);
};
