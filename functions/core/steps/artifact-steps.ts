/**
 * The model-artifact check's steps, in the `component` function (plan `artifacts`):
 * - CheckArtifacts (planned runs, before Fence): reads the standby's registry and asks the standby's buckets for
 *   each artifact; records `artifactGate` and decides: `block` (the state machine aborts the run with
 *   ArtifactsMissingError, nothing changed) or `proceed`. A dry run reads the same and decides the same.
 * - FindArtifacts (every run, after Verify): the same check once the registry is the writer and traffic has moved;
 *   recorded under `artifacts`, never failing the run;
 * - ArtifactFindingFailed (FindArtifacts' Catch): a finding whose step itself failed (a crash, a timeout) is
 *   recorded as the finding, one `unknown` problem naming the error.
 */

import type { ArtifactPortsFor } from '../artifact-ports.js';
import {
  artifactSummary,
  checkNotCompleted,
  gateDecision,
  type PlanWithArtifacts,
  runArtifactCheck,
} from '../artifact-run.js';
import { InvalidInputError } from '../errors.js';
import { beginStep, type FailoverState } from '../state.js';
import type { StepPayload } from './deps.js';

export interface ArtifactStepDeps {
  now: () => Date;
  artifacts: ArtifactPortsFor;
}

const withArtifacts = (state: FailoverState): PlanWithArtifacts => {
  if (!state.plan?.artifacts) throw new InvalidInputError('state.plan.artifacts', 'the plan has no artifacts section');
  return state.plan as PlanWithArtifacts;
};

export const checkArtifactGate = async (event: StepPayload, deps: ArtifactStepDeps): Promise<FailoverState> => {
  const { state } = event;
  const plan = withArtifacts(state);
  const step = beginStep(state, 'CheckArtifacts', deps.now);
  const record = await runArtifactCheck(plan, 'gate', deps.artifacts, deps.now);
  const decision = gateDecision(record, plan.artifacts.onMissing);
  return step.done(
    { artifactGate: record, artifactGateDecision: decision },
    `${decision.decision}: ${decision.reason}`,
  );
};

export const findArtifacts = async (event: StepPayload, deps: ArtifactStepDeps): Promise<FailoverState> => {
  const { state } = event;
  const plan = withArtifacts(state);
  const step = beginStep(state, 'FindArtifacts', deps.now);
  const record = await runArtifactCheck(plan, 'after-promotion', deps.artifacts, deps.now);
  return step.done({ artifacts: record }, artifactSummary(record));
};

export const recordFindingFailure = async (event: StepPayload, deps: Pick<ArtifactStepDeps, 'now'>) => {
  const { state } = event;
  const step = beginStep(state, 'FindArtifacts', deps.now);
  const failed = state.artifactsFailed;
  const reason = failed ? `${failed.Error}: ${failed.Cause ?? ''}` : 'the step failed without an error';
  const record = {
    phase: 'after-promotion' as const,
    checkedAt: deps.now().toISOString(),
    checked: 0,
    truncated: false,
    problems: [checkNotCompleted(reason)],
  };
  return step.done({ artifacts: record }, artifactSummary(record));
};
