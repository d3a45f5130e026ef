/**
 * The model-artifact check wired into runs: the plan's `artifacts` section against its components, the record a
 * run keeps (bounded), the gate's decision, and the steps with the registry and buckets given by the test.
 */
import { describe, expect, it } from 'vitest';
import {
  type ArtifactCheckRecord,
  artifactDetail,
  artifactLines,
  gateDecision,
  MAX_PROBLEM_LINES,
  MAX_RECORDED_PROBLEM_BYTES,
  type PlanWithArtifacts,
  runArtifactCheck,
} from '#core/artifact-run.js';
import type { ArtifactFinding } from '#core/artifacts.js';
import type { PlanValidationError } from '#core/errors.js';
import { type PlanInput, parsePlan } from '#core/plan.js';
import { artifactBuckets } from '#core/plan-artifacts.js';
import type { ArtifactPortsFor, HeadAnswer, ReadinessProbes } from '#core/ports.js';
import { runReadinessChecks } from '#core/readiness/runner.js';
import type { FailoverState } from '#core/state.js';
import { checkArtifactGate, findArtifacts, recordFindingFailure } from '#core/steps/artifact-steps.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { MINIMAL_PLAN } from '../fixtures/bad-input.js';

const REPLICATED = {
  name: 'model-artifacts',
  kind: 's3-replication',
  sourceBucket: 'models-us',
  destinationBucket: 'models-eu',
  ruleId: 'models',
  maxLatencySeconds: 900,
};
const ARTIFACTS = {
  registry: { host: 'registry.eu-west-1.internal', database: 'mlflow', credentials: { env: 'REGISTRY' } },
  query: 'SELECT name AS model, version, location FROM model_versions',
};
const planWith = (artifacts: Record<string, unknown>, components: unknown[] | null = [REPLICATED]) =>
  ({
    ...structuredClone(MINIMAL_PLAN),
    ...(components ? { components } : {}),
    artifacts: { ...ARTIFACTS, ...artifacts },
  }) as PlanInput;

const refusal = (doc: PlanInput): string[] => {
  try {
    parsePlan(doc, 'test');
  } catch (error) {
    return (error as PlanValidationError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
};

describe('the plan section artifacts', () => {
  it('takes the bucket map from the s3-replication components when the plan gives none', () => {
    const plan = parsePlan(planWith({}), 'test');
    expect(artifactBuckets(plan)).toEqual({ 'models-us': 'models-eu' });
    expect(plan.artifacts).toMatchObject({ onMissing: 'block', maxArtifacts: 1000 });
  });

  it('keeps a map that agrees with the components, and buckets they do not replicate', () => {
    const plan = parsePlan(planWith({ buckets: { 'models-us': 'models-eu', 'other-us': 'other-eu' } }), 'test');
    expect(artifactBuckets(plan)).toEqual({ 'models-us': 'models-eu', 'other-us': 'other-eu' });
  });

  it('refuses a map that sends a replicated bucket elsewhere than its replication, naming the component', () => {
    expect(refusal(planWith({ buckets: { 'models-us': 'models-ap' } }))).toEqual([
      'artifacts.buckets.models-us: must be models-eu, where component model-artifacts (s3-replication) replicates models-us, not models-ap',
    ]);
  });

  it('refuses no map at all when no component replicates a bucket', () => {
    expect(refusal(planWith({}, null))).toEqual([
      'artifacts.buckets: is required when no component is of kind s3-replication: map each primary bucket to its replica',
    ]);
  });

  it('refuses credentials given inline, and a secret outside the standby region or account', () => {
    const inline = planWith({ registry: { ...ARTIFACTS.registry, credentials: { username: 'u', password: 'p' } } });
    expect(refusal(inline)[0]).toMatch(/^artifacts\.registry\.credentials: must be a secret reference/);
    const arn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:registry';
    const elsewhere = planWith({ registry: { ...ARTIFACTS.registry, credentials: { secretsManager: arn } } });
    expect(refusal(elsewhere)).toEqual([
      'artifacts.registry.credentials.secretsManager: must be in region eu-west-1, not us-east-1',
    ]);
  });

  it('ships plans/ml-platform.yml with the MLflow query and the map of its model-artifacts component', () => {
    const plan = parsePlan(loadPlanFile('plans/ml-platform.yml'), 'plans/ml-platform.yml');
    expect(plan.artifacts?.query).toMatch(/storage_location \|\| '\/MLmodel' AS location/);
    expect(plan.artifacts?.query).toMatch(/current_stage IN \('Production', 'Staging'\)/);
    expect(artifactBuckets(plan)).toEqual({ 'ml-artifacts-us-west-2': 'ml-artifacts-us-east-2' });
    expect(plan.artifacts?.registry.credentials).toEqual({ secretsManager: 'ml-registry/artifact-check' });
  });
});

const PLAN = parsePlan(planWith({}), 'test') as PlanWithArtifacts;
const NOW = () => new Date('2026-12-07T18:00:00.000Z');
const rows = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ model: 'ranker', version: i + 1, location: `s3://models-us/r/${i + 1}` }));

