import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { notifierFor } from '#adapters/notify/index.js';
import { runHistory } from '#adapters/sfn/index.js';
import type { Plan } from '#core/plan.js';
import type { Notifier } from '#core/ports.js';
import { decideRunEnded, parseStatusChange, type RunHistoryReader, withStepInProgress } from '#core/run-ended.js';
import { buildEvent } from '#core/steps/notify.js';
import { logAndMaskErrors, logger } from '#lib/logger.js';
import { deployedPlans } from '#lib/plans.js';
import { answerWarmUp } from '#lib/warm-up.js';

export interface RunEndedDeps {
  now: () => Date;
  history: () => Promise<RunHistoryReader>;
  notifier: (plan: Plan | undefined) => Promise<Notifier>;
  plans: () => ReadonlyMap<string, Plan>;
}

export type RunEndedResult =
  | { outcome: 'notified'; type: string; plan: string }
  | { outcome: 'ignored'; reason: string };

/** The plan to notify on: the one the run resolved, else the deployed plan its input names, else none. */
const planOf = (state: Record<string, unknown>, plans: ReadonlyMap<string, Plan>): Plan | undefined => {
  if (typeof state.plan === 'object' && state.plan !== null) return state.plan as Plan;
  return typeof state.plan === 'string' ? plans.get(state.plan) : undefined;
};

/**
 * Lambda entry point of the run-ended rule (core/run-ended.ts): a run stopped, timed out, or failed outside the
 * state machine's Catch is notified like any other end (Failover Stopped / Failover Failed), with where it left
 * the world; a run that the state machine already notified is not notified twice. A failure to publish is thrown,
 * so EventBridge retries the invocation.
 */
export const createHandler = (
  deps: RunEndedDeps = { now: () => new Date(), history: runHistory, notifier: notifierFor, plans: deployedPlans },
) =>
  middy(async (event: unknown): Promise<RunEndedResult> => {
    const detail = parseStatusChange(event);
    if (!detail) {
      logger.warn('not a Step Functions execution status change: ignored');
      return { outcome: 'ignored', reason: 'not a Step Functions execution status change' };
    }
    const facts = await (await deps.history()).endOf(detail.executionArn);
    const decision = decideRunEnded(detail, facts);
    if (!decision.notify) {
      logger.info('run end not notified', { executionArn: detail.executionArn, reason: decision.reason });
      return { outcome: 'ignored', reason: decision.reason };
    }
    const plan = planOf(decision.state, deps.plans());
    const state = { ...decision.state, ...(plan ? { plan } : {}) };
    const notification = withStepInProgress(
      buildEvent(decision.step, detail.executionArn, state, deps.now()),
      facts.inProgress,
    );
    await (await deps.notifier(plan)).publish(notification);
    logger.info('run end notified', { executionArn: detail.executionArn, type: notification.type });
    return { outcome: 'notified', type: notification.type, plan: notification.plan };
  })
    .use(answerWarmUp())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logAndMaskErrors('run-ended notification failed'));

export const handler = createHandler();
