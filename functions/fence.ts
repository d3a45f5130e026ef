import { databaseFor } from '#adapters/database/index.js';
import { fence } from '#core/steps/database-steps.js';
import type { StepDeps, StepPayload } from '#core/steps/deps.js';
import { stepHandler } from '#lib/step-handler.js';

/** Lambda entry point of the Fence step: the middy stack and one call into core. */
export const createHandler = (
  deps: Pick<StepDeps, 'now' | 'database'> = { now: () => new Date(), database: databaseFor },
) => stepHandler((event: StepPayload) => fence(event, deps));

export const handler = createHandler();
