/**
 * A local execution's events (aws-local-stepfunctions) → the history Step Functions returns for the same run
 * (GetExecutionHistory's HistoryEvent shape), so one builder (report/history.ts) reads both. Tests use it to feed the
 * CLI histories of real runs of the real definition.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { EventLog } from './state-machine.js';

const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v ?? null));

/** A Lambda error's cause as Step Functions records it: `{"errorType": …, "errorMessage": …}`. */
const causeText = (v: unknown): string =>
  v instanceof Error ? JSON.stringify({ errorType: v.name, errorMessage: v.message }) : text(v);

export const historyFromLocalEvents = (
  events: readonly EventLog[],
  opts: { definition: StateMachineDefinition; region?: string },
): HistoryEvent[] => {
  const region = opts.region ?? 'eu-west-1';
  const out: HistoryEvent[] = [];
  const push = (timestamp: number, e: Omit<HistoryEvent, 'id' | 'timestamp' | 'previousEventId'>) => {
    const id = out.length + 1;
    out.push({ id, previousEventId: id - 1, timestamp: new Date(timestamp), ...e } as HistoryEvent);
  };
  const resourceOf = (name: string) => {
    const state = opts.definition.States[name] as { Resource?: string } | undefined;
    const resource = state?.Resource ?? 'arn:aws:states:::lambda:invoke';
    // `arn:aws:states:::lambda:invoke.waitForTaskToken` → resourceType lambda, resource invoke.waitForTaskToken
    const [, resourceType = 'lambda', op = 'invoke'] = /:::([^:]+):(.+)$/.exec(resource) ?? [];
    return { resourceType, resource: op };
  };
  const schedule = (at: number, name: string) => {
    const r = resourceOf(name);
    push(at, { type: 'TaskScheduled', taskScheduledEventDetails: { ...r, region, parameters: '{}' } });
    push(at, { type: 'TaskStarted', taskStartedEventDetails: r });
    if (r.resource.endsWith('.waitForTaskToken')) push(at, { type: 'TaskSubmitted', taskSubmittedEventDetails: r });
  };
  // States whose last attempt failed (caught): they exit without a TaskSucceeded.
  const failedLast = new Set<string>();
  for (const e of events) {
    const ev = e as EventLog & {
      state?: { name: string; type: string; input?: unknown; output?: unknown };
      input?: unknown;
      output?: unknown;
      Error?: string;
      Cause?: unknown;
    };
    const at = e.timestamp;
    const state = ev.state;
    switch (e.type) {
      case 'ExecutionStarted':
        push(at, { type: 'ExecutionStarted', executionStartedEventDetails: { input: text(ev.input) } });
        break;
      case 'ExecutionSucceeded':
        push(at, { type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: text(ev.output) } });
        break;
      case 'ExecutionFailed':
        push(at, {
          type: 'ExecutionFailed',
          executionFailedEventDetails: { error: ev.Error ?? 'States.Runtime', cause: causeText(ev.Cause) },
        });
        break;
      case 'ExecutionAborted':
        push(at, { type: 'ExecutionAborted', executionAbortedEventDetails: {} });
        break;
      case 'StateEntered':
        if (!state) break;
        push(at, {
          type: `${state.type}StateEntered` as HistoryEvent['type'],
          stateEnteredEventDetails: { name: state.name, input: text(state.input) },
        });
        failedLast.delete(state.name);
        if (state.type === 'Task') schedule(at, state.name);
        break;
      case 'StateRetried':
        if (state?.type === 'Task') {
          failedLast.delete(state.name);
          schedule(at, state.name);
        }
        break;
      case 'StateFailed':
        if (state?.type === 'Task') {
          failedLast.add(state.name);
          push(at, {
            type: 'TaskFailed',
            taskFailedEventDetails: {
              ...resourceOf(state.name),
              error: ev.Error ?? 'Error',
              cause: causeText(ev.Cause),
            },
          });
        }
        break;
      case 'StateExited':
        if (!state) break;
        if (state.type === 'Task' && !failedLast.has(state.name)) {
          push(at, {
            type: 'TaskSucceeded',
            taskSucceededEventDetails: {
              ...resourceOf(state.name),
              output: text({ Payload: state.output, StatusCode: 200 }),
            },
          });
        }
        if (state.type !== 'Fail') {
          push(at, {
            type: `${state.type}StateExited` as HistoryEvent['type'],
            stateExitedEventDetails: { name: state.name, output: text(state.output) },
          });
        }
        break;
      default:
        break;
    }
  }
  return out;
};
