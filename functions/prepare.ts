import type { StepDeps, StepPayload } from '#core/steps/deps.js';
import { prepare } from '#core/steps/prepare.js';
import { optionalEnv } from '#lib/env.js';
import { deployedPlans } from '#lib/plans.js';
import { stepHandler } from '#lib/step-handler.js';

/** Lambda entry point of the Prepare step: validate the input, resolve the plan, open the timeline. */
export const createHandler = (
  deps: Pick<StepDeps, 'now' | 'plans' | 'region'> = {
    now: () => new Date(),
    plans: deployedPlans,
    // Set by serverless.yml to the stack's region; unset locally, where no region applies.
    ...(optionalEnv('DR_FAILOVER_REGION') ? { region: optionalEnv('DR_FAILOVER_REGION') } : {}),
  },
) => stepHandler((event: StepPayload<unknown>) => prepare(event, deps));

export const handler = createHandler();
