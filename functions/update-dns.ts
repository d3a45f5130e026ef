import { databaseFor } from '#adapters/database/index.js';
import { trafficFor } from '#adapters/traffic/index.js';
import type { StepDeps, StepPayload } from '#core/steps/deps.js';
import { updateDns } from '#core/steps/dns-steps.js';
import { stepHandler } from '#lib/step-handler.js';

/** Lambda entry point of the UpdateDns step: the middy stack and one call into core. */
export const createHandler = (
  deps: Pick<StepDeps, 'now' | 'database' | 'dns'> = { now: () => new Date(), database: databaseFor, dns: trafficFor },
) => stepHandler((event: StepPayload) => updateDns(event, deps));

export const handler = createHandler();
