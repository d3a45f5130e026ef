import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { FunctionName } from '#core/stack-names.js';
import { functionName } from '#core/stack-names.js';
import { WARM_UP_EVENT, type Warmer, type WarmUpResult } from '#core/warm-up.js';
import { clientFor } from '../client-cache.js';

/** How long the warm-up may hold up the step that sends it: an asynchronous Invoke is queued in tens of ms. */
export const WARM_UP_BOUND_MS = 500;

/** The call, or a rejection once WARM_UP_BOUND_MS have passed (and the request aborted). */
const bounded = <T>(call: Promise<T>, abort: AbortController): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new Error(`no answer within ${WARM_UP_BOUND_MS} ms`));
    }, WARM_UP_BOUND_MS);
  });
  return Promise.race([call, late]).finally(() => clearTimeout(timer));
};

/**
 * Warm-up through Lambda: one asynchronous `Invoke` (`InvocationType: Event`, answered 202 once queued) per
 * function of the stage, all at once, each bounded by WARM_UP_BOUND_MS. Lambda runs a queued event in a new
 * execution environment when none is free, which is the point: the environment's init happens now.
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 */
export class LambdaWarmer implements Warmer {
  readonly #stage: string;
  readonly #client: () => LambdaClient;

  constructor(stage: string, deps: { lambda?: () => LambdaClient } = {}) {
    this.#stage = stage;
    this.#client = deps.lambda ?? (() => clientFor(LambdaClient, process.env.AWS_REGION ?? 'us-east-1'));
  }

  async warm(functions: readonly FunctionName[]): Promise<WarmUpResult> {
    const started = Date.now();
    const payload = new TextEncoder().encode(JSON.stringify(WARM_UP_EVENT));
    const results = await Promise.allSettled(
      functions.map((fn) => {
        const abort = new AbortController();
        const invoke = this.#client().send(
          new InvokeCommand({ FunctionName: functionName(this.#stage, fn), InvocationType: 'Event', Payload: payload }),
          { abortSignal: abort.signal },
        );
        return bounded(invoke, abort);
      }),
    );
    const warmed: string[] = [];
    const failed: string[] = [];
    results.forEach((r, i) => {
      (r.status === 'fulfilled' ? warmed : failed).push(functions[i] ?? '');
    });
    return { warmed, failed, ms: Date.now() - started };
  }
}
