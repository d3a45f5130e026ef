import type { Plan } from '#core/plan.js';
import type { ApprovalTimer } from '#core/ports.js';

/**
 * The deployed approval timer: EventBridge Scheduler in the plan's standby region (where the stack and its
 * state machine run). Imported on first use, so only an approval request pays for the Scheduler client.
 */
export const approvalTimerFor = async (plan: Plan): Promise<ApprovalTimer> => {
  const { SchedulerApprovalTimer, settingsFromEnv } = await import('./scheduler.js');
  return new SchedulerApprovalTimer(settingsFromEnv(plan.regions.standby));
};
