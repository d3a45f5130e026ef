import { platformComponents } from '#adapters/components/index.js';
import type { ComponentIteration } from '#core/components.js';
import { InvalidInputError } from '#core/errors.js';
import type { FailoverState } from '#core/state.js';
import {
  type ComponentDeps,
  checkComponentGates,
  componentAction,
  nextComponentStage,
} from '#core/steps/component-steps.js';
import type { StepPayload } from '#core/steps/deps.js';
import { stepHandler } from '#lib/step-handler.js';

/**
 * Lambda entry point of a plan's components: the gates before Fence, the stage loop and each component's action
 * (the Tasks CheckComponentGates, NextComponentStage and, inside the stage Map, ComponentAction).
 */
export const createHandler = (deps: ComponentDeps = { now: () => new Date(), components: platformComponents }) =>
  stepHandler(async (event: StepPayload<unknown>) => {
    switch (event.step) {
      case 'CheckComponentGates':
        return checkComponentGates(event as StepPayload<FailoverState>, deps);
      case 'NextComponentStage':
        return nextComponentStage(event as StepPayload<FailoverState>, deps);
      case 'ComponentAction':
        return componentAction(event as StepPayload<ComponentIteration>, deps);
      default:
        throw new InvalidInputError('step', `the component function has no step ${String(event.step).slice(0, 64)}`);
    }
  });

export const handler = createHandler();
