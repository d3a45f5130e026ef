import { databaseFor } from '#adapters/database/index.js';
import { promotionStatus } from '#core/steps/database-steps.js';
import type { StepDeps, StepPayload } from '#core/steps/deps.js';
import { stepHandler } from '#lib/step-handler.js';

/** Lambda entry point of the PromotionStatus step: the middy stack and one call into core. */
export const createHandler = (
  deps: Pick<StepDeps, 'now' | 'database'> = { now: () => new Date(), database: databaseFor },
) => stepHandler((event: StepPayload) => promotionStatus(event, deps));

export const handler = createHandler();
