/**
 * The model-artifact consistency check's section of a plan (`artifacts`): the registry database to ask, the query
 * that lists the artifacts that must be loadable, and where each primary bucket's replica is in the standby region.
 * Without `buckets`, the map is the plan's s3-replication components' (source → destination); a map given beside
 * them must agree with them. The registry's credentials are a secret reference, checked as the databases' are.
 */
import * as z from 'zod';
import type { ComponentConfig } from './plan-components.js';
import { pgEndpoint } from './plan-database.js';
import { bucketName } from './s3-names.js';

/** Rows checked at most per run: HeadObject is one request per artifact, made 16 at a time. */
export const MAX_ARTIFACTS_LIMIT = 10_000;

export const artifactCheckConfig = z
  .object({
    /** The registry database as the standby region reads it (a replica serves the read before promotion). */
    registry: pgEndpoint,
    /**
     * One SELECT returning `model`, `version`, `location` (`s3://bucket/key` of an object that must exist) and
     * optionally `etag`, `size`, `written_at`; run read-only, wrapped as a subquery with the plan's row bound.
     */
    query: z
      .string()
      .max(8192, 'must be at most 8192 characters')
      // Lines and tabs are how SQL is written; any other control character is not.
      .refine((q) => !/[^\P{Cc}\t\n\r]/u.test(q), 'must not contain control characters')
      .refine((q) => /^\s*(select|with)\b/i.test(q), 'must be one SELECT (or WITH … SELECT)')
      .refine((q) => !/;\s*\S/.test(q.replace(/;\s*$/, '')), 'must be one statement'),
    /** Primary bucket → its replica in the standby region; default: the plan's s3-replication components. */
    buckets: z
      .record(z.string(), bucketName)
      .refine((m) => Object.keys(m).length > 0, 'must map at least one primary bucket to its replica')
      .superRefine((m, ctx) => {
        for (const key of Object.keys(m).filter((k) => !bucketName.safeParse(k).success)) {
          ctx.addIssue({ code: 'custom', path: [key], message: `${key}: must be an S3 bucket name` });
        }
      })
      .optional(),
    maxArtifacts: z.number().int().min(1).max(MAX_ARTIFACTS_LIMIT).default(1000),
    /** `block`: a planned run does not promote while an artifact is not known to be in the standby region. */
    onMissing: z.enum(['block', 'report']).default('block'),
  })
  .strict();
export type ArtifactCheckConfig = z.infer<typeof artifactCheckConfig>;

interface PlanScope {
  components?: ComponentConfig[] | undefined;
  artifacts?: ArtifactCheckConfig | undefined;
}
type Issue = { path: (string | number)[]; message: string };

const replicatedBuckets = (plan: Pick<PlanScope, 'components'>) =>
  (plan.components ?? []).flatMap((c) => (c.kind === 's3-replication' ? [c] : []));

/** The primary → replica bucket map the check uses: the plan's own, else its s3-replication components'. */
export const artifactBuckets = (plan: Pick<PlanScope, 'components' | 'artifacts'>): Record<string, string> =>
  plan.artifacts?.buckets ??
  Object.fromEntries(replicatedBuckets(plan).map((c) => [c.sourceBucket, c.destinationBucket]));

/**
 * Each replicated primary bucket's replication latency limit (its s3-replication component's `maxLatencySeconds`):
 * how long an artifact may take to reach the replica while the gates say replication is within its limits. A bucket
 * only in the plan's own map has no limit, and nothing in it is ever in flight.
 */
export const replicationLimits = (plan: Pick<PlanScope, 'components'>): Record<string, number> =>
  Object.fromEntries(replicatedBuckets(plan).map((c) => [c.sourceBucket, c.maxLatencySeconds]));

/**
 * What the artifacts section contradicts in the plan: a bucket map that sends a replicated bucket somewhere other
 * than its replication's destination, or no map at all without replicated buckets to take it from.
 */
export const artifactIssues = (plan: PlanScope): Issue[] => {
  const config = plan.artifacts;
  if (!config) return [];
  const issues: Issue[] = [];
  const replicated = replicatedBuckets(plan);
  if (!config.buckets && replicated.length === 0) {
    issues.push({
      path: ['artifacts', 'buckets'],
      message: 'is required when no component is of kind s3-replication: map each primary bucket to its replica',
    });
  }
  for (const [source, replica] of Object.entries(config.buckets ?? {})) {
    const c = replicated.find((r) => r.sourceBucket === source);
    if (c && c.destinationBucket !== replica) {
      issues.push({
        path: ['artifacts', 'buckets', source],
        message:
          `must be ${c.destinationBucket}, where component ${c.name} (s3-replication) replicates ${source}, ` +
          `not ${replica}`,
      });
    }
  }
  return issues;
};
