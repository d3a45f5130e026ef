/**
 * A plan's components on mocked AWS, for the executed state machine: replication metrics, a Multi-Region Access
 * Point's routes, a SageMaker endpoint's capacity and a custom action's Lambda function. Every call is logged in
 * order across clients, with the component it belongs to, so tests can check stages and parallelism.
 * - S3 Replication metrics are published per rule in the destination's Region; no datapoint is no reading
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/repl-metrics.html).
 * - DynamoDB global tables publish ReplicationLatency in milliseconds per receiving Region
 *   (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html).
 * - SubmitMultiRegionAccessPointRoutes sets the dials given; GetMultiRegionAccessPointRoutes reads them
 *   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_SubmitMultiRegionAccessPointRoutes.html).
 * - UpdateEndpointWeightsAndCapacities puts the endpoint in `Updating` until the new instances serve, then
 *   `InService` (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpointWeightsAndCapacities.html,
 *   https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html).
 * - Invoke `RequestResponse` returns the function's answer as Payload; `FunctionError` when it threw
 *   (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
 */
import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetMultiRegionAccessPointRoutesCommand,
  S3ControlClient,
  SubmitMultiRegionAccessPointRoutesCommand,
} from '@aws-sdk/client-s3-control';
import {
  DescribeEndpointCommand,
  SageMakerClient,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import type { PlanInput } from '#core/plan.js';
import { cloudwatch, upsertVariant } from './support.js';

export const s3control = mockClient(S3ControlClient);
export const sagemaker = mockClient(SageMakerClient);
export const lambda = mockClient(LambdaClient);
export const COMPONENT_MOCKS = [s3control, sagemaker, lambda];

export const MRAP = 'arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap';
export const CACHE_FUNCTION = 'arn:aws:lambda:eu-west-1:111122223333:function:warm-feature-cache';

/** The orders plan (UPSERT) with a platform's components: artifacts and features in stage 1, serving and a cache in 2. */
export const COMPONENTS: NonNullable<PlanInput['components']> = [
  {
    name: 'model-artifacts',
    kind: 's3-replication',
    stage: 1,
    sourceBucket: 'ml-artifacts-us-east-1',
    destinationBucket: 'ml-artifacts-eu-west-1',
    ruleId: 'artifacts',
    maxLatencySeconds: 900,
    accessPoint: {
      mrapArn: MRAP,
      primary: { bucket: 'ml-artifacts-us-east-1', region: 'us-east-1' },
      standby: { bucket: 'ml-artifacts-eu-west-1', region: 'eu-west-1' },
    },
  },
  {
    name: 'online-features',
    kind: 'dynamodb-global-table',
    stage: 1,
    tableName: 'online-features',
    maxLatencySeconds: 5,
  },
  {
    name: 'serving',
    kind: 'capacity',
    stage: 2,
    target: { kind: 'sagemaker-endpoint', endpointName: 'ranking', variantName: 'primary', count: 4 },
    maxChecks: 5,
    checkIntervalSeconds: 15,
  },
  {
    name: 'warm-cache',
    kind: 'custom-action',
    stage: 2,
    functionArn: CACHE_FUNCTION,
    input: { table: 'online-features' },
  },
];
export const platformPlan = (components = COMPONENTS) =>
  upsertVariant('plans/orders.yml', (p) => ({ ...p, name: 'ml-orders', components }));

// Every fake answers a promise, as the SDK's send does: the adapters chain `.catch` on it.
/** A logged call: which client command, for which component, in the order they reached AWS. */
export interface Call {
  command: string;
  component: string;
}

export interface PlatformOptions {
  /** The database's lag (AuroraGlobalDBRPOLag, ms). */
  dbLagMs?: number;
  /** S3 ReplicationLatency (s); undefined: no datapoint. */
  s3LatencySeconds?: number | undefined;
  /** OperationsPendingReplication at each reading. */
  s3PendingOperations?: () => number;
  /** DynamoDB ReplicationLatency (ms). */
  dynamoLatencyMs?: number;
  /** DescribeEndpoint calls after the update before the endpoint is InService at the new count. */
  updatingChecks?: number;
  /** The custom action's answer; a function error when it throws. */
  customAction?: (request: Record<string, unknown>) => Promise<unknown>;
  /** Called as the endpoint is first described (to hold it until another component's call arrives). */
  onFirstDescribe?: () => Promise<void>;
}

const has = (o: PlatformOptions, k: keyof PlatformOptions) => Object.hasOwn(o, k);

export const platformWorld = (opts: PlatformOptions = {}) => {
  const calls: Call[] = [];
  const metric = (q: MetricDataQuery): number | undefined => {
    const m = q.MetricStat?.Metric;
    if (m?.Namespace === 'AWS/S3') {
      if (m.MetricName === 'ReplicationLatency') return has(opts, 's3LatencySeconds') ? opts.s3LatencySeconds : 30;
      return m.MetricName === 'OperationsPendingReplication' ? (opts.s3PendingOperations?.() ?? 0) : 0;
    }
    if (m?.Namespace === 'AWS/DynamoDB') return opts.dynamoLatencyMs ?? 800;
    return opts.dbLagMs ?? 2_000;
  };
  cloudwatch.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: MetricDataQuery[] }) => ({
    MetricDataResults: input.MetricDataQueries.map((q) => {
      const value = metric(q);
      const at = new Date();
      return value === undefined
        ? { Id: q.Id, Timestamps: [], Values: [], StatusCode: 'Complete' }
        : { Id: q.Id, Timestamps: [at], Values: [value], StatusCode: 'Complete' };
    }),
  }));
  const dials = new Map([
    ['ml-artifacts-us-east-1', 100],
    ['ml-artifacts-eu-west-1', 0],
  ]);
  const routes = () => ({
    Routes: [
      {
        Bucket: 'ml-artifacts-us-east-1',
        Region: 'us-east-1',
        TrafficDialPercentage: dials.get('ml-artifacts-us-east-1'),
      },
      {
        Bucket: 'ml-artifacts-eu-west-1',
        Region: 'eu-west-1',
        TrafficDialPercentage: dials.get('ml-artifacts-eu-west-1'),
      },
    ],
  });
  s3control.on(GetMultiRegionAccessPointRoutesCommand).callsFake(async () => {
    calls.push({ command: 'GetMultiRegionAccessPointRoutes', component: 'model-artifacts' });
    return routes();
  });
  s3control.on(SubmitMultiRegionAccessPointRoutesCommand).callsFake(async (input) => {
    calls.push({ command: 'SubmitMultiRegionAccessPointRoutes', component: 'model-artifacts' });
    for (const r of input.RouteUpdates ?? []) dials.set(r.Bucket ?? '', r.TrafficDialPercentage ?? -1);
    return {};
  });
  const endpoint = { desired: 1, current: 1, updating: -1 };
  let described = 0;
  sagemaker.on(DescribeEndpointCommand).callsFake(async () => {
    described += 1;
    if (described === 1) await opts.onFirstDescribe?.();
    calls.push({ command: 'DescribeEndpoint', component: 'serving' });
    if (endpoint.updating >= 0) {
      endpoint.updating -= 1;
      if (endpoint.updating < 0) endpoint.current = endpoint.desired;
    }
    const status = endpoint.updating >= 0 ? 'Updating' : 'InService';
    return {
      EndpointName: 'ranking',
      EndpointStatus: status,
      ProductionVariants: [
        { VariantName: 'primary', CurrentInstanceCount: endpoint.current, DesiredInstanceCount: endpoint.desired },
      ],
    };
  });
  sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).callsFake(async (input) => {
    calls.push({ command: 'UpdateEndpointWeightsAndCapacities', component: 'serving' });
    endpoint.desired = input.DesiredWeightsAndCapacities?.[0]?.DesiredInstanceCount ?? endpoint.desired;
    endpoint.updating = opts.updatingChecks ?? 1;
    return { EndpointArn: 'arn:aws:sagemaker:eu-west-1:111122223333:endpoint/ranking' };
  });
  const requests: Record<string, unknown>[] = [];
  lambda.on(InvokeCommand).callsFake(async (input) => {
    // The warm-up of the run's functions is an asynchronous invoke: queued, nothing to answer.
    if (input.InvocationType === 'Event') return { StatusCode: 202 };
    calls.push({ command: 'Invoke', component: 'warm-cache' });
    const request = JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array)) as Record<string, unknown>;
    requests.push(request);
    const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    try {
      const answer = await (opts.customAction ?? (async () => ({ ok: true, detail: 'cache warmed' })))(request);
      return { StatusCode: 200, Payload: encode(answer) };
    } catch (error) {
      return {
        StatusCode: 200,
        FunctionError: 'Unhandled',
        Payload: encode({ errorMessage: (error as Error).message }),
      };
    }
  });
  return { calls, dials, endpoint, requests };
};
