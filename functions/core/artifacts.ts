/**
 * The model-artifact consistency check: a registry database says which model versions must be loadable and where
 * their artifacts are; the standby region's buckets say whether those artifacts made it there. A failover that
 * promotes the registry but not the artifacts its rows point to leaves a platform that serves models it cannot
 * load, and this check names them.
 *
 * Pure: the registry rows and the buckets' answers come through ports (core/ports.ts).
 */
import * as z from 'zod';
import { InvalidInputError } from './errors.js';
import type { ArtifactRegistry, ArtifactStore, HeadAnswer } from './ports.js';
import { BUCKET } from './s3-names.js';

/** One artifact a model version needs, as the plan's registry query returns it. */
export interface ArtifactRow {
  model: string;
  version: string;
  /** `s3://bucket/key` of one object that must exist (for MLflow: the model directory's `MLmodel` file). */
  location: string;
  /** Optional: what the registry knows of the object, compared with the replica's. */
  etag?: string;
  size?: number;
  /** When the artifact was written: a replica last modified before this holds an earlier object at that key. */
  writtenAt?: Date;
}

/**
 * `in-flight`: missing or older in the replica, but written so recently that healthy replication may not have copied
 * it yet (within its bucket's replication latency limit; only at the gate, never after promotion).
 */
export type ArtifactVerdict = 'ok' | 'missing' | 'different' | 'older' | 'in-flight' | 'unmapped' | 'unknown';

export interface ArtifactFinding {
  model: string;
  version: string;
  location: string;
  /** Where the standby region's copy should be; absent when the location maps to no replica bucket. */
  replica?: string;
  verdict: ArtifactVerdict;
  detail: string;
}

/** The registry's timestamps and the bucket's Last-Modified come from different clocks: allow this much skew. */
export const CLOCK_SKEW_MS = 5_000;

/** Splits `s3://bucket/key`; undefined for anything else (an `mlflow-artifacts:` or `runs:/` URI is not a place). */
export const s3Location = (uri: string): { bucket: string; key: string } | undefined => {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri.trim());
  if (!match) return undefined;
  const [, bucket, key] = match as unknown as [string, string, string];
  return BUCKET.test(bucket) ? { bucket, key } : undefined;
};

/** Where the standby region's copy of `location` is, by the plan's primary → replica bucket map. */
export const replicaOf = (
  location: string,
  buckets: Readonly<Record<string, string>>,
): { bucket: string; key: string } | { problem: string } => {
  const where = s3Location(location);
  if (!where) return { problem: `not an s3://bucket/key location` };
  const replica = buckets[where.bucket];
  if (replica === undefined) return { problem: `bucket ${where.bucket} has no replica in the plan's bucket map` };
  return { bucket: replica, key: where.key };
};

const sameEtag = (a: string, b: string) => a.replaceAll('"', '') === b.replaceAll('"', '');

/** The verdict on one artifact from the replica bucket's answer. */
export const judgeArtifact = (row: ArtifactRow, replica: string, answer: HeadAnswer): ArtifactFinding => {
  const base = { model: row.model, version: row.version, location: row.location, replica };
  if (answer.kind === 'missing') return { ...base, verdict: 'missing', detail: `${replica} does not exist` };
  if (answer.kind === 'unknown') return { ...base, verdict: 'unknown', detail: answer.reason };
  if (row.etag !== undefined && answer.etag !== undefined && !sameEtag(row.etag, answer.etag)) {
    return { ...base, verdict: 'different', detail: `ETag ${answer.etag}, the registry says ${row.etag}` };
  }
  if (row.size !== undefined && answer.size !== undefined && row.size !== answer.size) {
    return { ...base, verdict: 'different', detail: `${answer.size} bytes, the registry says ${row.size}` };
  }
  if (row.writtenAt && answer.lastModified && answer.lastModified.getTime() < row.writtenAt.getTime() - CLOCK_SKEW_MS) {
    const detail =
      `last modified ${answer.lastModified.toISOString()}, before the artifact was written ` +
      `(${row.writtenAt.toISOString()}): an earlier object at that key`;
    return { ...base, verdict: 'older', detail };
  }
  return { ...base, verdict: 'ok', detail: 'present' };
};

/** A row the registry query returned, checked before it is trusted: named columns, the types they must have. */
const registryRow = z
  .object({
    model: z.union([z.string(), z.number()]).transform(String),
    version: z.union([z.string(), z.number()]).transform(String),
    location: z.string().min(1).max(2048),
    etag: z.string().max(256).nullish(),
    size: z.union([z.number(), z.string().regex(/^\d+$/)]).nullish(),
    written_at: z.union([z.date(), z.number(), z.string()]).nullish(),
  })
  .loose();

const asDate = (value: Date | number | string): Date | undefined => {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
};

/**
 * Reads one row of the plan's registry query: `model`, `version`, `location` (required), `etag`, `size`,
 * `written_at` (optional). A query that returns something else is the plan's mistake: InvalidInputError names it.
 */