/** A registry of `listed` rows, and a replica bucket answering `answer` for each key (and recording it). */
const ports =
  (listed: unknown[], answer: (key: string) => HeadAnswer, asked: string[] = []): ArtifactPortsFor =>
  async () => ({
    registry: { list: async (limit) => ({ rows: listed.slice(0, limit), truncated: listed.length > limit }) },
    store: {
      head: async (bucket, key) => {
        asked.push(`${bucket}/${key}`);
        return answer(key);
      },
    },
  });

describe('the record a run keeps', () => {
  it('keeps every problem, in the registry order, and when the registry was read', async () => {
    // Prepare
    const asked: string[] = [];

    // Act
    const record = await runArtifactCheck(
      PLAN,
      'gate',
      ports(rows(3), (k) => (k === 'r/2' ? { kind: 'missing' } : { kind: 'found' }), asked),
      NOW,
    );

    // Assess
    expect(asked).toEqual(['models-eu/r/1', 'models-eu/r/2', 'models-eu/r/3']);
    expect(record).toEqual({
      phase: 'gate',
      checkedAt: '2026-12-07T18:00:00.000Z',
      checked: 3,
      truncated: false,
      problems: [expect.objectContaining({ version: '2', verdict: 'missing', replica: 's3://models-eu/r/2' })],
    });
  });

  it('bounds the problems it keeps by their size and counts the ones it left out', async () => {
    // Act: 2,000 missing artifacts would not fit in Step Functions' state.
    const plan = { ...PLAN, artifacts: { ...PLAN.artifacts, maxArtifacts: 5000 } };
    const record = await runArtifactCheck(
      plan,
      'after-promotion',
      ports(rows(2000), () => ({ kind: 'missing' })),
      NOW,
    );

    // Assess
    expect(record.checked).toBe(2000);
    expect(JSON.stringify(record.problems).length).toBeLessThanOrEqual(MAX_RECORDED_PROBLEM_BYTES);
    expect(record.problems.length + (record.problemsOmitted ?? 0)).toBe(2000);
    expect(record.problemsOmitted).toBeGreaterThan(0);
    expect(artifactLines(record)).toHaveLength(1 + MAX_PROBLEM_LINES + 1);
    expect(artifactLines(record).at(-1)).toBe(`… and ${2000 - MAX_PROBLEM_LINES} more`);
  });

  it('records a check that cannot complete as one unknown problem instead of throwing', async () => {
    // Prepare
    const broken: ArtifactPortsFor = async () => {
      throw Object.assign(new Error('password authentication failed'), { name: 'ConfigurationError' });
    };

    // Act
    const record = await runArtifactCheck(PLAN, 'gate', broken, NOW);

    // Assess
    expect(record).toMatchObject({ checked: 0, truncated: false });
    expect(record.problems).toEqual([
      expect.objectContaining({
        verdict: 'unknown',
        detail: 'the check did not complete: ConfigurationError: password authentication failed',
      }),
    ]);
    expect(gateDecision(record, 'block').decision).toBe('block');
  });
});

