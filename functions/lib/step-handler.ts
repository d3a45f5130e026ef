import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { EARLY_TIMEOUT_MS } from '#core/limits.js';
import type { StepPayload } from '#core/steps/deps.js';
import { logAndMaskErrors, logger } from './logger.js';
import { answerWarmUp } from './warm-up.js';

const addRunKeys = (running: { step?: string }): MiddlewareObj<StepPayload<unknown>> => ({
  before: async (request) => {
    const { step, executionId, state } = request.event ?? ({} as StepPayload<unknown>);
    const plan = (state as { plan?: { name?: string } } | undefined)?.plan?.name;
    logger.appendKeys({ step, executionId, ...(plan ? { plan } : {}) });
    running.step = step;
  },
});

/**
 * The error a step ends with a second before its Lambda timeout. Its name is middy's (`TimeoutError`, which the
 * state machine retries); its message says which step and why, where middy's says only "The operation was aborted".
 */
const ranOutOfTime = (running: { step?: string }) => () => {
  throw Object.assign(
    new Error(
      `${running.step ?? 'the step'} did not finish within its Lambda timeout: a call it made (AWS API or database) ` +
        'did not answer in time',
    ),
    { name: 'TimeoutError' },
  );
};

/**
 * Wraps a step's core function as a Lambda handler: middy with Powertools logging, run keys and error logging.
 * `timeoutEarlyInMillis` makes a step that is about to hit its Lambda timeout fail with a named `TimeoutError`
 * the state machine can retry, instead of an anonymous Lambda timeout.
 */
export const stepHandler = <E extends StepPayload<unknown>, R>(run: (event: E) => Promise<R>) => {
  // One invocation at a time per execution environment: the step being run, for the timeout's message.
  const running: { step?: string } = {};
  return middy<E, R, Error, Context>(async (event: E) => run(event), {
    timeoutEarlyInMillis: EARLY_TIMEOUT_MS,
    timeoutEarlyResponse: ranOutOfTime(running),
  })
    .use(answerWarmUp())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(addRunKeys(running))
    .use(logAndMaskErrors('step failed'));
};
