/**
 * The way back's own steps (RDS), between Prepare and the planned run back: preserve the old primary, build a read
 * replica of the current writer in the old primary's region, and check on both until the replica replicates and the
 * snapshot is available. Every step is idempotent; none touches the old primary except to snapshot it.
 */
import { preservedClusterSnapshotId } from '../aurora-failback.js';
import { ConfigurationError, RebuildFailedError, RebuildTimedOutError } from '../errors.js';
import { preservedSnapshotId } from '../failback.js';
import { REBUILD_CHECK_INTERVAL_SECONDS, REBUILD_MAX_CHECKS } from '../limits.js';
import type { FailbackRebuilder } from '../ports.js';
import { beginStep, type FailoverState } from '../state.js';
import type { StepPayload } from './deps.js';

export interface FailbackDeps {
  now: () => Date;
  /** The way back's adapter for the run's (oriented) plan. */
  rebuilder: (
    state: FailoverState & { failback: NonNullable<FailoverState['failback']> },
  ) => Promise<FailbackRebuilder>;
}

type Failback = NonNullable<FailoverState['failback']>;

const failbackOf = (state: FailoverState): Failback => {
  if (!state.failback) {
    throw new ConfigurationError('a failback step ran without the failback Prepare observed (state.failback)');
  }
  return state.failback;
};

/**
 * Snapshots the old primary under a name of this run (never deletes, never changes it). Aurora: copies Aurora's own
 * `rds:unplanned-global-failover-…` snapshot of it to a manual snapshot of that name.
 */
export const preserve = async ({ state, executionId }: StepPayload, deps: FailbackDeps): Promise<FailoverState> => {
  const step = beginStep(state, 'Preserve', deps.now);
  const failback = failbackOf(state);
  const aurora = state.plan.database.kind === 'aurora-global';
  const id = (aurora ? preservedClusterSnapshotId : preservedSnapshotId)(failback.oldPrimaryArn, executionId);
  if (state.input.dryRun) {
    // Nothing is recorded as preserved: the timeline says what a real run would snapshot.
    const what = aurora ? "copy Aurora's unplanned-failover snapshot of" : 'snapshot';
    return step.done({ failback }, `dry run: would ${what} the old primary ${failback.oldPrimaryArn} as ${id}`);
  }
  const preserved = await (await deps.rebuilder({ ...state, failback })).preserve(id);
  if (preserved.status === 'failed') throw new RebuildFailedError(preserved.detail);
  return step.done({ failback: { ...failback, preserved } }, `${preserved.status}: ${preserved.detail}`);
};

/** Starts the read replica of the current writer in the old primary's region (idempotent). */
export const rebuild = async ({ state }: StepPayload, deps: FailbackDeps): Promise<FailoverState> => {
  const step = beginStep(state, 'Rebuild', deps.now);
  const failback = failbackOf(state);
  if (state.input.dryRun) {
    const db = state.plan.database;
    const detail =
      db.kind === 'rds-instance'
        ? `would create ${db.replicaInstanceArn}, a read replica of ${db.sourceInstanceArn}`
        : `would wait for Aurora to add ${failback.oldPrimaryArn} back as a secondary, synchronized`;
    return step.done(
      { failback: { ...failback, rebuilt: { state: 'pending', detail, checks: 0 } } },
      `dry run: ${detail}`,
    );
  }
  const started = await (await deps.rebuilder({ ...state, failback })).rebuild();
  return step.done(
    { failback: { ...failback, rebuilt: { state: 'pending', ...started, checks: 0 } } },
    `${started.outcome}: ${started.detail}`,
  );
};

/**
 * One check of the replica and the snapshot. `failback.ready` once the replica replicates and the snapshot is
 * available (or there was nothing to snapshot); a failed replica or snapshot is RebuildFailedError; still pending
 * after REBUILD_MAX_CHECKS, RebuildTimedOutError (RDS goes on, and the next failback run finds it).
 */
export const rebuildStatus = async ({ state }: StepPayload, deps: FailbackDeps): Promise<FailoverState> => {
  const step = beginStep(state, 'RebuildStatus', deps.now);
  const failback = failbackOf(state);
  const checks = (failback.rebuilt?.checks ?? 0) + 1;
  if (state.input.dryRun) {
    const detail = 'dry run: nothing was built, nothing to wait for';
    const rebuilt = { ...(failback.rebuilt ?? { state: 'pending' as const, detail }), checks };
    return step.done({ failback: { ...failback, rebuilt, ready: true } }, detail);
  }
  const rebuilder = await deps.rebuilder({ ...state, failback });
  const [progress, preserved] = await Promise.all([
    rebuilder.rebuildStatus(),
    failback.preserved && failback.preserved.status === 'creating'
      ? rebuilder.preserved(failback.preserved.id)
      : Promise.resolve(failback.preserved),
  ]);
  if (progress.state === 'failed') throw new RebuildFailedError(`the rebuilt replica failed: ${progress.detail}`);
  if (preserved?.status === 'failed')
    throw new RebuildFailedError(`preserving the old primary failed: ${preserved.detail}`);
  const ready = progress.state === 'replicating' && preserved?.status !== 'creating';
  if (!ready && checks >= REBUILD_MAX_CHECKS) {
    throw new RebuildTimedOutError(
      `after ${checks} checks ${REBUILD_CHECK_INTERVAL_SECONDS} s apart: ${progress.detail}` +
        `${preserved ? `; snapshot ${preserved.id} ${preserved.status}` : ''}. Nothing was promoted; RDS goes on ` +
        'building the replica: run the failback again later, it finds the replica and waits for it',
    );
  }
  const rebuilt = {
    ...failback.rebuilt,
    ...progress,
    checks,
    ...(ready ? { replicatingAt: deps.now().toISOString() } : {}),
  };
  return step.done(
    { failback: { ...failback, ...(preserved ? { preserved } : {}), rebuilt, ready } },
    `${ready ? 'ready' : 'waiting'}: ${progress.detail}${preserved ? `; snapshot ${preserved.id} ${preserved.status}` : ''}`,
  );
};
