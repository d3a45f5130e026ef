/**
 * A model registry's workload, MLflow-shaped: each new model version uploads its artifact (`MLmodel`) to the
 * primary Region's bucket, then registers the version in the registry database, as MLflow does (artifacts are
 * logged before the version is registered). It records what it did, so a check can be compared with it.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';

/** MLflow's model_versions, the columns a registry query reads (MLflow's SqlModelVersion). */
export const MODEL_VERSIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS model_versions (
    name text NOT NULL, version int NOT NULL, creation_time bigint NOT NULL, last_updated_time bigint NOT NULL,
    current_stage text NOT NULL, source text NOT NULL, run_id text, status text NOT NULL,
    storage_location text NOT NULL, PRIMARY KEY (name, version))`;

export interface RegisteredVersion {
  model: string;
  version: number;
  /** `s3://bucket/key` of its MLmodel file. */
  location: string;
}

export interface ModelWorkload {
  /** Versions whose upload and registration were both acknowledged. */
  registered(): RegisteredVersion[];
  stop(): Promise<void>;
}

export const startModelWorkload = async (opts: {
  registry: pg.ClientConfig;
  s3: S3Client;
  bucket: string;
  model: string;
  intervalMs: number;
}): Promise<ModelWorkload> => {
  const client = new pg.Client(opts.registry);
  client.on('error', () => undefined);
  await client.connect();
  await client.query(MODEL_VERSIONS_TABLE);
  const done: RegisteredVersion[] = [];
  let stopped = false;
  const loop = (async () => {
    for (let version = 1; !stopped; version++) {
      const key = `${opts.model}/${version}/MLmodel`;
      try {
        await opts.s3.send(
          new PutObjectCommand({ Bucket: opts.bucket, Key: key, Body: `model ${opts.model} v${version}` }),
        );
        const location = `s3://${opts.bucket}/${opts.model}/${version}`;
        await client.query(
          `INSERT INTO model_versions (name, version, creation_time, last_updated_time, current_stage, source, status,
             storage_location) VALUES ($1, $2, $3, $3, 'Production', $4, 'READY', $4)`,
          [opts.model, version, Date.now(), location],
        );
        done.push({ model: opts.model, version, location: `s3://${opts.bucket}/${key}` });
      } catch {
        // The primary Region went dark mid-version: not acknowledged, not recorded.
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, opts.intervalMs));
    }
  })();
  return {
    registered: () => [...done],
    stop: async () => {
      stopped = true;
      await loop;
      await client.end().catch(() => undefined);
    },
  };
};
