/**
 * The model-artifact check in a run: what it records in the run state (`artifactGate` before a planned run changes
 * anything, `artifacts` after the promotion), what the gate decides, and the lines notifications carry. The check
 * itself is core/artifacts.ts; the registry and the buckets come through ArtifactPortsFor.
 */
import type { ArtifactPortsFor } from './artifact-ports.js';
import { type ArtifactFinding, artifactsBlock, checkArtifacts, onlyInFlight } from './artifacts.js';
import type { Plan } from './plan.js';
import { type ArtifactCheckConfig, artifactBuckets, replicationLimits } from './plan-artifacts.js';

export type ArtifactPhase = 'gate' | 'after-promotion';

/** The check's result in the run state: the gate's under `artifactGate`, the finding's under `artifacts`. */
export interface ArtifactCheckRecord {
  phase: ArtifactPhase;
  /** When the registry was read (ISO-8601). */
  checkedAt: string;
  /** Artifacts the registry listed and the buckets were asked about. */
  checked: number;
  /** The registry listed more than the plan's `maxArtifacts`: the ones past it were not checked. */
  truncated: boolean;
  /** Every artifact not known to be in the standby region (verdict other than `ok`), in the registry's order. */
  problems: ArtifactFinding[];
  /** Problems left out of `problems` to keep the run state within Step Functions' payload limit; absent when none. */
  problemsOmitted?: number;
}

/**
 * The run state travels between states and is capped at 256 KiB
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html, "Maximum input or output size for a
 * task, state, or execution"): each record keeps its problems within this many bytes of JSON and counts the rest.
 */
export const MAX_RECORDED_PROBLEM_BYTES = 48 * 1024;

const bounded = (problems: readonly ArtifactFinding[]): Pick<ArtifactCheckRecord, 'problems' | 'problemsOmitted'> => {
  const kept: ArtifactFinding[] = [];
  let bytes = 0;
  for (const p of problems) {
    bytes += JSON.stringify(p).length + 1;
    if (bytes > MAX_RECORDED_PROBLEM_BYTES) break;
    kept.push(p);
  }
  const omitted = problems.length - kept.length;
  return { problems: kept, ...(omitted > 0 ? { problemsOmitted: omitted } : {}) };
};

/** The problem that stands for a check that did not complete: no artifact is known to be there. */
export const checkNotCompleted = (reason: string): ArtifactFinding => ({
  model: '(every model)',
  version: '(every version)',
  location: '',
  verdict: 'unknown',
  detail: `the check did not complete: ${reason}`.slice(0, 500),
});

export type PlanWithArtifacts = Plan & { artifacts: ArtifactCheckConfig };

/**
 * Runs the check for `phase`. Never throws: a registry that cannot be read, a query the registry refuses or a
 * port that cannot be made is recorded as a problem (`unknown`, never ok), so the caller decides what it means.
 */
export const runArtifactCheck = async (
  plan: PlanWithArtifacts,
  phase: ArtifactPhase,
  portsFor: ArtifactPortsFor,
  now: () => Date,
): Promise<ArtifactCheckRecord> => {
  const at = now();
  const checkedAt = at.toISOString();
  try {
    const ports = await portsFor(plan.artifacts, plan.regions.standby);
    // At the gate every RPO gate has passed: an artifact younger than its replication limit may still be on its way.
    // After the promotion nothing is: the primary region may be gone.
    const inFlight = phase === 'gate' ? { now: at, seconds: replicationLimits(plan) } : undefined;
    const config = { buckets: artifactBuckets(plan), maxArtifacts: plan.artifacts.maxArtifacts, inFlight };
    const report = await checkArtifacts(config, ports);
    return { phase, checkedAt, checked: report.checked, truncated: report.truncated, ...bounded(report.problems) };
  } catch (error) {
    const e = error as { name?: string; message?: string };
    const reason = `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
    return { phase, checkedAt, checked: 0, truncated: false, problems: [checkNotCompleted(reason)] };
  }
};

const problemCount = (r: ArtifactCheckRecord) => r.problems.length + (r.problemsOmitted ?? 0);

/** The model versions named by a record's problems, `model vN`, each once, in order. */
export const problemVersions = (r: ArtifactCheckRecord): string[] => [
  ...new Set(r.problems.map((p) => `${p.model} v${p.version}`)),
];

/** One line for people: how many were checked, how many are not known to be in the standby region, which. */
export const artifactSummary = (r: ArtifactCheckRecord): string => {
  const cut = r.truncated ? ' (the registry listed more: list truncated)' : '';
  const n = problemCount(r);
  if (n === 0) return `${r.checked} artifact(s) present in the standby region${cut}`;
  // A check that did not complete stands as one problem for every artifact.
  if (r.checked === 0) return `no artifact is known to be in the standby region: ${r.problems[0]?.detail}`;
  const counts = new Map<string, number>();
  for (const p of r.problems) counts.set(p.verdict, (counts.get(p.verdict) ?? 0) + 1);
  const verdicts = [...counts].map(([v, k]) => `${k} ${v}`).join(', ');
  const versions = problemVersions(r);
  const first = versions.slice(0, 5).join(', ') + (versions.length > 5 ? ', …' : '');
  return `${n} of ${r.checked} artifact(s) not known to be in the standby region (${verdicts}): ${first}${cut}`;
};

/** Problem lines a notification carries at most, as a component list is bounded by its plan. */
export const MAX_PROBLEM_LINES = 20;

/** The summary, then one short line per problem (`model vN: verdict - detail`), at most MAX_PROBLEM_LINES. */
export const artifactLines = (r: ArtifactCheckRecord): string[] => {
  const lines = r.problems
    .slice(0, MAX_PROBLEM_LINES)
    .map((p) => `${p.model} v${p.version}: ${p.verdict} - ${p.detail}`.slice(0, 300));
  const more = problemCount(r) - lines.length;
  return [artifactSummary(r), ...lines, ...(more > 0 ? [`… and ${more} more`] : [])];
};

/** The gate's decision: block (the run aborts, nothing changed) or proceed, and why. */
export const gateDecision = (
  r: ArtifactCheckRecord,
  onMissing: ArtifactCheckConfig['onMissing'],
): { decision: 'block' | 'proceed'; reason: string } => {
  const summary = artifactSummary(r);
  if (artifactsBlock(r, onMissing))
    return { decision: 'block', reason: `${summary}; the plan blocks (onMissing: block)` };
  const n = problemCount(r);
  if (n === 0 && !r.truncated) return { decision: 'proceed', reason: summary };
  // Every problem recorded is in flight (and none omitted): the plan would block anything else.
  if (onMissing === 'block' && onlyInFlight(r)) {
    return {
      decision: 'proceed',
      reason: `${summary}; still replicating within its limits, checked again after Verify`,
    };
  }
  return { decision: 'proceed', reason: `${summary}; reported (onMissing: report)` };
};

/** What notifications carry of the check: the gate's and the finding's lines, each when the run recorded it. */
export const artifactDetail = (state: {
  artifactGate?: ArtifactCheckRecord | undefined;
  artifacts?: ArtifactCheckRecord | undefined;
}): Record<string, string[]> => ({
  ...(state.artifactGate ? { artifactGate: artifactLines(state.artifactGate) } : {}),
  ...(state.artifacts ? { artifacts: artifactLines(state.artifacts) } : {}),
});
