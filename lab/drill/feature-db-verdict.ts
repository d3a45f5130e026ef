/**
 * The ML platform drill's second database (the feature store's metadata, `feature-metadata`) judged: what the run
 * says of it (its report, and its last ComponentAction in the execution history, as AWS keeps it), against what the
 * drill finds in the world (./feature-db.ts): its standby out of recovery or not, what its record resolves to, the
 * old primary refusing writes, and the acknowledged commits missing on the new primary. Pure.
 */
import type { ComponentIteration, ComponentReport } from '#core/components.js';
import type { LocalRegions } from '../regions.js';
import type { EventLog } from '../state-machine.js';
import type { Workload } from './workload.js';

/** The second pair in a drill: the pair, its record on the lab's DNS server, and the workload writing through it. */
export interface FeatureDb {
  readonly pair: LocalRegions;
  readonly recordName: string;
  readonly workload: Workload;
}

/** What the run says of the component. */
export interface FeatureDbRunView {
  status: ComponentReport['status'] | 'not in the run';
  detail: string;
  /** Its last ComponentAction saw its standby writable. */
  promoted: boolean;
  fence?: { fenced: boolean; method: string };
  /** The UPSERT of its record, as its last ComponentAction saw it. */
  record?: { target: string; status: string };
}

/**
 * Acknowledged commits missing on the new primary, counted as the registry's are (./checks.ts countLost): the shape
 * of DrillReport['rpo'], spelled here because ./types.ts imports this file.
 */
export interface CommitsLost {
  lostCount: number;
  lostIds: number[];
  acknowledgedByOldPrimary: number;
  ackedAfterIncident: number;
}

/** What the drill finds, without asking the run. */
export interface FeatureDbTruth {
  /** Its standby answers `pg_is_in_recovery()` false: promoted, writable. */
  promoted: boolean;
  /** What its record resolves to through the lab's DNS server now. */
  answers: string[];
  /** When its old primary is up (a planned run): whether it refuses a write. */
  oldPrimaryRejectsWrites?: boolean;
  /** Counted when the standby was promoted. */
  lost?: CommitsLost;
  /** Commits the workload saw acknowledged, by either server. */
  acknowledged: number;
  /** Its workload's first commit acknowledged by the new primary, in ms after the incident (its RTO, as clients see it). */
  firstWriteOnNewMs?: number;
}

export interface FeatureDbReport {
  name: string;
  record: string;
  primary: string;
  standby: string;
  run: FeatureDbRunView;
  truth: FeatureDbTruth;
  verdict: 'agree' | 'disagree';
  detail: string;
}

type StateExited = { type: string; state?: { name?: string; output?: unknown } };

/** The component's last ComponentAction output in the execution's events (inside the stage Map), with its report. */
export const runViewOf = (
  name: string,
  events: readonly EventLog[],
  components: Readonly<Record<string, ComponentReport>> | undefined,
): FeatureDbRunView => {
  const last = (events as readonly StateExited[])
    .filter((e) => e.type === 'StateExited' && e.state?.name === 'ComponentAction')
    .map((e) => e.state?.output as ComponentIteration | undefined)
    .findLast((it) => it?.component?.name === name);
  const db = last?.database;
  const report = components?.[name];
  return {
    status: report?.status ?? 'not in the run',
    detail: report?.detail ?? 'the run has no such component',
    promoted: db?.promotion?.state === 'writable',
    ...(db?.fence ? { fence: { fenced: db.fence.fenced, method: db.fence.method } } : {}),
    ...(db?.record ? { record: { target: db.record.target, status: db.record.status } } : {}),
  };
};

const same = (a: readonly string[], b: readonly string[]) => [...a].sort().join() === [...b].sort().join();

/** Each way the run's view contradicts the world; none is agreement. */
const disagreements = (
  run: FeatureDbRunView,
  truth: FeatureDbTruth,
  where: { record: string; primaryHost: string; standbyHost: string; mode: 'planned' | 'unplanned' },
): string[] => {
  const { record } = where;
  const answers = truth.answers.join(', ') || 'nothing';
  const found: string[] = [];
  if (run.promoted && !truth.promoted) found.push('the run says its standby was promoted, but it is still in recovery');
  if (!run.promoted && truth.promoted) found.push('the run does not say its standby was promoted, but it is writable');
  if (run.record?.status === 'insync') {
    if (!same(truth.answers, [run.record.target]))
      found.push(`the run says ${record} → ${run.record.target} in sync, but DNS answers ${answers}`);
    if (run.record.target !== where.standbyHost)
      found.push(`the run moved ${record} to ${run.record.target}, not to its standby ${where.standbyHost}`);
  } else if (!run.record && !same(truth.answers, [where.primaryHost])) {
    found.push(`the run did not move ${record}, but DNS answers ${answers}`);
  }
  if (run.fence?.fenced && truth.oldPrimaryRejectsWrites === false)
    found.push(`the run says the old primary is fenced (${run.fence.method}), but it accepts a write`);
  const lost = truth.lost?.lostCount ?? 0;
  if (where.mode === 'planned' && lost > 0)
    found.push(`a planned run lost ${lost} acknowledged commits (it fences, then waits for its standby: 0 expected)`);
  return found;
};

/** The verdict: `disagree` whenever the run's view contradicts the world; the drill fails on it. */
export const judgeFeatureDb = (
  run: FeatureDbRunView,
  truth: FeatureDbTruth,
  where: { record: string; primaryHost: string; standbyHost: string; mode: 'planned' | 'unplanned' },
): Pick<FeatureDbReport, 'verdict' | 'detail'> => {
  const found = disagreements(run, truth, where);
  if (found.length > 0) return { verdict: 'disagree', detail: found.join('; ') };
  const promoted = run.promoted ? 'promoted' : 'not promoted';
  const moved = run.record ? `${where.record} → ${run.record.target} (${run.record.status})` : 'record not moved';
  return { verdict: 'agree', detail: `the run's view (${promoted}; ${moved}) is what the drill finds` };
};

/** The component's RPO as the drill measured it, for the per-component summary. */
export const featureDbRpo = (truth: FeatureDbTruth): string =>
  truth.lost
    ? `${truth.lost.lostCount} of ${truth.lost.acknowledgedByOldPrimary} commits acknowledged by its old primary missing on its new one`
    : 'not promoted: nothing lost, nothing counted';
