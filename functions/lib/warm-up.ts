import type { MiddlewareObj } from '@middy/core';
import warmup from '@middy/warmup';
import { isWarmUp } from '#core/warm-up.js';

/**
 * The first middleware of every handler: a warm-up event (core/warm-up.ts) is answered `warmup` before any other
 * middleware or handler logic runs; the environment it started stays warm for the run's step.
 */
// biome-ignore lint/suspicious/noExplicitAny: the middleware answers any handler's event alike
export const answerWarmUp = (): MiddlewareObj<any, any> => warmup({ isWarmingUp: isWarmUp });
