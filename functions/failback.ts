import { failbackFor } from '#adapters/database/index.js';
import { InvalidInputError } from '#core/errors.js';
import type { StepPayload } from '#core/steps/deps.js';
import { type FailbackDeps, preserve, rebuild, rebuildStatus } from '#core/steps/failback-steps.js';
import { stepHandler } from '#lib/step-handler.js';

const STEPS = { Preserve: preserve, Rebuild: rebuild, RebuildStatus: rebuildStatus } as const;

/**
 * Lambda entry point of the way back's steps (Preserve, Rebuild, RebuildStatus, by the payload's `step`): the middy
 * stack and one call into core. One function, one role: snapshot the old primary, build and watch its replacement.
 */
export const createHandler = (deps: FailbackDeps = { now: () => new Date(), rebuilder: failbackFor }) =>
  stepHandler((event: StepPayload) => {
    const step = STEPS[event.step as keyof typeof STEPS];
    if (!step) throw new InvalidInputError('step', `the failback function runs ${Object.keys(STEPS).join(', ')}`);
    return step(event, deps);
  });

export const handler = createHandler();
