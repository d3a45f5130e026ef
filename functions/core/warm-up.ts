/**
 * Overlapping cold starts. Failovers are rare, so on AWS every step of a run starts cold, one after the other:
 * the sum of the cold starts along the run is orchestration time. When a run starts, the trigger and Prepare send
 * each function the run will call a warm-up event (an asynchronous invocation, which returns once Lambda has
 * queued it); the function's environment initialises meanwhile and answers the event before any handler logic
 * (the warm-up middleware of every handler), so by the time its step comes the environment is warm.
 */
import type { Plan } from './plan.js';
import { FUNCTIONS, type FunctionName } from './stack-names.js';

/** The event a warm-up invocation carries; every handler answers it at once. */
export const WARM_UP_EVENT = { warmUp: 'dr-failover' } as const;

export const isWarmUp = (event: unknown): boolean =>
  typeof event === 'object' && event !== null && (event as { warmUp?: unknown }).warmUp === WARM_UP_EVENT.warmUp;

/** Functions a run does not call after Prepare: the ones that start it, Prepare itself, and the ones beside it. */
const NOT_CALLED_BY_A_RUN: readonly FunctionName[] = ['trigger', 'prepare', 'runEnded', 'readiness'];

/** The functions a run calls after Prepare (the stack's function list, less those it does not call). */
export const RUN_FUNCTIONS: readonly FunctionName[] = FUNCTIONS.filter((fn) => !NOT_CALLED_BY_A_RUN.includes(fn));

/** What a warm-up sent: the functions invoked, and those whose invocation was refused or not answered in time. */
export interface WarmUpResult {
  warmed: string[];
  failed: string[];
  ms: number;
}

/** Sends the warm-up event to functions, all at once, bounded; never throws (a failed warm-up only costs time). */
export interface Warmer {
  warm(functions: readonly FunctionName[]): Promise<WarmUpResult>;
}

/** The functions to warm for a plan's run, from `from` on (the trigger also warms Prepare); none when turned off. */
export const functionsToWarm = (plan: Plan, alsoPrepare: boolean): FunctionName[] =>
  plan.coldStarts.warmUp
    ? [
        ...(alsoPrepare ? (['prepare'] as const) : []),
        // The component function runs only for a plan with components or the model-artifact check.
        ...RUN_FUNCTIONS.filter(
          (fn) => fn !== 'component' || plan.components !== undefined || plan.artifacts !== undefined,
        ),
      ]
    : [];
