/**
 * The model-artifact check's ports for one plan: its registry query on the registry database, and HeadObject in
 * the standby region's buckets. Imported on first use, so the component function pays for the S3 client and the
 * PostgreSQL driver only in runs of plans with an `artifacts` section.
 */
import type { ArtifactPortsFor } from '#core/ports.js';

export const artifactPorts: ArtifactPortsFor = async (config, standbyRegion) => {
  const [{ PgArtifactRegistry }, { S3ArtifactStore }] = await Promise.all([import('./registry.js'), import('./s3.js')]);
  return { registry: new PgArtifactRegistry(config.registry, config.query), store: new S3ArtifactStore(standbyRegion) };
};
