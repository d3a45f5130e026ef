import { describe, expect, it } from 'vitest';
import type { ComponentReport } from '#core/components.js';
import type { FailoverState } from '#core/state.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { artifactChecksOf, componentLanes, type RunModel } from '#report/model.js';
import { runMarkdown } from '#report/render.js';
import { timelineSvg } from '#report/timeline.js';

const plan = loadPlanFile('plans/ml-platform.yml');
const ZERO = Date.parse('2026-12-07T18:00:00.000Z');
const at = (ms: number) => new Date(ZERO + ms).toISOString();

/**
 * A planned run of plans/ml-platform.yml that failed in stage 2: the feature metadata database was switched over,
 * serving timed out, the cache never started.
 */
const failedInStage2 = (): Partial<FailoverState> => {
  const components: Record<string, ComponentReport> = {
    'model-artifacts': {
      kind: 's3-replication',
      stage: 1,
      status: 'done',
      detail: 'routes: ml-artifacts-us-east-2 100, ml-artifacts-us-west-2 0',
      gate: { status: 'known', within: true, reason: 'replication within limits: ReplicationLatency 12 s' },
      checks: 1,
      startedAt: at(3000),
      endedAt: at(3400),
    },
    'online-features': {
      kind: 'dynamodb-global-table',
      stage: 1,
      status: 'nothing-to-do',
      detail: 'nothing to promote',
      gate: { status: 'unknown', within: false, reason: 'replication unknown: ReplicationLatency absent' },
    },
    'feature-metadata': {
      kind: 'database',
      stage: 2,
      status: 'done',
      detail: 'promoted ml-features-replica; record features-db.ml.example.internal INSYNC',
      gate: { status: 'known', within: true, reason: 'lag 2 s within RPO 60 s' },
      checks: 5,
      startedAt: at(3500),
      endedAt: at(8000),
    },
    serving: {
      kind: 'capacity',
      stage: 2,
      status: 'failed',
      detail: 'ComponentTimedOutError: not ready after 20 checks: Updating, 2 instance(s) in primary',
      error: { Error: 'ComponentTimedOutError', Cause: 'not ready after 20 checks' },
      checks: 20,
      startedAt: at(3500),
      endedAt: at(9500),
    },
    'warm-feature-cache': {
      kind: 'custom-action',
      stage: 2,
      status: 'failed',
      detail: 'ThrottledError: rate exceeded',
      error: { Error: 'ThrottledError' },
    },
  };
  return {
    plan,
    lag: { decision: 'within-rpo' } as FailoverState['lag'],
    componentGates: { checks: 2, decision: 'within-rpo', reason: 'every component gate within' },
    timeline: [
      { step: 'CheckLag', startedAt: at(100), endedAt: at(200), outcome: 'within' },
      { step: 'CheckComponentGates', startedAt: at(300), endedAt: at(1500), outcome: 'within', attempts: 2 },
    ],
    components,
  };
};

const modelWith = (components: RunModel['components']): RunModel => ({
  source: 'aws',
  execution: { name: 'ml-platform-manual-20261207T1800Z', status: 'FAILED' },
  outcome: 'failed',
  zeroAt: new Date(ZERO).toISOString(),
  zeroLabel: 'incident',
  steps: [{ name: 'Prepare', kind: 'task', startMs: 0, endMs: 100, attempts: 1, failures: [] }],
  visited: ['Prepare'],
  warnings: [],
  ...(components ? { components } : {}),
});

