import { describe, expect, it } from 'vitest';
import {
  type ArtifactRow,
  artifactsBlock,
  checkArtifacts,
  judgeArtifact,
  parseRegistryRow,
  replicaOf,
  reportArtifacts,
  s3Location,
} from '#core/artifacts.js';
import { InvalidInputError } from '#core/errors.js';
import { artifactCheckConfig } from '#core/plan-artifacts.js';
import type { HeadAnswer } from '#core/ports.js';

const BUCKETS = { 'models-us': 'models-eu' };
const ROW: ArtifactRow = { model: 'ranker', version: '7', location: 's3://models-us/ranker/7/MLmodel' };
const REPLICA = 's3://models-eu/ranker/7/MLmodel';

describe('where an artifact is and where its replica should be', () => {
  it('splits s3://bucket/key and refuses URIs that name no S3 object', () => {
    // Act / Assess
    expect(s3Location('s3://models-us/ranker/7/MLmodel')).toEqual({ bucket: 'models-us', key: 'ranker/7/MLmodel' });
    expect(s3Location('mlflow-artifacts:/0/abc/artifacts/model')).toBeUndefined();
    expect(s3Location('runs:/abc/model')).toBeUndefined();
    expect(s3Location('s3://models-us/')).toBeUndefined();
    expect(s3Location('s3://Bad_Bucket/key')).toBeUndefined();
  });

  it('maps the primary bucket to its replica and says why a location has none', () => {
    // Act / Assess
    expect(replicaOf(ROW.location, BUCKETS)).toEqual({ bucket: 'models-eu', key: 'ranker/7/MLmodel' });
    expect(replicaOf('s3://other-bucket/x', BUCKETS)).toEqual({
      problem: "bucket other-bucket has no replica in the plan's bucket map",
    });
    expect(replicaOf('runs:/abc/model', BUCKETS)).toEqual({ problem: 'not an s3://bucket/key location' });
  });
});

describe('judgeArtifact', () => {
  const found = (extra: Partial<Extract<HeadAnswer, { kind: 'found' }>> = {}): HeadAnswer => ({
    kind: 'found',
    ...extra,
  });

  it('is ok for an object the replica bucket has, and says what is wrong otherwise', () => {
    // Prepare
    const written = new Date('2026-12-07T10:00:00Z');
    const row: ArtifactRow = { ...ROW, etag: '"abc"', size: 10, writtenAt: written };

    // Act / Assess
    expect(judgeArtifact(row, REPLICA, found({ etag: 'abc', size: 10, lastModified: written })).verdict).toBe('ok');
    expect(judgeArtifact(row, REPLICA, { kind: 'missing' })).toMatchObject({ verdict: 'missing', replica: REPLICA });
    expect(judgeArtifact(row, REPLICA, found({ etag: '"def"' })).verdict).toBe('different');
    expect(judgeArtifact(row, REPLICA, found({ size: 11 })).verdict).toBe('different');
    const earlier = new Date(written.getTime() - 60_000);
    expect(judgeArtifact(row, REPLICA, found({ lastModified: earlier }))).toMatchObject({
      verdict: 'older',
      detail: expect.stringContaining('an earlier object at that key'),
    });
    expect(judgeArtifact(row, REPLICA, { kind: 'unknown', reason: 'throttled' })).toMatchObject({
      verdict: 'unknown',
      detail: 'throttled',
    });
  });

  it('allows a few seconds between the registry clock and the bucket clock', () => {
    // Prepare
    const written = new Date('2026-12-07T10:00:00Z');

    // Act
    const finding = judgeArtifact({ ...ROW, writtenAt: written }, REPLICA, {
      kind: 'found',
      lastModified: new Date(written.getTime() - 2_000),
    });

    // Assess
    expect(finding.verdict).toBe('ok');
  });
});

