/**
 * The port of the model-artifact check as a run step uses it: the plan's registry and the standby region's buckets,
 * made for one plan's `artifacts` section. Re-exported from ports.ts.
 */
import type { ArtifactCheckConfig } from './plan-artifacts.js';

/** What a bucket answers for one key (HeadObject). */
export type HeadAnswer =
  | { kind: 'found'; etag?: string; size?: number; lastModified?: Date }
  | { kind: 'missing' }
  | { kind: 'unknown'; reason: string };

/** The model registry's list of artifacts that must be loadable: the plan's query, read-only, bounded. */
export interface ArtifactRegistry {
  /** At most `limit` rows; `truncated` when the query had more. */
  list(limit: number): Promise<{ rows: unknown[]; truncated: boolean }>;
}

/** The standby region's buckets, asked one key at a time. Never throws for one key: `unknown` says why. */
export interface ArtifactStore {
  head(bucket: string, key: string): Promise<HeadAnswer>;
}

interface ArtifactCheckPorts {
  registry: ArtifactRegistry;
  store: ArtifactStore;
}

/** Makes the check's ports for one plan's section; the buckets are asked in `standbyRegion`. */
export type ArtifactPortsFor = (config: ArtifactCheckConfig, standbyRegion: string) => Promise<ArtifactCheckPorts>;
