import { describe, expect, it } from 'vitest';
import type { ArtifactFinding } from '#core/artifacts.js';
import type { ComponentReport } from '#core/components.js';
import type { FailoverState } from '#core/state.js';
import {
  type ArtifactTruth,
  compareArtifacts,
  componentRecoveries,
  type MlReport,
  runArtifactsOf,
} from '#lab/drill/platform.js';
import { mlMarkdown, mlSummaryLines } from '#lab/drill/platform-report.js';

const missing = (version: number): ArtifactFinding => ({
  model: 'ranker',
  version: String(version),
  location: `s3://ml-artifacts-us-east-1/ranker/${version}/MLmodel`,
  replica: `s3://ml-artifacts-eu-west-1/ranker/${version}/MLmodel`,
  verdict: 'missing',
  detail: 'does not exist',
});

/** The run state's `artifacts` after the promotion, as the run's artifact check records it. */
const afterPromotion = (problems: ArtifactFinding[], truncated = false) =>
  ({
    artifacts: { phase: 'after-promotion', checkedAt: '2026-12-07T18:00:05.000Z', checked: 30, truncated, problems },
  }) as unknown as Partial<FailoverState>;

const truth: ArtifactTruth = {
  acknowledged: 30,
  replicated: 27,
  notReplicated: ['ranker/28', 'ranker/29', 'ranker/30'],
  lostFromRegistry: [],
  unacknowledgedInRegistry: ['ranker/31'],
  expectedProblems: ['ranker/28', 'ranker/29', 'ranker/30', 'ranker/31'],
};

describe("the ML drill's artifact ground truth against the run's check", () => {
  it('agrees when the run named exactly the versions the drill found missing', () => {
    // Act
    const c = compareArtifacts(truth.expectedProblems, runArtifactsOf(afterPromotion([28, 29, 30, 31].map(missing))));

    // Assess
    expect(c).toMatchObject({ verdict: 'agree', notNamed: [], unexpected: [] });
    expect(c.named).toEqual(['ranker/28', 'ranker/29', 'ranker/30', 'ranker/31']);
    expect(c.detail).toBe(
      "the run's after-promotion check of 30 artifacts named exactly the 4 versions the drill found missing",
    );
  });

  it('disagrees, naming each difference, when the run missed a version or named one that made it', () => {
    // Act
    const c = compareArtifacts(truth.expectedProblems, runArtifactsOf(afterPromotion([28, 29, 12].map(missing))));

    // Assess
    expect(c.verdict).toBe('disagree');
    expect(c.notNamed).toEqual(['ranker/30', 'ranker/31']);
    expect(c.unexpected).toEqual(['ranker/12']);
    expect(c.detail).toBe(
      'not named by the run: ranker/30, ranker/31; named by the run, not by the ground truth: ranker/12',
    );
  });

  it('disagrees when the run checked only part of the registry, even if what it named matches', () => {
    const c = compareArtifacts(['ranker/28'], runArtifactsOf(afterPromotion([missing(28)], true)));
    expect(c.verdict).toBe('disagree');
    expect(c.detail).toBe("the run's check was truncated at 30 artifacts");
  });

  it('says not-checked, never agree, when the run state has no artifact check', () => {
    // Act
    const c = compareArtifacts(truth.expectedProblems, runArtifactsOf({ timeline: [] }));

    // Assess
    expect(c.verdict).toBe('not-checked');
    expect(c.notNamed).toEqual(truth.expectedProblems);
    expect(runArtifactsOf({ artifacts: { phase: 'gate' } } as unknown as Partial<FailoverState>)).toBeUndefined();
  });

  it('says the run stopped at its gate, not compared, when a planned run was blocked before Fence', () => {
    // Prepare: the gate's record only (the run aborted before any promotion).
    const state = {
      artifactGate: {
        phase: 'gate',
        checkedAt: '2026-12-07T18:00:01.000Z',
        checked: 29,
        truncated: false,
        problems: [missing(30)],
      },
    } as unknown as Partial<FailoverState>;

    // Act
    const c = compareArtifacts(['ranker/30'], runArtifactsOf(state), runArtifactsOf(state, 'artifactGate'));

    // Assess
    expect(c.verdict).toBe('not-checked');
    expect(c.detail).toBe(
      'the run stopped at its artifact gate before Fence (1 of 29 artifacts not known in the standby region then): it made no check after a promotion to compare',
    );
  });

  it("prints each component's RTO and RPO and names the versions that cannot be loaded", () => {
    // Prepare
    const incidentAt = Date.parse('2026-12-07T18:00:00.000Z');
    const components: Record<string, ComponentReport> = {
      'model-artifacts': { kind: 's3-replication', stage: 1, status: 'nothing-to-do', detail: 'nothing to promote' },
      'online-features': { kind: 'dynamodb-global-table', stage: 1, status: 'nothing-to-do', detail: 'x' },
      serving: {
        kind: 'capacity',
        stage: 2,
        status: 'done',
        detail: '4 ready of 4 asked',
        endedAt: '2026-12-07T18:00:02.750Z',
      },
      'warm-feature-cache': { kind: 'custom-action', stage: 2, status: 'not-started', detail: 'not started' },
    };
    const features = { written: 100, replicated: 97, standbyItems: 50 };

    // Act
    const recoveries = componentRecoveries(components, truth, features, incidentAt);
    const ml: MlReport = {
      settings: {
        replicationDelayMs: 400,
        versionIntervalMs: 40,
        featureDelayMs: 50,
        featureIntervalMs: 20,
        scaleMs: 300,
      },
      buckets: { primary: 'ml-artifacts-us-east-1', standby: 'ml-artifacts-eu-west-1' },
      truth,
      comparison: compareArtifacts(truth.expectedProblems, undefined),
      features,
      recoveries,
    };
    const summary = mlSummaryLines(ml).join('\n');

    // Assess
    expect(recoveries).toEqual([
      {
        name: 'model-artifacts',
        status: 'nothing-to-do',
        rto: 'nothing to switch: the standby copy serves reads throughout',
        rpo: "3 of 30 acknowledged model versions' artifacts not replicated",
      },
      {
        name: 'online-features',
        status: 'nothing-to-do',
        rto: 'nothing to switch: the standby copy serves reads throughout',
        rpo: '3 of 100 feature writes not replicated',
      },
      { name: 'serving', status: 'done', rto: '2750 ms (done)', rpo: 'no data (an action)' },
      { name: 'warm-feature-cache', status: 'not-started', rto: 'not-started', rpo: 'no data (an action)' },
    ]);
    expect(summary).toContain('NOT LOADABLE       3: ranker/28, ranker/29, ranker/30');
    expect(summary).toContain("artifact check     the run's artifact check: not compared:");
    expect(summary).toContain('serving            done; RTO 2750 ms (done); RPO no data (an action)');
    expect(mlMarkdown(ml).join('\n')).toContain(
      '| **not loadable** (artifact never replicated) | ranker/28, ranker/29, ranker/30 |',
    );
  });
});
