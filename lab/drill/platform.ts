/**
 * The ML platform drill's own findings (`--plan ml-platform`): the ground truth of the model artifacts, computed by
 * the drill from the model workload's record, the new primary's registry and the standby bucket, compared with
 * what the run's artifact check recorded (`artifacts` in the run state); and each component's RTO and RPO.
 */
import type { ArtifactCheckRecord } from '#core/artifact-run.js';
import type { ComponentReport } from '#core/components.js';
import type { FailoverState } from '#core/state.js';
import type { MlPlatform, MlSettings } from '../ml/platform.js';
import { withClient } from '../postgres/client.js';
import type { LocalRegions } from '../regions.js';
import { type FeatureDbReport, featureDbRpo } from './feature-db-verdict.js';

/** What the drill knows of the model versions, without asking the run. Versions are `model/version`. */
export interface ArtifactTruth {
  /** Versions whose upload and registration the workload saw acknowledged. */
  acknowledged: number;
  /** Acknowledged versions whose artifact is in the standby bucket. */
  replicated: number;
  /** Acknowledged versions whose artifact never reached the standby bucket: the platform cannot load them. */
  notReplicated: string[];
  /** Acknowledged versions the new primary's registry does not have (the registry's own RPO). */
  lostFromRegistry: string[];
  /** Versions the new primary's registry has that the workload never saw acknowledged (committed as it died). */
  unacknowledgedInRegistry: string[];
  /** What a correct check of the new primary's registry names: its rows whose artifact is not in the standby bucket. */
  expectedProblems: string[];
}

export interface ArtifactComparison {
  verdict: 'agree' | 'disagree' | 'not-checked';
  /** Versions the run's check named. */
  named: string[];
  /** Expected and not named by the run; named by the run and not expected. */
  notNamed: string[];
  unexpected: string[];
  detail: string;
}

