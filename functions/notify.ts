import { approvalTimerFor } from '#adapters/approval/index.js';
import { notifierFor } from '#adapters/notify/index.js';
import { returnSchedulerFor } from '#adapters/way-back/index.js';
import type { StepDeps, StepPayload } from '#core/steps/deps.js';
import { notify } from '#core/steps/notify.js';
import { stepHandler } from '#lib/step-handler.js';

export type NotifyDeps = Pick<StepDeps, 'now' | 'notifier'> &
  Partial<Pick<StepDeps, 'approvalTimer' | 'returnScheduler'>>;

/**
 * Lambda entry point of every Notify step (started, approval required, succeeded, failed, aborted): the step
 * name in the payload says which event to publish. Approval requests also arm the plan's deadline; a round-trip
 * game day's Failover Succeeded also arms its way back.
 */
export const createHandler = (deps: NotifyDeps = { now: () => new Date(), notifier: notifierFor }) =>
  stepHandler((event: StepPayload) =>
    notify(event, { approvalTimer: approvalTimerFor, returnScheduler: returnSchedulerFor, ...deps }),
  );

export const handler = createHandler();