describe('artifacts still replicating (written within their bucket replication limit, 900 s here)', () => {
  const minutesAgo = (m: number) => new Date(NOW().getTime() - m * 60_000).toISOString();
  /** v1 written 20 minutes ago, v2 30 seconds ago: neither in the replica; v3 there. */
  const registry = (versions = [1, 2, 3]) =>
    ports(
      versions.map((v) => ({
        model: 'ranker',
        version: v,
        location: `s3://models-us/r/${v}`,
        written_at: v === 1 ? minutesAgo(20) : minutesAgo(0.5),
      })),
      (k) => (k === 'r/3' ? { kind: 'found' } : { kind: 'missing' }),
    );

  it('at the gate: in flight when younger than the limit, missing when older; only the missing block', async () => {
    // Act
    const both = await runArtifactCheck(PLAN, 'gate', registry(), NOW);
    const young = await runArtifactCheck(PLAN, 'gate', registry([2, 3]), NOW);

    // Assess
    expect(both.problems.map((p) => `v${p.version} ${p.verdict}`)).toEqual(['v1 missing', 'v2 in-flight']);
    expect(both.problems[1]?.detail).toBe(
      "s3://models-eu/r/2 does not exist; written 30 s ago, within models-us's 900 s replication limit: still replicating",
    );
    expect(gateDecision(both, 'block').decision).toBe('block');
    expect(gateDecision(young, 'block')).toEqual({
      decision: 'proceed',
      reason:
        '1 of 2 artifact(s) not known to be in the standby region (1 in-flight): ranker v2; still replicating within ' +
        'its limits, checked again after Verify',
    });
  });

  it('after the promotion: missing, however young (the primary region may be gone)', async () => {
    // Act
    const record = await runArtifactCheck(PLAN, 'after-promotion', registry([2, 3]), NOW);

    // Assess
    expect(record.problems.map((p) => p.verdict)).toEqual(['missing']);
  });

  it('a record that left problems out blocks although every problem it kept is in flight', async () => {
    // Prepare
    const record = await runArtifactCheck(PLAN, 'gate', registry([2, 3]), NOW);

    // Act
    const decision = gateDecision({ ...record, problemsOmitted: 1 }, 'block');

    // Assess
    expect(decision.decision).toBe('block');
  });

  it('in readiness: OK, saying they are still replicating', async () => {
    // Act
    const report = await runReadinessChecks(
      PLAN,
      { probes: {} as ReadinessProbes, now: NOW, artifacts: registry([2, 3]) },
      { only: ['artifacts'] },
    );

    // Assess
    expect(report.checks[0]).toMatchObject({
      status: 'OK',
      summary: expect.stringMatching(/ranker v2: still replicating within its limits$/),
    });
  });
});

describe("the gate's decision", () => {
  const record = (problems: ArtifactFinding[], truncated = false): ArtifactCheckRecord => ({
    phase: 'gate',
    checkedAt: NOW().toISOString(),
    checked: 5,
    truncated,
    problems,
  });
  const older: ArtifactFinding = {
    model: 'ranker',
    version: '7',
    location: 's3://models-us/r/7',
    verdict: 'older',
    detail: 'last modified before the artifact was written',
  };

  it('blocks on any problem or a truncated list with onMissing block, and only reports with report', () => {
    expect(gateDecision(record([older]), 'block')).toEqual({
      decision: 'block',
      reason:
        '1 of 5 artifact(s) not known to be in the standby region (1 older): ranker v7; the plan blocks (onMissing: block)',
    });
    expect(gateDecision(record([], true), 'block').decision).toBe('block');
    expect(gateDecision(record([older]), 'report')).toMatchObject({
      decision: 'proceed',
      reason: expect.stringMatching(/; reported \(onMissing: report\)$/),
    });
    expect(gateDecision(record([]), 'block')).toEqual({
      decision: 'proceed',
      reason: '5 artifact(s) present in the standby region',
    });
  });

  it('gives notifications the lines of what the run recorded, and nothing when it recorded nothing', () => {
    expect(artifactDetail({})).toEqual({});
    expect(artifactDetail({ artifacts: record([older]) })).toEqual({
      artifacts: [expect.stringMatching(/^1 of 5/), 'ranker v7: older - last modified before the artifact was written'],
    });
  });
});

