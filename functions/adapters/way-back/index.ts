import type { Plan } from '#core/plan.js';
import type { ReturnScheduler } from '#core/ports.js';

/**
 * The deployed way back of a round-trip game day: EventBridge Scheduler in the plan's primary region, where the
 * failback runs. Imported on first use, so only a round-trip game day's success pays for the Scheduler client.
 */
export const returnSchedulerFor = async (plan: Plan): Promise<ReturnScheduler> => {
  const { SchedulerReturn, returnSettingsFromEnv } = await import('./scheduler.js');
  return new SchedulerReturn(returnSettingsFromEnv(plan.regions.primary));
};
