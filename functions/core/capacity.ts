/**
 * Capacity in the standby region: the serving and workers a platform needs once it runs there (an ECS service, an
 * EC2 Auto Scaling group, a SageMaker endpoint's variant), raised to the plan's count and waited for until healthy.
 * Raising never lowers: capacity already at or above the plan's count is left as it is, so a retry, a re-run or a
 * second incident never scales the standby down.
 */
import { ConfigurationError } from './errors.js';
import type { CapacityConfig } from './plan-capacity.js';
import type { CapacityControl, CapacityObservation } from './ports.js';

export type CapacityStep =
  | { action: 'raise'; to: number }
  | { action: 'wait'; reason: string }
  | { action: 'done'; reason: string }
  | { action: 'refuse'; reason: string };

/** What to do next for `target` given what the service says: raise once, then wait until the count is ready. */
export const nextCapacityStep = (target: number, now: CapacityObservation): CapacityStep => {
  if (now.max !== undefined && target > now.max) {
    return { action: 'refuse', reason: `the plan asks for ${target}, above the resource's maximum of ${now.max}` };
  }
  if (now.desired < target) {
    if (now.busy) return { action: 'wait', reason: `busy (${now.detail}); raising ${now.desired} → ${target} after` };
    return { action: 'raise', to: target };
  }
  if (now.ready >= target && !now.busy) return { action: 'done', reason: `${now.ready} ready of ${target} asked` };
  return { action: 'wait', reason: `${now.ready} ready of ${now.desired} desired (${now.detail})` };
};

/**
 * One capacity step: raise the desired count once if it is below the plan's (never lower it), else report how many
 * are ready. The state machine polls it until `ready`; a count the resource cannot reach is a ConfigurationError.
 */
export const adjustCapacity = async (
  config: CapacityConfig,
  control: CapacityControl,
): Promise<{ state: 'ready' | 'pending'; detail: string; raisedFrom?: number }> => {
  const now = await control.observe();
  const step = nextCapacityStep(config.count, now);
  switch (step.action) {
    case 'refuse':
      throw new ConfigurationError(`capacity ${config.kind}: ${step.reason}`);
    case 'raise':
      await control.setDesired(step.to);
      return { state: 'pending', raisedFrom: now.desired, detail: `raised ${now.desired} → ${step.to}` };
    case 'done':
      return { state: 'ready', detail: step.reason };
    case 'wait':
      return { state: 'pending', detail: step.reason };
  }
};
