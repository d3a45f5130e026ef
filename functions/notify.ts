import { notifierFor } from '#adapters/notify/index.js';
import type { StepDeps, StepPayload } from '#core/steps/deps.js';
import { notify } from '#core/steps/notify.js';
import { stepHandler } from '#lib/step-handler.js';

/**
 * Lambda entry point of every Notify step (started, approval required, succeeded, failed, aborted): the step
 * name in the payload says which event to publish.
 */
export const createHandler = (
  deps: Pick<StepDeps, 'now' | 'notifier'> = { now: () => new Date(), notifier: notifierFor },
) => stepHandler((event: StepPayload) => notify(event, deps));

export const handler = createHandler();
