/**
 * The model-artifact consistency check's section of a plan: the registry database to ask, the query that lists
 * the artifacts that must be loadable, and where each primary bucket's replica is in the standby region.
 */
import * as z from 'zod';
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
    /** Primary bucket → its replica in the standby region. */
    buckets: z
      .record(z.string(), bucketName)
      .refine((m) => Object.keys(m).length > 0, 'must map at least one primary bucket to its replica')
      .superRefine((m, ctx) => {
        for (const key of Object.keys(m).filter((k) => !bucketName.safeParse(k).success)) {
          ctx.addIssue({ code: 'custom', path: [key], message: `${key}: must be an S3 bucket name` });
        }
      }),
    maxArtifacts: z.number().int().min(1).max(MAX_ARTIFACTS_LIMIT).default(1000),
    /** `block`: a planned run does not promote while an artifact is not known to be in the standby region. */
    onMissing: z.enum(['block', 'report']).default('block'),
  })
  .strict();
