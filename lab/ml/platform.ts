/**
 * The lab's ML platform around the drill's registry database (the PostgreSQL pair): the model artifacts' bucket pair
 * on the S3 server with the delayed replicator between them, the model workload registering versions and uploading
 * their artifacts, the online-feature table stand-in, and the AWS endpoints the run's component steps call, each a
 * stand-in the real SDK client reaches through its endpoint setting: CloudWatch (the S3 Replication metrics computed
 * from the replicator's backlog, the table's ReplicationLatency), SageMaker (the serving endpoint), Lambda (the
 * custom action warming the feature cache from the standby's replica). `regionLost()` is the primary Region going
 * dark for all of them at once. The feature store's metadata database is a second PostgreSQL pair the drill starts
 * beside the registry's (lab/drill/feature-db.ts); its primary dies with the rest (lab/drill/incident.ts).
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type pg from 'pg';
import type { PlanInput } from '#core/plan.js';
import type { PgEndpoint } from '#core/plan-database.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { localCloudWatch } from '../cloudwatch-standin.js';
import { localLambda } from '../lambda-standin.js';
import { type LocalS3, startLocalS3 } from '../s3-server.js';
import { localSageMaker } from '../sagemaker-standin.js';
import { type FeatureTable, startFeatureTable } from './feature-table.js';
import { type ModelWorkload, startModelWorkload } from './model-workload.js';
import { type Replicator, startReplicator } from './replicator.js';

export interface MlSettings {
  /** Time from an artifact's upload to its copy in the standby bucket (default 400 ms). */
  replicationDelayMs: number;
  /** Time between two model versions (default 40 ms). */
  versionIntervalMs: number;
  /** The feature table's replication delay (default 50 ms) and write interval (default 20 ms). */
  featureDelayMs: number;
  featureIntervalMs: number;
  /** How long the serving endpoint stays Updating after a change of capacity (default 300 ms). */
  scaleMs: number;
}

export const mlSettingsOf = (given: Partial<MlSettings> = {}): MlSettings => ({
  replicationDelayMs: given.replicationDelayMs ?? 400,
  versionIntervalMs: given.versionIntervalMs ?? 40,
  featureDelayMs: given.featureDelayMs ?? 50,
  featureIntervalMs: given.featureIntervalMs ?? 20,
  scaleMs: given.scaleMs ?? 300,
});

export const ML_MODEL = 'ranker';
const RULE_ID = 'artifacts-to-standby';
const FEATURE_TABLE = 'online-features';
const SERVING = { endpointName: 'ranking-serving', variantName: 'primary', from: 1, to: 4 };

type Regions = { primary: string; standby: string };

export const mlBuckets = (regions: Regions) => ({
  primary: `ml-artifacts-${regions.primary}`,
  standby: `ml-artifacts-${regions.standby}`,
});
const warmCacheArn = (regions: Regions, accountId: string) =>
  `arn:aws:lambda:${regions.standby}:${accountId}:function:warm-feature-cache`;

type Components = NonNullable<PlanInput['components']>;

/**
 * The plan's components, in plans/ml-platform.yml's shape and order (no Multi-Region Access Point: the lab serves
 * none); `featureMetadata` is the second database's component, on a pair of the drill's (lab/drill/feature-db.ts).
 */
export const mlComponents = (regions: Regions, accountId: string, featureMetadata?: Components[number]): Components => {
  const buckets = mlBuckets(regions);
  return [
    {
      name: 'model-artifacts',
      kind: 's3-replication',
      stage: 1,
      sourceBucket: buckets.primary,
      destinationBucket: buckets.standby,
      ruleId: RULE_ID,
      maxLatencySeconds: 5,
      maxPendingOperations: 50,
    },
    {
      name: 'online-features',
      kind: 'dynamodb-global-table',
      stage: 1,
      tableName: FEATURE_TABLE,
      maxLatencySeconds: 5,
    },
    ...(featureMetadata ? [featureMetadata] : []),
    {
      name: 'serving',
      kind: 'capacity',
      stage: 2,
      target: {
        kind: 'sagemaker-endpoint',
        endpointName: SERVING.endpointName,
        variantName: SERVING.variantName,
        count: SERVING.to,
      },
      maxChecks: 30,
      checkIntervalSeconds: 1,
    },
    {
      name: 'warm-feature-cache',
      kind: 'custom-action',
      stage: 2,
      functionArn: warmCacheArn(regions, accountId),
      input: { table: FEATURE_TABLE },
    },
  ];
};

/**
 * The plan's model-artifact check: plans/ml-platform.yml's own query, run on the lab's registry as the standby region
 * reads it (the standby, the registry's writer once promoted); the bucket map is the model-artifacts component's.
 */
export const mlArtifactCheck = (registry: PgEndpoint): NonNullable<PlanInput['artifacts']> => {
  const shipped = loadPlanFile(new URL('../../plans/ml-platform.yml', import.meta.url).pathname).artifacts;
  if (!shipped) throw new Error('plans/ml-platform.yml has no artifacts section');
  return { registry, query: shipped.query, maxArtifacts: shipped.maxArtifacts, onMissing: shipped.onMissing };
};

export interface MlPlatform {
  readonly s3: LocalS3;
  readonly buckets: { primary: string; standby: string };
  readonly replicator: Replicator;
  readonly models: ModelWorkload;
  readonly features: FeatureTable;
  /** The primary Region goes dark: replication and the feature writer stop, its CloudWatch endpoint drops connections. */
  regionLost(): Promise<void>;
  /** Keys in the standby bucket now. */
  replicaKeys(): Promise<Set<string>>;
  /** One line for the drill's set-up progress. */
  readonly summary: string;
  stop(): Promise<void>;
}

