/**
 * The primary Region goes dark while a model registry keeps registering versions and S3 Replication is behind:
 * the consistency check, reading the standby's registry and bucket, names exactly the versions whose artifacts
 * never made it, checked against the workload's own record and the replicator's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgArtifactRegistry } from '#adapters/artifacts/registry.js';
import { S3ArtifactStore } from '#adapters/artifacts/s3.js';
import { checkArtifacts } from '#core/artifacts.js';
import { startModelWorkload } from '#lab/ml/model-workload.js';
import { startReplicator } from '#lab/ml/replicator.js';
import { type LocalRegions, startLocalRegions } from '#lab/regions.js';
import { type LocalS3, startLocalS3 } from '#lab/s3-server.js';
import { query, waitFor } from './support.js';

let regions: LocalRegions;
let buckets: LocalS3;

beforeAll(async () => {
  [regions, buckets] = await Promise.all([startLocalRegions(), startLocalS3({ buckets: ['models-us', 'models-eu'] })]);
  await regions.waitForStreaming();
}, 180_000);

afterAll(async () => {
  await Promise.all([regions?.cleanup(), buckets?.close()]);
});

const MLFLOW_QUERY = `SELECT name AS model, version, storage_location || '/MLmodel' AS location
  FROM model_versions WHERE current_stage = 'Production'`;

describe('the artifact check after the primary Region goes dark mid-replication', () => {
  it('names exactly the registered versions whose artifacts were not replicated', async () => {
    // Prepare: versions every 30 ms; replication copies each artifact 400 ms after it appears.
    const us = buckets.client('us-east-1');
    const eu = buckets.client('eu-west-1');
    const replicator = startReplicator({ client: us, from: 'models-us', to: 'models-eu', delayMs: 400 });
    const workload = await startModelWorkload({
      registry: regions.primary.connectionConfig(),
      s3: us,
      bucket: 'models-us',
      model: 'ranker',
      intervalMs: 30,
    });
    await waitFor('some versions replicated', async () => replicator.copied().length >= 5, 30_000);

    // Act: the Region goes dark (replication stops, then the writers), then the standby's registry is checked.
    // Replication stops first and the writers register two more versions: the second of them was uploaded after
    // replication had stopped, so a version is missing by construction, not because the writers stopped within
    // 400 ms of their last upload (on a loaded machine they may not).
    await replicator.stop();
    const atStop = workload.registered().length;
    await waitFor('two versions registered after replication stopped', async () => {
      return workload.registered().length >= atStop + 2;
    });
    await workload.stop();
    const registered = workload.registered();
    await waitFor(
      'the standby registry caught up with every acknowledged version',
      async () =>
        Number(
          (
            await query<{ n: string }>(regions.standby.connectionConfig(), 'SELECT count(*) AS n FROM model_versions')
          )[0]?.n,
        ) === registered.length,
      30_000,
    );
    const report = await checkArtifacts(
      { buckets: { 'models-us': 'models-eu' }, maxArtifacts: 10_000 },
      {
        registry: new PgArtifactRegistry(
          regions.databaseConfig({ file: regions.credentialsFile }).standby,
          MLFLOW_QUERY,
        ),
        store: new S3ArtifactStore('eu-west-1', { client: eu }),
      },
    );

    // Assess
    const copied = new Set(replicator.copied());
    const expectedMissing = registered
      .filter((v) => !copied.has(`ranker/${v.version}/MLmodel`))
      .map((v) => String(v.version))
      .sort();
    expect(expectedMissing.length).toBeGreaterThan(0);
    expect(report.checked).toBe(registered.length);
    expect(report.problems.every((p) => p.verdict === 'missing')).toBe(true);
    expect(report.problems.map((p) => p.version).sort()).toEqual(expectedMissing);
    expect(report.counts.ok).toBe(registered.length - expectedMissing.length);
  }, 120_000);
});
