import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { executionsOf } from '#adapters/sfn/index.js';
import { warmerFor } from '#adapters/warmup/index.js';
import type { Plan } from '#core/plan.js';
import type { ExecutionStarter } from '#core/ports.js';
import { runTrigger, type TriggerResult } from '#core/trigger.js';
import type { Warmer } from '#core/warm-up.js';
import { requireEnv } from '#lib/env.js';
import { logAndMaskErrors, logger } from '#lib/logger.js';
import { deployedPlans } from '#lib/plans.js';
import { answerWarmUp } from '#lib/warm-up.js';

export interface TriggerDeps {
  plans: () => ReadonlyMap<string, Plan>;
  now: () => Date;
  executions: () => ExecutionStarter;
  warmer?: () => Promise<Warmer>;
}

let executions: ExecutionStarter | undefined;

const defaultDeps: TriggerDeps = {
  plans: deployedPlans,
  now: () => new Date(),
  executions: () => {
    executions ??= executionsOf(requireEnv('STATE_MACHINE_ARN'));
    return executions;
  },
  warmer: warmerFor,
};

/**
 * Lambda entry point of the trigger: an alarm state change or a game-day schedule → at most one execution per
 * incident. Every decision is logged with its reason; ignoring an event is not an error.
 */
export const createHandler = (deps: TriggerDeps = defaultDeps) =>
  middy(async (event: unknown): Promise<TriggerResult> => {
    const result = await runTrigger(event, {
      plans: deps.plans,
      now: deps.now,
      executions: deps.executions(),
      ...(deps.warmer ? { warmer: deps.warmer } : {}),
    });
    if (result.outcome === 'started' || result.outcome === 'duplicate') {
      logger.info(result.outcome === 'started' ? 'failover started' : 'incident already has a run; duplicate event', {
        ...result,
      });
    } else {
      logger.info(`event ${result.outcome}`, { ...result });
    }
    return result;
  })
    .use(answerWarmUp())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logAndMaskErrors('trigger failed'));

export const handler = createHandler();
