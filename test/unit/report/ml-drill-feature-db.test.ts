import { describe, expect, it } from 'vitest';
import type { ComponentIteration, ComponentReport } from '#core/components.js';
import {
  type FeatureDbReport,
  type FeatureDbRunView,
  type FeatureDbTruth,
  featureDbRpo,
  judgeFeatureDb,
  runViewOf,
} from '#lab/drill/feature-db-verdict.js';
import { compareArtifacts, componentRecoveries, type MlReport } from '#lab/drill/platform.js';
import { mlMarkdown, mlSummaryLines } from '#lab/drill/platform-report.js';
import type { EventLog } from '#lab/state-machine.js';

const RECORD = 'features-db.drill.dr-failover.internal';
const where = (mode: 'planned' | 'unplanned') => ({
  record: RECORD,
  primaryHost: '127.0.0.1',
  standbyHost: '127.0.0.2',
  mode,
});

/** The run's view after a complete failover of the component. */
const promotedView: FeatureDbRunView = {
  status: 'done',
  detail: 'old primary: ...; standby: promoted and writable (...); record ... (in sync)',
  promoted: true,
  fence: { fenced: true, method: 'read-only' },
  record: { target: '127.0.0.2', status: 'insync' },
};

/** The world after a complete failover of the component. */
const promotedWorld: FeatureDbTruth = {
  promoted: true,
  answers: ['127.0.0.2'],
  oldPrimaryRejectsWrites: true,
  lost: { lostCount: 0, lostIds: [], acknowledgedByOldPrimary: 120, ackedAfterIncident: 0 },
  acknowledged: 180,
};

/** A StateExited event of a ComponentAction inside the stage Map, as the local executor emits it. */
const exited = (it: Partial<ComponentIteration> & { component: { name: string } }): EventLog =>
  ({
    type: 'StateExited',
    timestamp: 1,
    state: { name: 'ComponentAction', type: 'Task', input: {}, output: it },
  }) as never;

