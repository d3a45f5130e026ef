import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { notifierFor } from '#adapters/notify/index.js';
import { runHistory } from '#adapters/sfn/index.js';
import type { Plan } from '#core/plan.js';
import type { Notifier } from '#core/ports.js';
import {
  decideRunEnded,
  endedRunPlan,
  parseStatusChange,
  type RunEndFacts,
  type RunHistoryReader,
  withStepInProgress,
  withWorldUnknown,
} from '#core/run-ended.js';
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

/**
 * The end of the run's history. A transient failure is thrown, so Lambda's asynchronous retries try again; one that
 * retrying cannot fix (access denied, no such execution) still notifies the end, saying the world is unknown.
 */
const readEnd = async (deps: RunEndedDeps, executionArn: string): Promise<RunEndFacts & { unreadable?: string }> => {
  try {
    return await (await deps.history()).endOf(executionArn);
  } catch (error) {
    if ((error as { retryable?: boolean }).retryable === true) throw error;
    logger.error('run history unreadable: notifying the end without it', { executionArn, error });
    const e = error as Error;
    return { notified: false, unreadable: `${e.name}: ${e.message}` };
  }
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
    const facts = await readEnd(deps, detail.executionArn);
    const decision = decideRunEnded(detail, facts);
    if (!decision.notify) {
      logger.info('run end not notified', { executionArn: detail.executionArn, reason: decision.reason });
      return { outcome: 'ignored', reason: decision.reason };
    }
    const plan = endedRunPlan(decision.state, deps.plans(), detail.executionArn);
    const state = { ...decision.state, ...(plan ? { plan } : {}) };
    const built = buildEvent(decision.step, detail.executionArn, state, deps.now());
    const notification = facts.unreadable
      ? withWorldUnknown(built, facts.unreadable)
      : withStepInProgress(built, facts.inProgress);
    await (await deps.notifier(plan)).publish(notification);
    logger.info('run end notified', { executionArn: detail.executionArn, type: notification.type });
    return { outcome: 'notified', type: notification.type, plan: notification.plan };
  })
    .use(answerWarmUp())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logAndMaskErrors('run-ended notification failed'));

export const handler = createHandler();