describe('the steps', () => {
  const state = (plan = PLAN as FailoverState['plan']) =>
    ({
      input: { mode: 'planned', dryRun: false },
      plan,
      run: { executionId: 'x', startedAt: NOW().toISOString(), approvalRequired: false },
      timeline: [],
    }) as unknown as FailoverState;

  it('CheckArtifacts records the gate, its decision, and a timeline entry', async () => {
    // Act
    const out = await checkArtifactGate(
      { step: 'CheckArtifacts', executionId: 'x', state: state() },
      { now: NOW, artifacts: ports(rows(2), () => ({ kind: 'missing' })) },
    );

    // Assess
    expect(out.artifactGate?.problems).toHaveLength(2);
    expect(out.artifactGateDecision?.decision).toBe('block');
    expect(out.timeline.at(-1)).toMatchObject({
      step: 'CheckArtifacts',
      outcome: expect.stringMatching(/^block: 2 of 2/),
    });
  });

  it('FindArtifacts records the finding, and a failure recorded after it stands as the finding', async () => {
    // Act
    const found = await findArtifacts(
      { step: 'FindArtifacts', executionId: 'x', state: state() },
      { now: NOW, artifacts: ports(rows(1), () => ({ kind: 'found' })) },
    );
    const failed = await recordFindingFailure(
      {
        step: 'ArtifactFindingFailed',
        executionId: 'x',
        state: { ...state(), artifactsFailed: { Error: 'States.Timeout', Cause: 'Task timed out' } },
      },
      { now: NOW },
    );

    // Assess
    expect(found.artifacts).toEqual({
      phase: 'after-promotion',
      checkedAt: NOW().toISOString(),
      checked: 1,
      truncated: false,
      problems: [],
    });
    expect(failed.artifacts?.problems[0]?.detail).toBe('the check did not complete: States.Timeout: Task timed out');
  });

  it('refuses a state whose plan has no artifacts section', async () => {
    const { artifacts: _, ...plain } = PLAN;
    await expect(
      findArtifacts(
        { step: 'FindArtifacts', executionId: 'x', state: state(plain as FailoverState['plan']) },
        { now: NOW, artifacts: ports([], () => ({ kind: 'found' })) },
      ),
    ).rejects.toMatchObject({ name: 'InvalidInputError' });
  });
});

describe('readiness of the check', () => {
  const readiness = (artifacts: ArtifactPortsFor | undefined, plan = PLAN) =>
    runReadinessChecks(plan, { probes: {} as ReadinessProbes, now: NOW, artifacts }, { only: ['artifacts'] });

  it('is OK when the query returns rows and every artifact is in its replica bucket', async () => {
    const report = await readiness(ports(rows(2), () => ({ kind: 'found' })));
    expect(report.checks).toEqual([
      expect.objectContaining({
        check: 'artifacts',
        scope: 'standby',
        status: 'OK',
        summary: '2 artifact(s) present in the standby region',
      }),
    ]);
  });

  it('is CRITICAL when a planned run would be blocked, WARN when the plan only reports', async () => {
    const missing = ports(rows(2), (k) => (k === 'r/2' ? { kind: 'missing' } : { kind: 'found' }));
    const blocked = await readiness(missing);
    expect(blocked.checks[0]).toMatchObject({
      status: 'CRITICAL',
      summary: expect.stringMatching(/ranker v2: a planned run would be blocked now$/),
    });
    const reporting = { ...PLAN, artifacts: { ...PLAN.artifacts, onMissing: 'report' as const } };
    expect((await readiness(missing, reporting)).checks[0]?.status).toBe('WARN');
  });

  it('is CRITICAL when a listed bucket has no replica, and when the query does not run; WARN when it lists nothing', async () => {
    const elsewhere = [{ model: 'ranker', version: 1, location: 's3://scratch-us/r/1' }];
    expect((await readiness(ports(elsewhere, () => ({ kind: 'found' })))).checks[0]).toMatchObject({
      status: 'CRITICAL',
      summary: "bucket scratch-us has no replica in the plan's bucket map",
    });
    const broken: ArtifactPortsFor = async () => {
      throw Object.assign(new Error('relation "model_versions" does not exist'), { name: 'InvalidInputError' });
    };
    expect((await readiness(broken)).checks[0]).toMatchObject({
      status: 'CRITICAL',
      summary: expect.stringMatching(/^the registry query did not run: .*model_versions/),
    });
    expect((await readiness(ports([], () => ({ kind: 'found' })))).checks[0]?.status).toBe('WARN');
  });

  it('is not run for a plan without the section, nor without ports to make it', async () => {
    const { artifacts: _, ...plain } = PLAN;
    expect(
      (
        await readiness(
          ports(rows(1), () => ({ kind: 'found' })),
          plain as PlanWithArtifacts,
        )
      ).checks,
    ).toEqual([]);
    expect((await readiness(undefined)).checks).toEqual([]);
  });
});
