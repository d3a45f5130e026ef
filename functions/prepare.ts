import { auroraPairFor, pairFor, rdsPairFor } from '#adapters/database/index.js';
import { executionsOf } from '#adapters/sfn/index.js';
import { warmerFor } from '#adapters/warmup/index.js';
import type { StepPayload } from '#core/steps/deps.js';
import { type PrepareDeps, prepare } from '#core/steps/prepare.js';
import { optionalEnv } from '#lib/env.js';
import { deployedPlans } from '#lib/plans.js';
import { stepHandler } from '#lib/step-handler.js';

/**
 * Lambda entry point of the Prepare step: validate the input, resolve the plan, refuse a second run of the plan,
 * open the timeline, the plan oriented from its pair's current writer. `runs` defaults to Step Functions itself; the
 * drill passes its local executions.
 */
export const createHandler = (
  deps: Omit<PrepareDeps, 'runs'> & Partial<Pick<PrepareDeps, 'runs'>> = {
    now: () => new Date(),
    plans: deployedPlans,
    pair: pairFor,
    rdsPair: rdsPairFor,
    auroraPair: auroraPairFor,
    // Set by serverless.yml to the stack's region; unset locally, where no region applies.
    ...(optionalEnv('DR_FAILOVER_REGION') ? { region: optionalEnv('DR_FAILOVER_REGION') } : {}),
  },
) => {
  const full: PrepareDeps = { ...deps, runs: deps.runs ?? executionsOf, warmer: deps.warmer ?? warmerFor };
  return stepHandler((event: StepPayload<unknown>) => prepare(event, full));
};

export const handler = createHandler();