/** Points the real SDK clients at the lab's stand-ins, with the S3 server's own access key (it checks signatures). */
const pointClientsAt = (urls: { s3: string; cloudwatch: string; sagemaker: string; lambda: string }) => {
  process.env.AWS_ENDPOINT_URL_S3 = urls.s3;
  process.env.AWS_ENDPOINT_URL_CLOUDWATCH = urls.cloudwatch;
  process.env.AWS_ENDPOINT_URL_SAGEMAKER = urls.sagemaker;
  process.env.AWS_ENDPOINT_URL_LAMBDA = urls.lambda;
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
};

/** The custom action: warms the feature cache from the standby's replica, once per idempotency key. */
const warmFeatureCache = (features: FeatureTable) => {
  const done = new Map<string, string>();
  return async (event: unknown) => {
    const key = String((event as { idempotencyKey?: unknown }).idempotencyKey ?? '');
    const detail = done.get(key) ?? `warmed ${features.counts().standbyItems} feature items from the standby replica`;
    done.set(key, detail);
    return { ok: true, detail };
  };
};

export const startMlPlatform = async (opts: {
  registry: pg.ClientConfig;
  regions: Regions;
  accountId: string;
  settings: MlSettings;
}): Promise<MlPlatform> => {
  const { regions, settings } = opts;
  const buckets = mlBuckets(regions);
  const s3 = await startLocalS3({ buckets: [buckets.primary, buckets.standby] });
  const stops: (() => unknown)[] = [];
  try {
    const [cloudwatch, sagemaker, lambda] = await Promise.all([localCloudWatch(), localSageMaker(), localLambda()]);
    pointClientsAt({ s3: s3.endpoint, cloudwatch: cloudwatch.url, sagemaker: sagemaker.url, lambda: lambda.url });
    const source = s3.client(regions.primary);
    const replicator = startReplicator({
      client: source,
      from: buckets.primary,
      to: buckets.standby,
      delayMs: settings.replicationDelayMs,
    });
    stops.push(() => replicator.stop());
    const features = startFeatureTable({
      delayMs: settings.featureDelayMs,
      writeIntervalMs: settings.featureIntervalMs,
    });
    stops.push(() => features.stop());
    stops.push(...serveMetrics(cloudwatch, regions, buckets, replicator, features));
    stops.push(
      sagemaker.endpoint({
        name: SERVING.endpointName,
        variant: SERVING.variantName,
        count: SERVING.from,
        scaleMs: settings.scaleMs,
      }),
      lambda.register(warmCacheArn(regions, opts.accountId), warmFeatureCache(features)),
    );
    const models = await startModelWorkload({
      registry: opts.registry,
      s3: source,
      bucket: buckets.primary,
      model: ML_MODEL,
      intervalMs: settings.versionIntervalMs,
    });
    stops.push(() => models.stop());
    const standbyClient = s3.client(regions.standby);
    return {
      s3,
      buckets,
      replicator,
      models,
      features,
      regionLost: async () => {
        stops.push(cloudwatch.darken(regions.primary));
        features.stop();
        await replicator.stop();
      },
      replicaKeys: () => listKeys(standbyClient, buckets.standby),
      summary:
        `${buckets.primary} → ${buckets.standby} replicated after ${settings.replicationDelayMs} ms, ` +
        `a model version every ${settings.versionIntervalMs} ms; ${FEATURE_TABLE} table, ${SERVING.endpointName} ` +
        `endpoint (${SERVING.from} instance), warm-feature-cache function on the lab's AWS stand-ins`,
      stop: async () => {
        for (const stop of stops.reverse()) await stop();
        await s3.close();
      },
    };
  } catch (error) {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
    await s3.close();
    throw error;
  }
};

/** The metrics the components' gates read, each where AWS publishes it. Returns how to stop serving them. */
const serveMetrics = (
  cloudwatch: Awaited<ReturnType<typeof localCloudWatch>>,
  regions: Regions,
  buckets: { primary: string; standby: string },
  replicator: Replicator,
  features: FeatureTable,
): (() => void)[] => {
  // S3 publishes a rule's replication metrics in the destination bucket's Region.
  const s3 = {
    region: regions.standby,
    namespace: 'AWS/S3',
    dimensions: { SourceBucket: buckets.primary, DestinationBucket: buckets.standby, RuleId: RULE_ID },
  };
  return [
    cloudwatch.serve({ ...s3, metricName: 'ReplicationLatency' }, () => replicator.backlog()?.latencySeconds),
    cloudwatch.serve({ ...s3, metricName: 'OperationsPendingReplication' }, () => replicator.backlog()?.operations),
    cloudwatch.serve({ ...s3, metricName: 'BytesPendingReplication' }, () => replicator.backlog()?.bytes),
    // DynamoDB publishes ReplicationLatency per source and receiving Region pair, in the source's Region.
    cloudwatch.serve(
      {
        region: regions.primary,
        namespace: 'AWS/DynamoDB',
        metricName: 'ReplicationLatency',
        dimensions: { TableName: FEATURE_TABLE, ReceivingRegion: regions.standby },
      },
      () => features.replicationLatencyMs(),
    ),
  ];
};

const listKeys = async (client: ReturnType<LocalS3['client']>, bucket: string): Promise<Set<string>> => {
  const keys = new Set<string>();
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key) keys.add(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
};