export const parseRegistryRow = (row: unknown, index: number): ArtifactRow => {
  const parsed = registryRow.safeParse(row);
  if (!parsed.success) {
    const what = parsed.error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${i.message}`).join('; ');
    throw new InvalidInputError(
      'artifacts.query',
      `row ${index + 1} is not {model, version, location[, etag, size, written_at]}: ${what}`,
    );
  }
  const { model, version, location, etag, size, written_at } = parsed.data;
  const writtenAt = written_at === null || written_at === undefined ? undefined : asDate(written_at);
  return {
    model,
    version,
    location,
    ...(etag ? { etag } : {}),
    ...(size !== null && size !== undefined ? { size: Number(size) } : {}),
    ...(writtenAt ? { writtenAt } : {}),
  };
};

export interface ArtifactReport {
  checked: number;
  counts: Record<ArtifactVerdict, number>;
  /** Every finding that is not `ok`, in the registry's order. */
  problems: ArtifactFinding[];
  /** The registry listed more artifacts than the plan's bound: the ones past it were not checked. */
  truncated: boolean;
  /** One line for people. */
  summary: string;
}

const VERDICTS: readonly ArtifactVerdict[] = [
  'ok',
  'missing',
  'different',
  'older',
  'in-flight',
  'unmapped',
  'unknown',
];

export const reportArtifacts = (findings: readonly ArtifactFinding[], truncated: boolean): ArtifactReport => {
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<ArtifactVerdict, number>;
  for (const f of findings) counts[f.verdict] += 1;
  const problems = findings.filter((f) => f.verdict !== 'ok');
  const versions = new Set(problems.map((p) => `${p.model} v${p.version}`));
  const parts = VERDICTS.filter((v) => v !== 'ok' && counts[v] > 0).map((v) => `${counts[v]} ${v}`);
  const summary =
    problems.length === 0
      ? `${counts.ok} of ${findings.length} artifacts present in the standby region${truncated ? ' (list truncated)' : ''}`
      : `${versions.size} model version(s) not loadable in the standby region: ${parts.join(', ')} ` +
        `of ${findings.length} artifacts${truncated ? ' (list truncated)' : ''}; ` +
        `first: ${[...versions].slice(0, 5).join(', ')}`;
  return { checked: findings.length, counts, problems, truncated, summary };
};

/**
 * Whether a report stops a planned run: anything not known to be present does, unless the plan only reports, or it
 * is still in flight (replication is within its limits, the gates said so, and the artifact is younger than them).
 */
export const artifactsBlock = (
  report: Pick<ArtifactReport, 'problems' | 'truncated'> & { problemsOmitted?: number | undefined },
  onMissing: 'block' | 'report',
): boolean => onMissing === 'block' && (!onlyInFlight(report) || report.truncated);

/** Every problem a report keeps is in flight and none was left out of it (one left out is not known to be). */
export const onlyInFlight = (report: Pick<ArtifactReport, 'problems'> & { problemsOmitted?: number | undefined }) =>
  report.problems.every((p) => p.verdict === 'in-flight') && !report.problemsOmitted;

/**
 * When replication may still be copying artifacts (the gate, before anything changes): each primary bucket's
 * replication latency limit, in seconds, and the time of the check.
 */
export interface InFlightWindow {
  now: Date;
  seconds: Readonly<Record<string, number>>;
}

/**
 * A missing or older artifact written within its bucket's replication latency limit (plus the clocks' skew) is in
 * flight: healthy replication has not had the time it is allowed. Anything else keeps its verdict.
 */
const inFlight = (row: ArtifactRow, finding: ArtifactFinding, window: InFlightWindow | undefined) => {
  if (!window || !row.writtenAt || (finding.verdict !== 'missing' && finding.verdict !== 'older')) return finding;
  const bucket = s3Location(row.location)?.bucket ?? '';
  const limit = window.seconds[bucket];
  const ageMs = window.now.getTime() - row.writtenAt.getTime();
  if (limit === undefined || ageMs > limit * 1000 + CLOCK_SKEW_MS) return finding;
  const age = Math.max(0, Math.round(ageMs / 100) / 10);
  const detail = `${finding.detail}; written ${age} s ago, within ${bucket}'s ${limit} s replication limit: still replicating`;
  return { ...finding, verdict: 'in-flight' as const, detail };
};

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of `items` in the result. */
const mapBounded = async <T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> => {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
};

/**
 * Lists the artifacts the registry says must be loadable (at most `maxArtifacts`), asks the replica bucket of each
 * whether it has it (`concurrency` at a time), and reports every one that is not known to be there (with
 * `inFlight`, the ones young enough to be still replicating as such).
 */
export const checkArtifacts = async (
  config: { buckets: Readonly<Record<string, string>>; maxArtifacts: number; inFlight?: InFlightWindow | undefined },
  ports: { registry: ArtifactRegistry; store: ArtifactStore },
  concurrency = 16,
): Promise<ArtifactReport> => {
  const { rows, truncated } = await ports.registry.list(config.maxArtifacts);
  const artifacts = rows.map(parseRegistryRow);
  const findings = await mapBounded(artifacts, concurrency, async (row): Promise<ArtifactFinding> => {
    const replica = replicaOf(row.location, config.buckets);
    if ('problem' in replica) {
      return {
        model: row.model,
        version: row.version,
        location: row.location,
        verdict: 'unmapped',
        detail: replica.problem,
      };
    }
    const answer = await ports.store.head(replica.bucket, replica.key);
    return inFlight(row, judgeArtifact(row, `s3://${replica.bucket}/${replica.key}`, answer), config.inFlight);
  });
  return reportArtifacts(findings, truncated);
};