describe('components as lanes in the run report', () => {
  it('makes one lane per component of the plan: its gate reading and when, its action, its result', () => {
    // Act
    const lanes = componentLanes(failedInStage2(), ZERO);

    // Assess
    expect(lanes?.map((l) => [l.name, l.stage, l.status])).toEqual([
      ['model-artifacts', 1, 'done'],
      ['online-features', 1, 'nothing-to-do'],
      ['feature-metadata', 2, 'done'],
      ['serving', 2, 'failed'],
      ['warm-feature-cache', 2, 'failed'],
    ]);
    const [artifacts, features, metadata, serving, cache] = lanes ?? [];
    expect(artifacts).toMatchObject({
      gate: { read: true, within: true, status: 'known', atMs: 1500, checks: 2 },
      startMs: 3000,
      endMs: 3400,
      checks: 1,
    });
    expect(features?.gate).toMatchObject({ read: true, within: false, status: 'unknown' });
    expect(metadata).toMatchObject({ startMs: 3500, endMs: 8000, checks: 5, gate: { read: true, within: true } });
    expect(serving).toMatchObject({ startMs: 3500, endMs: 9500, checks: 20, error: 'ComponentTimedOutError' });
    expect(serving?.gate).toBeUndefined();
    expect(cache).toMatchObject({ status: 'failed', error: 'ThrottledError' });
    expect(cache?.startMs).toBeUndefined();
  });

  it('says why a gate was not read when the run went on past the database RPO, and leaves the unstarted truthful', () => {
    // Prepare: an unplanned run whose lag was unknown; the plan proceeded; it failed before the stages.
    const state: Partial<FailoverState> = {
      plan: { ...plan, rpo: { ...plan.rpo, onExceeded: 'proceed' } },
      lag: { decision: 'exceeded' } as FailoverState['lag'],
      fence: { fenced: false } as FailoverState['fence'],
      timeline: [],
    };

    // Act
    const lanes = componentLanes(state, ZERO) ?? [];

    // Assess
    expect(lanes.map((l) => l.status)).toEqual(plan.components?.map(() => 'not-started'));
    expect(lanes).toHaveLength(5);
    expect(lanes[0]?.gate).toEqual({
      read: false,
      why: expect.stringMatching(
        /^not read: the database's lag was not within the RPO and the run went on \(rpo\.onExceeded proceed\)/,
      ),
    });
    // The feature metadata database has a gate (its lag), not read either; serving (capacity) has none.
    expect(lanes[2]?.gate).toMatchObject({ read: false });
    expect(lanes[3]?.gate).toBeUndefined();
  });

  it('has no lanes for a plan without components', () => {
    expect(componentLanes({ plan: { ...plan, components: undefined }, timeline: [] }, ZERO)).toBeUndefined();
  });

  it('writes a Components table in the Markdown: gate, action times, result', () => {
    // Act
    const md = runMarkdown(modelWith(componentLanes(failedInStage2(), ZERO)));

    // Assess
    expect(md).toContain('## Components');
    expect(md).toContain(
      '| model-artifacts | s3-replication, stage 1 | within (2 reading(s), last at +1.5 s): replication within limits: ReplicationLatency 12 s | +3.0 s → +3.4 s (1 call(s)) | **done**: routes: ml-artifacts-us-east-2 100, ml-artifacts-us-west-2 0 |',
    );
    expect(md).toMatch(
      /\| online-features \| .* \| NOT within \(2 reading\(s\), last at \+1\.5 s\): replication unknown/,
    );
    expect(md).toMatch(
      /\| serving \| capacity, stage 2 \| no gate \| \+3\.5 s → \+9\.5 s \(20 call\(s\)\) \| \*\*failed\*\*: ComponentTimedOutError/,
    );
    expect(md).toMatch(
      /\| warm-feature-cache \| custom-action, stage 2 \| no gate \| — \| \*\*failed\*\*: ThrottledError/,
    );
    expect(runMarkdown(modelWith(undefined))).not.toContain('Components');
  });

  it("names the model versions the run's artifact checks found missing, gate and finding, in the Markdown", () => {
    // Prepare
    const finding = {
      phase: 'after-promotion' as const,
      checkedAt: at(4000),
      checked: 30,
      truncated: false,
      problems: [
        {
          model: 'ranker',
          version: '29',
          location: 's3://ml-artifacts-us-west-2/ranker/29/MLmodel',
          replica: 's3://ml-artifacts-us-east-2/ranker/29/MLmodel',
          verdict: 'missing' as const,
          detail: 'does not exist',
        },
      ],
    };

    // Act
    const artifacts = artifactChecksOf({ artifacts: finding });
    const md = runMarkdown({ ...modelWith(undefined), ...(artifacts ? { artifacts } : {}) });

    // Assess
    expect(artifacts).toHaveLength(1);
    expect(md).toContain('## Model artifacts, after the promotion');
    expect(md).toContain(
      `Checked ${at(4000)}: 1 of 30 artifact(s) not known to be in the standby region (1 missing): ranker v29`,
    );
    expect(md).toContain('- ranker v29: missing - does not exist');
    expect(artifactChecksOf({ timeline: [] })).toBeUndefined();
  });

  it('draws each component as a lane in timeline.svg: a diamond per gate reading, a bar per action, the result', () => {
    // Act
    const svg = timelineSvg(modelWith(componentLanes(failedInStage2(), ZERO)));

    // Assess
    for (const name of ['model-artifacts', 'online-features', 'feature-metadata', 'serving', 'warm-feature-cache']) {
      expect(svg).toContain(`>◆ ${name}</text>`);
    }
    expect(svg).toMatch(
      /<path d="M[\d.]+ \d+ l6 7 l-6 7 l-6 -7 z" fill="#2e7d32"><title>gate within: replication within limits/,
    );
    expect(svg).toMatch(/<path [^>]* fill="#e65100"><title>gate NOT within: replication unknown/);
    expect(svg).toMatch(/<rect [^>]* fill="#26a69a"><title>model-artifacts 400 ms, 1 call\(s\)/);
    expect(svg).toMatch(/<rect [^>]* fill="#c62828"><title>serving 6\.0 s, 20 call\(s\)/);
    expect(svg).toMatch(/fill="#c62828" font-size="10">failed: ComponentTimedOutError<\/text>/);
    expect(svg).toMatch(/fill="#c62828" font-size="10">failed: ThrottledError<\/text>/);
    expect(svg).toContain('component action</text>');
    expect(timelineSvg(modelWith(undefined))).not.toContain('◆');
  });
});
