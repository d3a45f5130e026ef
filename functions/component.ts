import { artifactPorts } from '#adapters/artifacts/index.js';
import { platformComponents } from '#adapters/components/index.js';
import type { ComponentIteration } from '#core/components.js';
import { InvalidInputError } from '#core/errors.js';
import type { FailoverState } from '#core/state.js';
import {
  type ArtifactStepDeps,
  checkArtifactGate,
  findArtifacts,
  recordFindingFailure,
} from '#core/steps/artifact-steps.js';
import {
  type ComponentDeps,
  checkComponentGates,
  componentAction,
  nextComponentStage,
} from '#core/steps/component-steps.js';
import type { StepPayload } from '#core/steps/deps.js';
import { stepHandler } from '#lib/step-handler.js';

const DEPS: ComponentDeps & ArtifactStepDeps = {
  now: () => new Date(),
  components: platformComponents,
  artifacts: artifactPorts,
};

/**
 * Lambda entry point of a plan's components: the gates before Fence, the stage loop and each component's action
 * (the Tasks CheckComponentGates, NextComponentStage and, inside the stage Map, ComponentAction), and the
 * model-artifact check (CheckArtifacts before Fence in planned runs, FindArtifacts after Verify, ArtifactFindingFailed after its failure).
 */
export const createHandler = (deps: Partial<ComponentDeps & ArtifactStepDeps> = {}) => {
  const all = { ...DEPS, ...deps };
  return stepHandler(async (event: StepPayload<unknown>) => {
    switch (event.step) {
      case 'CheckComponentGates':
        return checkComponentGates(event as StepPayload<FailoverState>, all);
      case 'NextComponentStage':
        return nextComponentStage(event as StepPayload<FailoverState>, all);
      case 'ComponentAction':
        return componentAction(event as StepPayload<ComponentIteration>, all);
      case 'CheckArtifacts':
        return checkArtifactGate(event as StepPayload<FailoverState>, all);
      case 'FindArtifacts':
        return findArtifacts(event as StepPayload<FailoverState>, all);
      case 'ArtifactFindingFailed':
        return recordFindingFailure(event as StepPayload<FailoverState>, all);
      default:
        throw new InvalidInputError('step', `the component function has no step ${String(event.step).slice(0, 64)}`);
    }
  });
};

export const handler = createHandler();
