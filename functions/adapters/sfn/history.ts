import { type HistoryEvent, paginateGetExecutionHistory, SFNClient } from '@aws-sdk/client-sfn';
import { NOTIFY_STATES, type RunEndFacts, type RunHistoryReader } from '#core/run-ended.js';
import type { FailoverState } from '#core/state.js';
import { parseJson } from '#core/text.js';
import { translateAwsError } from '../aws-errors.js';
import { clientFor } from '../client-cache.js';

/** Events read at most, newest first: a run's whole history is a few hundred; its end is in the first page. */
const MAX_EVENTS = 1000;

/** A whole run state, as every Task returns it (OutputPath $.Payload): it has the run's input and timeline. */
const isRunState = (v: unknown): v is Partial<FailoverState> =>
  typeof v === 'object' && v !== null && 'run' in v && 'timeline' in v && 'input' in v;

/** What one event adds to the facts, reading newest first: the first state found is the last one recorded. */
const readEvent = (e: HistoryEvent, facts: RunEndFacts, seen: { exited: boolean }): void => {
  const entered = e.stateEnteredEventDetails?.name;
  if (entered && (NOTIFY_STATES as readonly string[]).includes(entered)) facts.notified = true;
  // Newest first: a state entered before any state exited is the one the run was in when it ended.
  if (e.stateExitedEventDetails) seen.exited = true;
  else if (entered && !seen.exited && !facts.inProgress && e.type?.startsWith('Task')) facts.inProgress = entered;
  if (!facts.lastState) {
    const output = parseJson(e.stateExitedEventDetails?.output);
    if (isRunState(output)) facts.lastState = output;
  }
  if (e.type === 'ExecutionStarted') facts.input = parseJson(e.executionStartedEventDetails?.input);
};

/**
 * The end of a run's history through GetExecutionHistory, newest first (`reverseOrder`): whether a Notify state
 * ran, the last whole state a Task returned, and the execution's input. Bounded to MAX_EVENTS.
 */
export class StepFunctionsHistory implements RunHistoryReader {
  readonly #client: (region: string) => SFNClient;

  constructor(deps: { sfn?: (region: string) => SFNClient } = {}) {
    this.#client = deps.sfn ?? ((region) => clientFor(SFNClient, region));
  }

  async endOf(executionArn: string): Promise<RunEndFacts> {
    const facts: RunEndFacts = { notified: false };
    const region = executionArn.split(':')[3] ?? process.env.AWS_REGION ?? 'us-east-1';
    let read = 0;
    const seen = { exited: false };
    try {
      for await (const page of paginateGetExecutionHistory(
        { client: this.#client(region), pageSize: 200 },
        { executionArn, reverseOrder: true, includeExecutionData: true },
      )) {
        for (const e of page?.events ?? []) readEvent(e, facts, seen);
        read += page?.events?.length ?? 0;
        if (read >= MAX_EVENTS) break;
      }
    } catch (error) {
      throw translateAwsError(error, `GetExecutionHistory ${executionArn}`);
    }
    return facts;
  }
}
