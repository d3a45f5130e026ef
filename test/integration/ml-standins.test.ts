/**
 * The ML platform drill's AWS stand-ins, called by the real adapters through real SDK clients pointed at them: the
 * S3 Replication gate reads the replicator's real backlog from the CloudWatch stand-in and finds it unknown once the
 * source Region is dark; the DynamoDB gate reads the feature table's ReplicationLatency in the source Region and
 * finds it unknown when that Region's endpoint does not answer; serving capacity is raised on the SageMaker
 * stand-in and settles; the custom action is invoked on the Lambda stand-in.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SageMakerEndpointCapacity } from '#adapters/capacity/sagemaker.js';
import { invokeCustomAction } from '#adapters/custom-action/index.js';
import { readDynamoDbReplication, readS3Replication } from '#adapters/replication/index.js';
import { adjustCapacity } from '#core/capacity.js';
import { localCloudWatch } from '#lab/cloudwatch-standin.js';
import { localLambda } from '#lab/lambda-standin.js';
import { startFeatureTable } from '#lab/ml/feature-table.js';
import { ML_MODEL } from '#lab/ml/platform.js';
import { startReplicator } from '#lab/ml/replicator.js';
import { type LocalS3, startLocalS3 } from '#lab/s3-server.js';
import { localSageMaker } from '#lab/sagemaker-standin.js';
import { waitFor } from './support.js';

const REGIONS = { primary: 'us-east-1', standby: 'eu-west-1' };
const KEYS = { accessKeyId: 'LABSTANDIN', secretAccessKey: 'lab-stand-in-not-a-secret' };
let s3: LocalS3;

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: ['ml-artifacts-us-east-1', 'ml-artifacts-eu-west-1'] });
}, 60_000);
afterAll(async () => {
  await s3?.close();
});

const clientsOf = async <C>(Client: new (config: object) => C, url: string) => ({
  [REGIONS.primary]: new Client({ region: REGIONS.primary, endpoint: url, credentials: KEYS, maxAttempts: 1 }),
  [REGIONS.standby]: new Client({ region: REGIONS.standby, endpoint: url, credentials: KEYS, maxAttempts: 1 }),
});

describe("the ML drill's stand-ins through the real adapters", () => {
  it("serves S3 Replication's metrics from the replicator's backlog in the destination Region, unknown once the source is dark", async () => {
    // Prepare: artifacts replicated 300 ms after upload, and not before the backlog has been read (held: how long
    // the uploads and the read take on a loaded machine must not decide what the read sees); the rule's metrics
    // served where S3 publishes them.
    const cloudwatch = await localCloudWatch();
    const clients = await clientsOf(CloudWatchClient, cloudwatch.url);
    const source = s3.client(REGIONS.primary);
    let release: () => void = () => undefined;
    const replicator = startReplicator({
      client: source,
      from: 'ml-artifacts-us-east-1',
      to: 'ml-artifacts-eu-west-1',
      delayMs: 300,
      hold: new Promise<void>((resolve) => {
        release = resolve;
      }),
    });
    const dims = { SourceBucket: 'ml-artifacts-us-east-1', DestinationBucket: 'ml-artifacts-eu-west-1', RuleId: 'r1' };
    const metric = { region: REGIONS.standby, namespace: 'AWS/S3', dimensions: dims };
    const stops = [
      cloudwatch.serve({ ...metric, metricName: 'ReplicationLatency' }, () => replicator.backlog()?.latencySeconds),
      cloudwatch.serve(
        { ...metric, metricName: 'OperationsPendingReplication' },
        () => replicator.backlog()?.operations,
      ),
      cloudwatch.serve({ ...metric, metricName: 'BytesPendingReplication' }, () => replicator.backlog()?.bytes),
    ];
    const gate = {
      kind: 's3-replication' as const,
      sourceBucket: 'ml-artifacts-us-east-1',
      destinationBucket: 'ml-artifacts-eu-west-1',
      ruleId: 'r1',
      maxLatencySeconds: 60,
      maxPendingOperations: 0,
      maxPendingBytes: 0,
    };
    const read = () => readS3Replication(gate, REGIONS, { cloudwatch: (r) => clients[r] as CloudWatchClient });
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');

    // Act: an empty backlog, then three uploads not yet copied, then the source Region dark.
    const idle = await read();
    for (const v of [1, 2, 3]) {
      await source.send(
        new PutObjectCommand({ Bucket: 'ml-artifacts-us-east-1', Key: `${ML_MODEL}/${v}/MLmodel`, Body: 'abcd' }),
      );
    }
    await waitFor('the replicator saw the uploads', async () => (replicator.backlog()?.operations ?? 0) === 3, 5_000);
    const behind = await read();
    release();
    await waitFor('the copies made', async () => replicator.copied().length === 3, 5_000);
    const caughtUp = await read();
    await replicator.stop();
    const dark = await read();
    for (const stop of stops) stop();

    // Assess
    expect(idle).toMatchObject({ status: 'known', within: true });
    expect(behind).toMatchObject({ status: 'known', within: false });
    expect(behind.reason).toMatch(/OperationsPendingReplication 3 > 0 operations/);
    // The sizes the replicator listed (S3's listing may catch an object before its size is final: never above 12).
    const bytes = Number(/BytesPendingReplication (\d+) > 0 bytes/.exec(behind.reason)?.[1]);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(12);
    expect(caughtUp).toMatchObject({ status: 'known', within: true });
    expect(dark).toEqual({
      status: 'unknown',
      within: false,
      reason:
        'replication unknown: ReplicationLatency absent, OperationsPendingReplication absent, BytesPendingReplication absent',
    });
  }, 30_000);

  it("serves the feature table's ReplicationLatency in the source Region only, unknown when that Region is dark", async () => {
    // Prepare
    const cloudwatch = await localCloudWatch();
    const clients = await clientsOf(CloudWatchClient, cloudwatch.url);
    const features = startFeatureTable({ delayMs: 30, writeIntervalMs: 10 });
    const stop = cloudwatch.serve(
      {
        region: REGIONS.primary,
        namespace: 'AWS/DynamoDB',
        metricName: 'ReplicationLatency',
        dimensions: { TableName: 'online-features', ReceivingRegion: REGIONS.standby },
      },
      () => features.replicationLatencyMs(),
    );
    const gate = { kind: 'dynamodb-global-table' as const, tableName: 'online-features', maxLatencySeconds: 5 };
    const read = (metricsRegion?: string) =>
      readDynamoDbReplication({ ...gate, ...(metricsRegion ? { metricsRegion } : {}) }, REGIONS, {
        cloudwatch: (r) => clients[r] as CloudWatchClient,
      });
    await waitFor('an item replicated', async () => features.counts().replicated > 0, 5_000);

    // Act
    const fromSource = await read();
    const fromStandby = await read(REGIONS.standby);
    const restore = cloudwatch.darken(REGIONS.primary);
    const sourceDark = await read();
    restore();
    features.stop();
    stop();

    // Assess
    expect(fromSource).toMatchObject({ status: 'known', within: true });
    // At least the table's 30 ms delay (more on a loaded machine), in seconds.
    const seconds = Number(/^replication within limits: ReplicationLatency ([\d.]+) s$/.exec(fromSource.reason)?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(0.03);
    expect(fromStandby.reason).toBe('replication unknown: ReplicationLatency absent');
    expect(sourceDark).toMatchObject({ status: 'unknown', within: false });
    expect(sourceDark.reason).toMatch(/^replication unknown: CloudWatch in us-east-1 did not answer/);
  }, 30_000);

  it('raises serving capacity on the SageMaker stand-in: Updating, then InService at the count', async () => {
    // Prepare: the update settles 200 ms after it is accepted, and not before the test has read it Updating twice
    // (held: a loaded machine may take longer than 200 ms between the two reads).
    const sagemaker = await localSageMaker();
    let settle: () => void = () => undefined;
    const hold = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const remove = sagemaker.endpoint({ name: 'ranking-serving', variant: 'primary', count: 1, scaleMs: 200, hold });
    const client = (await clientsOf(SageMakerClient, sagemaker.url))[REGIONS.standby] as SageMakerClient;
    const control = new SageMakerEndpointCapacity(
      { endpointName: 'ranking-serving', variantName: 'primary' },
      REGIONS.standby,
      client,
    );
    const target = {
      kind: 'sagemaker-endpoint' as const,
      endpointName: 'ranking-serving',
      variantName: 'primary',
      count: 4,
    };

    // Act
    const first = await adjustCapacity(target, control);
    const again = await adjustCapacity(target, control);
    settle();
    await waitFor('InService at 4', async () => sagemaker.describe('ranking-serving')?.status === 'InService', 5_000);
    const settled = await adjustCapacity(target, control);
    const endpoint = { ...sagemaker.describe('ranking-serving') };
    remove();

    // Assess
    expect(first.state).not.toBe('ready');
    expect(again.state).not.toBe('ready');
    expect(settled).toMatchObject({ state: 'ready' });
    expect(endpoint).toMatchObject({ current: 4, desired: 4, updates: 1 });
    expect(sagemaker.describe('ranking-serving')).toBeUndefined();
  }, 30_000);

  it('invokes the custom action on the Lambda stand-in: its answer, a function error, an unknown function', async () => {
    // Prepare
    const lambda = await localLambda();
    const client = (await clientsOf(LambdaClient, lambda.url))[REGIONS.standby] as LambdaClient;
    const arn = 'arn:aws:lambda:eu-west-1:000000000000:function:warm-feature-cache';
    const failing = 'arn:aws:lambda:eu-west-1:000000000000:function:broken';
    const seen: unknown[] = [];
    const stops = [
      lambda.register(arn, async (event) => {
        seen.push(event);
        return { ok: true, detail: 'warmed 50 feature items' };
      }),
      lambda.register(failing, async () => {
        throw new Error('cache cluster unreachable');
      }),
    ];
    const request = {
      plan: 'ml-platform',
      component: 'warm-feature-cache',
      mode: 'unplanned' as const,
      dryRun: false,
      idempotencyKey: 'run-1:warm-feature-cache',
      input: { table: 'online-features' },
    };

    // Act
    const ok = await invokeCustomAction(arn, request, { lambda: client });
    const broken = await invokeCustomAction(failing, request, { lambda: client });
    const unknown = await invokeCustomAction(`${arn}-nope`, request, { lambda: client }).catch((e: Error) => e);
    for (const stop of stops) stop();

    // Assess
    expect(ok).toEqual({ ok: true, detail: 'warmed 50 feature items' });
    expect(seen).toEqual([request]);
    expect(broken).toEqual({ ok: false, detail: 'the function failed (Unhandled): cache cluster unreachable' });
    expect(unknown).toBeInstanceOf(Error);
    expect((unknown as Error).message).toMatch(/ResourceNotFoundException/);
  }, 30_000);
});