describe("the ML drill's second database: the run's view against the world", () => {
  it("reads the run's view from the component's last ComponentAction in the execution's events", () => {
    // Prepare: two iterations of feature-metadata (the second is the last) and one of another component.
    const db = (phase: string, extra: object) => ({
      component: { name: 'feature-metadata' },
      database: { phase, ...extra },
    });
    const events = [
      exited(db('promote', { fence: { fenced: false, method: 'unreachable', detail: 'dark' } }) as never),
      exited(
        db('done', {
          fence: { fenced: false, method: 'unreachable', detail: 'dark' },
          promotion: { state: 'writable', detail: 'pg_is_in_recovery false' },
          record: { recordName: RECORD, target: '127.0.0.2', changeId: 'C1', status: 'insync' },
        }) as never,
      ),
      exited({ component: { name: 'serving' } } as never),
      { type: 'StateExited', timestamp: 2, state: { name: 'Promote', type: 'Task', input: {}, output: {} } } as never,
    ];
    const components: Record<string, ComponentReport> = {
      'feature-metadata': { kind: 'database', stage: 2, status: 'done', detail: 'old primary: not fenced' },
    };

    // Act
    const view = runViewOf('feature-metadata', events, components);

    // Assess
    expect(view).toEqual({
      status: 'done',
      detail: 'old primary: not fenced',
      promoted: true,
      fence: { fenced: false, method: 'unreachable' },
      record: { target: '127.0.0.2', status: 'insync' },
    });
    expect(runViewOf('feature-metadata', [], undefined)).toEqual({
      status: 'not in the run',
      detail: 'the run has no such component',
      promoted: false,
    });
  });

  it('agrees when the run says promoted and its record in sync, and the world shows both', () => {
    // Act
    const judged = judgeFeatureDb(promotedView, promotedWorld, where('planned'));

    // Assess
    expect(judged).toEqual({
      verdict: 'agree',
      detail: `the run's view (promoted; ${RECORD} → 127.0.0.2 (insync)) is what the drill finds`,
    });
  });

  it('agrees when the run never reached the component and the world is unchanged', () => {
    // Prepare: a planned run stopped at a gate before Fence: the standby a replica, the record on the primary.
    const view: FeatureDbRunView = { status: 'not-started', detail: 'not started', promoted: false };
    const world: FeatureDbTruth = {
      promoted: false,
      answers: ['127.0.0.1'],
      oldPrimaryRejectsWrites: false,
      acknowledged: 90,
    };

    // Act / Assess
    expect(judgeFeatureDb(view, world, where('planned')).verdict).toBe('agree');
  });

  it('disagrees, naming each contradiction, when the world is not what the run says', () => {
    // Prepare: the standby still in recovery, DNS still on the old primary, the old primary writable.
    const world: FeatureDbTruth = {
      promoted: false,
      answers: ['127.0.0.1'],
      oldPrimaryRejectsWrites: false,
      acknowledged: 90,
    };

    // Act
    const judged = judgeFeatureDb(promotedView, world, where('planned'));

    // Assess
    expect(judged.verdict).toBe('disagree');
    expect(judged.detail).toBe(
      'the run says its standby was promoted, but it is still in recovery; ' +
        `the run says ${RECORD} → 127.0.0.2 in sync, but DNS answers 127.0.0.1; ` +
        'the run says the old primary is fenced (read-only), but it accepts a write',
    );
  });

  it('disagrees when the run moved the record somewhere else, or moved nothing and DNS changed', () => {
    const elsewhere = { ...promotedView, record: { target: '127.0.0.9', status: 'insync' } };
    const world = { ...promotedWorld, answers: ['127.0.0.9'] };
    expect(judgeFeatureDb(elsewhere, world, where('unplanned')).detail).toBe(
      `the run moved ${RECORD} to 127.0.0.9, not to its standby 127.0.0.2`,
    );
    const { record: _, ...unmoved } = promotedView;
    expect(judgeFeatureDb(unmoved, promotedWorld, where('unplanned')).detail).toBe(
      `the run did not move ${RECORD}, but DNS answers 127.0.0.2`,
    );
    const notPromoted = { ...promotedView, promoted: false };
    expect(judgeFeatureDb(notPromoted, promotedWorld, where('unplanned')).detail).toBe(
      'the run does not say its standby was promoted, but it is writable',
    );
  });

  it('disagrees when a planned run lost an acknowledged commit; an unplanned one reports it and agrees', () => {
    // Prepare
    const lost = { lostCount: 3, lostIds: [88, 89, 90], acknowledgedByOldPrimary: 90, ackedAfterIncident: 1 };
    const world = { ...promotedWorld, lost };

    // Act
    const planned = judgeFeatureDb(promotedView, world, where('planned'));
    const unplanned = judgeFeatureDb(
      { ...promotedView, fence: { fenced: false, method: 'unreachable' } },
      world,
      where('unplanned'),
    );

    // Assess
    expect(planned).toEqual({
      verdict: 'disagree',
      detail: 'a planned run lost 3 acknowledged commits (it fences, then waits for its standby: 0 expected)',
    });
    expect(unplanned.verdict).toBe('agree');
    expect(featureDbRpo(world)).toBe('3 of 90 commits acknowledged by its old primary missing on its new one');
    expect(featureDbRpo({ ...world, promoted: false, lost: undefined })).toBe(
      'not promoted: nothing lost, nothing counted',
    );
  });

  it('states promotion, DNS switch, commits lost and the verdict in the summary and report.md', () => {
    // Prepare
    const lost = { lostCount: 2, lostIds: [89, 90], acknowledgedByOldPrimary: 90, ackedAfterIncident: 0 };
    const truth = {
      ...promotedWorld,
      lost,
      oldPrimaryRejectsWrites: undefined,
      acknowledged: 150,
      firstWriteOnNewMs: 2890,
    };
    const run = { ...promotedView, fence: { fenced: false, method: 'unreachable' } };
    const featureDb: FeatureDbReport = {
      name: 'feature-metadata',
      record: RECORD,
      primary: '127.0.0.1:5433',
      standby: '127.0.0.2:5433',
      run,
      truth,
      ...judgeFeatureDb(run, truth, where('unplanned')),
    };
    const components: Record<string, ComponentReport> = {
      'feature-metadata': {
        kind: 'database',
        stage: 2,
        status: 'done',
        detail: 'x',
        endedAt: '2026-12-07T18:00:02.500Z',
      },
      other: { kind: 'database', stage: 2, status: 'done', detail: 'x' },
    };
    const artifacts = {
      acknowledged: 0,
      replicated: 0,
      notReplicated: [],
      lostFromRegistry: [],
      unacknowledgedInRegistry: [],
      expectedProblems: [],
    };
    const features = { written: 0, replicated: 0, standbyItems: 0 };
    const incidentAt = Date.parse('2026-12-07T18:00:00.000Z');

    // Act
    const recoveries = componentRecoveries(components, artifacts, features, incidentAt, featureDb);
    const ml: MlReport = {
      settings: {
        replicationDelayMs: 400,
        versionIntervalMs: 40,
        featureDelayMs: 50,
        featureIntervalMs: 20,
        scaleMs: 300,
      },
      buckets: { primary: 'a', standby: 'b' },
      truth: artifacts,
      comparison: compareArtifacts([], undefined),
      features,
      recoveries,
      featureDb,
    };
    const summary = mlSummaryLines(ml).join('\n');
    const markdown = mlMarkdown(ml).join('\n');

    // Assess
    expect(recoveries).toEqual([
      {
        name: 'feature-metadata',
        status: 'done',
        rto: '2500 ms (done)',
        rpo: '2 of 90 commits acknowledged by its old primary missing on its new one',
      },
      { name: 'other', status: 'done', rto: 'done', rpo: 'not measured by the drill' },
    ]);
    expect(summary).toContain(
      'feature-metadata   127.0.0.1:5433 → 127.0.0.2:5433: old primary NOT fenced (unreachable); standby promoted, ' +
        'writable (the run: done, promoted)',
    );
    expect(summary).toContain(`DNS switch: ${RECORD} UPSERT to 127.0.0.2 (insync); DNS answers 127.0.0.2`);
    expect(summary).toContain(
      'commits lost: 2 of 90 commits acknowledged by its old primary missing on its new one (150 acknowledged in all)',
    );
    expect(summary).toContain('first write on its new primary: 2890 ms after the incident, through its record');
    expect(summary).toContain("the run's view AGREES");
    expect(markdown).toContain('### Second database: `feature-metadata`');
    expect(markdown).toContain('| acknowledged commits lost | 2 of 90 commits acknowledged');
    const { firstWriteOnNewMs: _, ...none } = truth;
    expect(mlMarkdown({ ...ml, featureDb: { ...featureDb, truth: none } }).join('\n')).toContain(
      '| first write on its new primary | none acknowledged by its new primary |',
    );
    const disagreeing = { ...featureDb, verdict: 'disagree' as const, detail: 'it is still in recovery' };
    expect(mlSummaryLines({ ...ml, featureDb: disagreeing }).join('\n')).toContain(
      "the run's view DISAGREES with the world: it is still in recovery",
    );
  });
});
