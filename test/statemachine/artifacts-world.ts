/**
 * The model-artifact check's world for the executed state machine: a plan with components and an `artifacts`
 * section, a registry answering the test's rows, and the replica bucket answering HeadObject on a mocked S3 client
 * as S3 does (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html): metadata only; a key that does
 * not exist is 404 Not Found for a caller with s3:ListBucket on the bucket, 403 Forbidden without.
 */
import { HeadObjectCommand, NotFound, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3ArtifactStore } from '#adapters/artifacts/s3.js';
import type { PlanInput } from '#core/plan.js';
import type { ArtifactPortsFor } from '#core/ports.js';
import * as component from '#functions/component.js';
import type { LambdaHandler } from '#lab/state-machine.js';
import { COMPONENTS, platformWorld } from './components-world.js';
import type { Scenario } from './fault-kit.js';
import { auroraWorld, planVariant, preparing, route53World, runInput } from './support.js';

export const s3 = mockClient(S3Client);
export const REPLICA = 'ml-artifacts-eu-west-1';

/** The orders plan (UPSERT) with the platform's components and the check, the buckets taken from the components. */
export const artifactPlan = (artifacts: Partial<NonNullable<PlanInput['artifacts']>> = {}) =>
  planVariant('plans/orders.yml', (p) => ({
    ...p,
    name: 'ml-orders',
    traffic: { kind: 'upsert' },
    components: COMPONENTS,
    artifacts: {
      registry: { host: 'registry.eu-west-1.internal', database: 'mlflow', credentials: { env: 'REGISTRY' } },
      query: 'SELECT name AS model, version, location FROM model_versions',
      ...artifacts,
    },
  }));

/** Three model versions, their artifacts in the primary bucket (the registry's view). */
export const ROWS = ['1', '2', '3'].map((version) => ({
  model: 'ranker',
  version,
  location: `s3://ml-artifacts-us-east-1/ranker/${version}/MLmodel`,
}));

/** The replica bucket: which versions' keys exist in it. A missing key answers 404, as S3 does with s3:ListBucket. */
export const bucketWorld = (present: readonly string[]) => {
  const keys = new Set(present.map((v) => `ranker/${v}/MLmodel`));
  s3.reset();
  s3.on(HeadObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
    if (input.Bucket === REPLICA && keys.has(input.Key)) {
      return { ETag: '"e1"', ContentLength: 120, LastModified: new Date() };
    }
    throw new NotFound({ $metadata: { httpStatusCode: 404 }, message: 'Not Found' });
  });
};

/** The component function as deployed, with the registry answering `rows`; `asked` records the Regions asked. */
export const withRegistry = (rows: unknown[] = ROWS, asked: string[] = []) => {
  const artifacts: ArtifactPortsFor = async (_config, region) => {
    asked.push(region);
    return {
      registry: { list: async (limit) => ({ rows: rows.slice(0, limit), truncated: rows.length > limit }) },
      store: new S3ArtifactStore(region),
    };
  };
  return { component: component.createHandler({ artifacts }) };
};

/** The component function whose FindArtifacts invocation fails outright (a crash), every other step as deployed. */
export const crashingFinding = (): { component: LambdaHandler } => {
  const real = withRegistry().component;
  return {
    component: async (event, context) => {
      if ((event as { step?: string }).step === 'FindArtifacts') {
        throw new Error('Runtime exited with error: signal: killed');
      }
      return real(event, context);
    },
  };
};

const world = () => {
  platformWorld();
  auroraWorld();
  route53World({ pendingChecks: 1 });
  bucketWorld(['1', '2', '3']);
};

/** A planned run of a plan with the check, every artifact replicated: the gate passes, the finding is clean. */
export const ARTIFACTS_PLANNED: Scenario = {
  name: 'orders with components and artifacts, planned',
  input: runInput({ plan: 'ml-orders', mode: 'planned' }),
  handlers: { ...preparing(artifactPlan()), ...withRegistry() },
  world,
  ends: { status: 'SUCCEEDED' },
};

/** As above, unplanned, the finding's own invocation crashing: recorded, and the run still succeeds. */
export const ARTIFACT_FINDING_CRASHES: Scenario = {
  name: 'orders with components and artifacts, unplanned, the finding crashes',
  input: runInput({ plan: 'ml-orders' }),
  handlers: { ...preparing(artifactPlan()), ...crashingFinding() },
  world,
  ends: { status: 'SUCCEEDED' },
};