describe('parseRegistryRow', () => {
  it('reads the named columns, numbers and dates as PostgreSQL returns them', () => {
    // Act
    const row = parseRegistryRow(
      { model: 'ranker', version: 7, location: ROW.location, size: '1024', written_at: 1_765_101_600_000, extra: 1 },
      0,
    );

    // Assess
    expect(row).toEqual({
      model: 'ranker',
      version: '7',
      location: ROW.location,
      size: 1024,
      writtenAt: new Date(1_765_101_600_000),
    });
  });

  it('refuses a row without the columns the check needs, naming the row and the column', () => {
    // Act
    const error = (() => {
      try {
        parseRegistryRow({ name: 'ranker', version: '7', source: ROW.location }, 2);
      } catch (e) {
        return e;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(/^artifacts\.query: row 3 is not \{model, version, location/);
    expect((error as Error).message).toMatch(/model: /);
    expect((error as Error).message).toMatch(/location: /);
  });
});

describe('reportArtifacts and artifactsBlock', () => {
  it('counts each verdict, lists the problems and names the model versions that cannot be loaded', () => {
    // Prepare
    const findings = [
      judgeArtifact(ROW, REPLICA, { kind: 'found' }),
      judgeArtifact({ ...ROW, version: '8' }, REPLICA, { kind: 'missing' }),
      judgeArtifact({ ...ROW, version: '8' }, REPLICA, { kind: 'unknown', reason: 'x' }),
    ];

    // Act
    const report = reportArtifacts(findings, false);

    // Assess
    expect(report.counts).toEqual({
      ok: 1,
      missing: 1,
      different: 0,
      older: 0,
      'in-flight': 0,
      unmapped: 0,
      unknown: 1,
    });
    expect(report.problems.map((p) => p.verdict)).toEqual(['missing', 'unknown']);
    expect(report.summary).toBe(
      '1 model version(s) not loadable in the standby region: 1 missing, 1 unknown of 3 artifacts; first: ranker v8',
    );
    expect(artifactsBlock(report, 'block')).toBe(true);
    expect(artifactsBlock(report, 'report')).toBe(false);
  });

  it('blocks on a truncated list even when every checked artifact is present: the rest is unknown', () => {
    // Act
    const report = reportArtifacts([judgeArtifact(ROW, REPLICA, { kind: 'found' })], true);

    // Assess
    expect(report.summary).toBe('1 of 1 artifacts present in the standby region (list truncated)');
    expect(artifactsBlock(report, 'block')).toBe(true);
  });
});

describe('checkArtifacts', () => {
  it('asks the replica bucket for each listed artifact, at most `concurrency` at a time, in the registry order', async () => {
    // Prepare
    const rows = Array.from({ length: 40 }, (_, i) => ({
      model: 'ranker',
      version: String(i),
      location: i === 5 ? 'runs:/abc/model' : `s3://models-us/ranker/${i}/MLmodel`,
    }));
    let inFlight = 0;
    let most = 0;
    const asked: string[] = [];
    const store = {
      head: async (bucket: string, key: string): Promise<HeadAnswer> => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        asked.push(`${bucket}/${key}`);
        await new Promise((r) => setTimeout(r, 2));
        inFlight -= 1;
        return key.includes('/13/') ? { kind: 'missing' } : { kind: 'found' };
      },
    };
    const registry = {
      list: async (limit: number) => ({ rows: rows.slice(0, limit), truncated: rows.length > limit }),
    };

    // Act
    const report = await checkArtifacts({ buckets: BUCKETS, maxArtifacts: 100 }, { registry, store }, 4);

    // Assess
    expect(most).toBe(4);
    expect(asked).toHaveLength(39);
    expect(asked.every((a) => a.startsWith('models-eu/'))).toBe(true);
    expect(report.checked).toBe(40);
    expect(report.problems.map((p) => [p.version, p.verdict])).toEqual([
      ['5', 'unmapped'],
      ['13', 'missing'],
    ]);
  });
});

describe('the plan section of the check', () => {
  const valid = {
    registry: { host: 'registry.eu.internal', database: 'mlflow', credentials: { env: 'REGISTRY' } },
    query: "SELECT name AS model, version,\n  storage_location || '/MLmodel' AS location\nFROM model_versions;",
    buckets: BUCKETS,
  };

  it('accepts a multi-line SELECT and fills the defaults', () => {
    // Act
    const config = artifactCheckConfig.parse(valid);

    // Assess
    expect(config).toMatchObject({ maxArtifacts: 1000, onMissing: 'block', buckets: BUCKETS });
  });

  it.each([
    ['a statement that is not a SELECT', { query: 'DELETE FROM model_versions' }, 'must be one SELECT'],
    ['two statements', { query: 'SELECT 1; DROP TABLE model_versions' }, 'must be one statement'],
    ['a control character', { query: 'SELECT 1\u0000' }, 'must not contain control characters'],
    ['no bucket', { buckets: {} }, 'must map at least one primary bucket'],
    ['a bad bucket name', { buckets: { Models_US: 'models-eu' } }, 'must be an S3 bucket name'],
    ['too many artifacts', { maxArtifacts: 10_001 }, '<=10000'],
  ])('refuses %s', (_, change, message) => {
    // Act
    const result = artifactCheckConfig.safeParse({ ...valid, ...change });

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join('\n')).toContain(message);
  });
});
