import type { StepDeps, StepPayload } from '#core/steps/deps.js';
import { prepare } from '#core/steps/prepare.js';
import { deployedPlans } from '#lib/plans.js';
import { stepHandler } from '#lib/step-handler.js';

/** Lambda entry point of the Prepare step: validate the input, resolve the plan, open the timeline. */
export const createHandler = (
  deps: Pick<StepDeps, 'now' | 'plans'> = { now: () => new Date(), plans: deployedPlans },
) => stepHandler((event: StepPayload<unknown>) => prepare(event, deps));

export const handler = createHandler();
