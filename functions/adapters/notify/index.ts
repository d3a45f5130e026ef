import type { Plan } from '#core/plan.js';
import type { Notifier } from '#core/ports.js';
import { optionalEnv } from '#lib/env.js';
import type { NotifyTargets } from './aws.js';

/**
 * The deployment's own targets, for a run that failed before its plan was resolved (bad input, unknown plan):
 * the failure is still announced, on the stack's bus and topic. Read once, at cold start.
 */
const deploymentTargets = (): NotifyTargets => {
  const region = optionalEnv('AWS_REGION') ?? 'us-east-1';
  const snsTopicArn = optionalEnv('DEFAULT_SNS_TOPIC_ARN');
  return {
    regions: { standby: region },
    notify: { eventBus: optionalEnv('DEFAULT_EVENT_BUS') ?? 'default', ...(snsTopicArn ? { snsTopicArn } : {}) },
  };
};

let fallback: NotifyTargets | undefined;

export const notifierFor = async (plan: Plan | undefined): Promise<Notifier> => {
  const { AwsNotifier } = await import('./aws.js');
  fallback ??= deploymentTargets();
  return new AwsNotifier(plan ?? fallback);
};

/** The plan's bus, without its SNS topic: a readiness report every few minutes is for systems; its alarm pages people. */
export const readinessNotifierFor = async (plan: Plan): Promise<Notifier> => {
  const { AwsNotifier } = await import('./aws.js');
  return new AwsNotifier({ regions: plan.regions, notify: { eventBus: plan.notify.eventBus } });
};
