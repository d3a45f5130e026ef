import type { ExecutionStarter } from '#core/ports.js';
import type { RunHistoryReader } from '#core/run-ended.js';
import { StepFunctionsExecutions } from './executions.js';

/**
 * The failover state machine's executions through Step Functions, in the state machine's own region. The trigger
 * and Prepare always call it, so it is imported with them (the other adapter families load on first use).
 */
export const executionsOf = (stateMachineArn: string): ExecutionStarter => new StepFunctionsExecutions(stateMachineArn);

/** How a run ended, from its history (the run-ended function); the history adapter loads on first use. */
export const runHistory = async (): Promise<RunHistoryReader> =>
  new (await import('./history.js')).StepFunctionsHistory();
