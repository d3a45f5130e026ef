/**
 * The model-artifact consistency check on a real registry (an MLflow-shaped model_versions table on the primary,
 * read from its streaming standby) and real buckets (an S3-compatible server, through the real S3 client).
 */
import { CopyObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgArtifactRegistry } from '#adapters/artifacts/registry.js';
import { S3ArtifactStore } from '#adapters/artifacts/s3.js';
import type { PlanWithArtifacts } from '#core/artifact-run.js';
import { checkArtifacts } from '#core/artifacts.js';
import { InvalidInputError } from '#core/errors.js';
import { type PgEndpoint, type PlanInput, parsePlan } from '#core/plan.js';
import type { FailoverState } from '#core/state.js';
import { checkArtifactGate } from '#core/steps/artifact-steps.js';
import { type LocalRegions, startLocalRegions } from '#lab/regions.js';
import { type LocalS3, startLocalS3 } from '#lab/s3-server.js';
import { MINIMAL_PLAN } from '../fixtures/bad-input.js';
import { query, waitFor } from './support.js';

let regions: LocalRegions;
let buckets: LocalS3;
let us: S3Client;
let eu: S3Client;
let registry: PgEndpoint;

/** The registry's query as a plan would write it for MLflow: the MLmodel file of each version in a live stage. */
const MLFLOW_QUERY = `
  SELECT name AS model, version, storage_location || '/MLmodel' AS location,
         to_timestamp(creation_time / 1000.0) AS written_at
  FROM model_versions
  WHERE current_stage IN ('Production', 'Staging')
  ORDER BY name, version;`;

const BUCKET_MAP = { 'models-us': 'models-eu' };

/** The model versions the "workload" registered, and what it did with their artifacts. */
const VERSIONS = [
  { version: 1, stage: 'Production', artifact: 'replicated' },
  { version: 2, stage: 'Production', artifact: 'not replicated' },
  { version: 3, stage: 'Staging', artifact: 'replica is an earlier object' },
  { version: 4, stage: 'Archived', artifact: 'not replicated' },
  { version: 5, stage: 'Production', artifact: 'in a bucket without a replica' },
] as const;

beforeAll(async () => {
  [regions, buckets] = await Promise.all([
    startLocalRegions(),
    startLocalS3({ buckets: ['models-us', 'models-eu', 'scratch-us'] }),
  ]);
  us = buckets.client('us-east-1');
  eu = buckets.client('eu-west-1');
  const primary = regions.primary.connectionConfig();
  await query(
    primary,
    `CREATE TABLE model_versions (name text, version int, creation_time bigint, storage_location text,
       current_stage text, PRIMARY KEY (name, version))`,
  );
  await query(primary, 'CREATE SEQUENCE registry_probe');
  const now = Date.now();
  for (const v of VERSIONS) {
    const bucket = v.artifact === 'in a bucket without a replica' ? 'scratch-us' : 'models-us';
    const location = `s3://${bucket}/ranker/${v.version}`;
    if (v.artifact === 'replica is an earlier object') {
      // An older upload at the same key reached the replica; the version registered an hour later did not.
      await eu.send(new PutObjectCommand({ Bucket: 'models-eu', Key: `ranker/${v.version}/MLmodel`, Body: 'old' }));
    }
    await us.send(new PutObjectCommand({ Bucket: bucket, Key: `ranker/${v.version}/MLmodel`, Body: `v${v.version}` }));
    if (v.artifact === 'replicated') {
      await eu.send(
        new CopyObjectCommand({
          Bucket: 'models-eu',
          Key: `ranker/${v.version}/MLmodel`,
          CopySource: `models-us/ranker/${v.version}/MLmodel`,
        }),
      );
    }
    const created = v.artifact === 'replica is an earlier object' ? now + 3_600_000 : now;
    await query(primary, 'INSERT INTO model_versions VALUES ($1, $2, $3, $4, $5)', [
      'ranker',
      v.version,
      created,
      location,
      v.stage,
    ]);
  }
  await regions.waitForStreaming();
  await waitFor(
    'the registry rows on the standby',
    async () =>
      Number(
        (await query<{ n: string }>(regions.standby.connectionConfig(), 'SELECT count(*) AS n FROM model_versions'))[0]
          ?.n,
      ) === VERSIONS.length,
    30_000,
  );
  registry = regions.databaseConfig({ file: regions.credentialsFile }).standby;
}, 180_000);

afterAll(async () => {
  await Promise.all([regions?.cleanup(), buckets?.close()]);
});

