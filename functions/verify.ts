import { trafficFor } from '#adapters/traffic/index.js';
import type { StepDeps, StepPayload } from '#core/steps/deps.js';
import { verify } from '#core/steps/dns-steps.js';
import { stepHandler } from '#lib/step-handler.js';

/** Lambda entry point of the Verify step: the middy stack and one call into core. */
export const createHandler = (deps: Pick<StepDeps, 'now' | 'dns'> = { now: () => new Date(), dns: trafficFor }) =>
  stepHandler((event: StepPayload) => verify(event, deps));

export const handler = createHandler();