const versionOf = (v: { model: string; version: string | number }) => `${v.model}/${v.version}`;
const byVersion = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** The ground truth, once the run has ended: the registry read on the new primary, the standby bucket listed. */
export const artifactTruth = async (platform: MlPlatform, regions: LocalRegions): Promise<ArtifactTruth> => {
  const acknowledged = platform.models.registered();
  const keys = await platform.replicaKeys();
  const rows = await withClient(regions.standby.connectionConfig(), async (c) => {
    const found = await c.query<{ model: string; version: number; location: string }>(
      `SELECT name AS model, version, storage_location AS location FROM model_versions WHERE current_stage = 'Production'`,
    );
    return found.rows;
  });
  const keyOf = (location: string) => `${location.replace(/^s3:\/\/[^/]+\//, '')}/MLmodel`;
  const inRegistry = new Set(rows.map(versionOf));
  const ackedVersions = new Set(acknowledged.map(versionOf));
  const arrived = acknowledged.filter((v) => keys.has(v.location.replace(/^s3:\/\/[^/]+\//, '')));
  return {
    acknowledged: acknowledged.length,
    replicated: arrived.length,
    notReplicated: acknowledged
      .filter((v) => !arrived.includes(v))
      .map(versionOf)
      .sort(byVersion),
    lostFromRegistry: [...ackedVersions].filter((v) => !inRegistry.has(v)).sort(byVersion),
    unacknowledgedInRegistry: [...inRegistry].filter((v) => !ackedVersions.has(v)).sort(byVersion),
    expectedProblems: rows
      .filter((r) => !keys.has(keyOf(r.location)))
      .map(versionOf)
      .sort(byVersion),
  };
};

/** The run's recorded check (after the promotion) against the ground truth: the drill fails when they disagree. */
export const compareArtifacts = (
  expected: readonly string[],
  run: ArtifactCheckRecord | undefined,
  gate?: ArtifactCheckRecord,
): ArtifactComparison => {
  if (!run) {
    const detail = gate
      ? `the run stopped at its artifact gate before Fence (${gate.problems.length} of ${gate.checked} artifacts not ` +
        'known in the standby region then): it made no check after a promotion to compare'
      : 'the run recorded no artifact check (the plan has none, or the run ended before it)';
    return { verdict: 'not-checked', named: [], notNamed: [...expected], unexpected: [], detail };
  }
  const named = [...new Set(run.problems.map(versionOf))].sort(byVersion);
  const notNamed = expected.filter((v) => !named.includes(v));
  const unexpected = named.filter((v) => !expected.includes(v));
  const agree = notNamed.length === 0 && unexpected.length === 0 && !run.truncated;
  const why = [
    notNamed.length > 0 ? `not named by the run: ${notNamed.join(', ')}` : '',
    unexpected.length > 0 ? `named by the run, not by the ground truth: ${unexpected.join(', ')}` : '',
    run.truncated ? `the run's check was truncated at ${run.checked} artifacts` : '',
  ].filter(Boolean);
  return {
    verdict: agree ? 'agree' : 'disagree',
    named,
    notNamed,
    unexpected,
    detail: agree
      ? `the run's ${run.phase} check of ${run.checked} artifacts named exactly the ${expected.length} versions the drill found missing`
      : why.join('; '),
  };
};

/** The run's artifact check after the promotion (`artifacts`) or before Fence (`artifactGate`), when it has one. */
export const runArtifactsOf = (
  state: Partial<FailoverState> | undefined,
  which: 'artifacts' | 'artifactGate' = 'artifacts',
): ArtifactCheckRecord | undefined => {
  const found = state?.[which];
  return found && Array.isArray(found.problems) ? found : undefined;
};

/** Each component's recovery: when it was done (RTO from the incident) and what it lost (RPO), as measured here. */
export interface ComponentRecovery {
  name: string;
  status: string;
  rto: string;
  rpo: string;
}

const rtoOfComponent = (report: ComponentReport | undefined, incidentAt: number): string => {
  if (!report) return 'not in the run';
  if (report.status === 'done' && report.endedAt)
    return `${Math.round(Date.parse(report.endedAt) - incidentAt)} ms (done)`;
  if (report.status === 'nothing-to-do') return 'nothing to switch: the standby copy serves reads throughout';
  return report.status;
};

export const componentRecoveries = (
  components: Readonly<Record<string, ComponentReport>> | undefined,
  truth: ArtifactTruth,
  features: ReturnType<MlPlatform['features']['counts']>,
  incidentAt: number,
  featureDb?: FeatureDbReport,
): ComponentRecovery[] =>
  Object.entries(components ?? {}).map(([name, report]) => {
    const rpo =
      report.kind === 's3-replication'
        ? `${truth.notReplicated.length} of ${truth.acknowledged} acknowledged model versions' artifacts not replicated`
        : report.kind === 'dynamodb-global-table'
          ? `${features.written - features.replicated} of ${features.written} feature writes not replicated`
          : report.kind === 'database'
            ? featureDb?.name === name
              ? featureDbRpo(featureDb.truth)
              : 'not measured by the drill'
            : 'no data (an action)';
    return { name, status: report.status, rto: rtoOfComponent(report, incidentAt), rpo };
  });

/** The drill report's ML platform section. */
export interface MlReport {
  settings: MlSettings;
  buckets: { primary: string; standby: string };
  truth: ArtifactTruth;
  comparison: ArtifactComparison;
  features: ReturnType<MlPlatform['features']['counts']>;
  recoveries: ComponentRecovery[];
  /** The second database (the feature store's metadata): the run's view against the world. */
  featureDb?: FeatureDbReport;
}

/** Everything the drill finds about the platform once the run has ended. */
export const mlFindings = async (
  platform: MlPlatform,
  regions: LocalRegions,
  state: Partial<FailoverState> | undefined,
  incidentAt: number,
  settings: MlSettings,
  featureDb?: FeatureDbReport,
): Promise<MlReport> => {
  // The workloads stopped with their Region (or, after a planned run, stop now, their writes in flight landing):
  // their records are final before they are counted.
  await platform.models.stop();
  await platform.features.drain();
  // After a planned run the primary Region is up: what was pending replicates (after a kill nothing more will).
  await platform.replicator.drain(settings.replicationDelayMs * 3 + 2000);
  const truth = await artifactTruth(platform, regions);
  const features = platform.features.counts();
  return {
    settings,
    buckets: platform.buckets,
    truth,
    comparison: compareArtifacts(truth.expectedProblems, runArtifactsOf(state), runArtifactsOf(state, 'artifactGate')),
    features,
    recoveries: componentRecoveries(state?.components, truth, features, incidentAt, featureDb),
    ...(featureDb ? { featureDb } : {}),
  };
};