describe('the model-artifact consistency check on a real registry and real buckets', () => {
  it('names exactly the live model versions whose artifacts the standby region cannot load', async () => {
    // Prepare
    const ports = {
      registry: new PgArtifactRegistry(registry, MLFLOW_QUERY),
      store: new S3ArtifactStore('eu-west-1', { client: eu }),
    };

    // Act
    const report = await checkArtifacts({ buckets: BUCKET_MAP, maxArtifacts: 100 }, ports);

    // Assess: v4 is archived (not listed); v1 is there; v2, v3 and v5 are not loadable, each for its own reason.
    expect(report.checked).toBe(4);
    expect(report.counts).toMatchObject({ ok: 1, missing: 1, older: 1, unmapped: 1 });
    expect(report.problems.map((p) => [p.version, p.verdict])).toEqual([
      ['2', 'missing'],
      ['3', 'older'],
      ['5', 'unmapped'],
    ]);
    expect(report.problems[0]?.replica).toBe('s3://models-eu/ranker/2/MLmodel');
    expect(report.summary).toMatch(/^3 model version\(s\) not loadable in the standby region/);
  });

  it("blocks a planned run's gate through the wired step, naming the versions, as the state machine runs it", async () => {
    // Prepare: the plan section as a plan file states it, the registry read through its credentials file.
    const plan = parsePlan(
      {
        ...structuredClone(MINIMAL_PLAN),
        artifacts: { registry, query: MLFLOW_QUERY, buckets: BUCKET_MAP },
      } as PlanInput,
      'test',
    ) as PlanWithArtifacts;
    const state = { input: { mode: 'planned', dryRun: false }, plan, timeline: [] } as unknown as FailoverState;

    // Act
    const out = await checkArtifactGate(
      { step: 'CheckArtifacts', executionId: 'local', state },
      {
        now: () => new Date(),
        artifacts: async (config) => ({
          registry: new PgArtifactRegistry(config.registry, config.query),
          store: new S3ArtifactStore('eu-west-1', { client: eu }),
        }),
      },
    );

    // Assess
    expect(out.artifactGate).toMatchObject({ phase: 'gate', checked: 4, truncated: false });
    expect(out.artifactGate?.problems.map((p) => `${p.version} ${p.verdict}`)).toEqual([
      '2 missing',
      '3 older',
      '5 unmapped',
    ]);
    expect(out.artifactGateDecision).toEqual({
      decision: 'block',
      reason:
        '3 of 4 artifact(s) not known to be in the standby region (1 missing, 1 older, 1 unmapped): ' +
        'ranker v2, ranker v3, ranker v5; the plan blocks (onMissing: block)',
    });
  });

  it('checks at most maxArtifacts and says the list was cut', async () => {
    // Prepare
    const ports = {
      registry: new PgArtifactRegistry(registry, MLFLOW_QUERY),
      store: new S3ArtifactStore('eu-west-1', { client: eu }),
    };

    // Act
    const report = await checkArtifacts({ buckets: BUCKET_MAP, maxArtifacts: 2 }, ports);

    // Assess
    expect(report.checked).toBe(2);
    expect(report.truncated).toBe(true);
  });

  it('runs the query read-only: a query that would write is refused as the plan’s mistake and changes nothing', async () => {
    // Prepare: run against the primary, where a write would otherwise succeed.
    const primary = regions.databaseConfig({ file: regions.credentialsFile }).primary;
    const writing = new PgArtifactRegistry(
      primary,
      `SELECT name AS model, version, storage_location AS location FROM model_versions, nextval('registry_probe')`,
    );
    const deleting = new PgArtifactRegistry(
      primary,
      'WITH gone AS (DELETE FROM model_versions RETURNING *) SELECT name AS model, version, storage_location AS location FROM gone',
    );

    // Act
    const errors = [await writing.list(10).catch((e: unknown) => e), await deleting.list(10).catch((e: unknown) => e)];

    // Assess
    expect(errors[0]).toBeInstanceOf(InvalidInputError);
    expect((errors[0] as Error).message).toMatch(/^artifacts\.query: the registry refused the query: 25006/);
    expect(errors[1]).toBeInstanceOf(InvalidInputError);
    const config = regions.primary.connectionConfig();
    const left = await query<{ n: string }>(config, 'SELECT count(*) AS n FROM model_versions');
    expect(Number(left[0]?.n)).toBe(VERSIONS.length);
    const probe = await query<{ called: boolean }>(config, 'SELECT is_called AS called FROM registry_probe');
    expect(probe[0]?.called).toBe(false);
  });
});
