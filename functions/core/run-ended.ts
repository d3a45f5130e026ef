/**
 * Every run that ends is notified. The state machine's Catch paths notify the ends they see (NotifySucceeded,
 * NotifyAborted, NotifyFailed), but three ends never reach a Catch: a run stopped (StopExecution, by
 * `dr-failover stop` or the console), a run that outlasts the state machine's TimeoutSeconds, and a run that fails
 * outside every Catch (an input that is not a JSON object). Step Functions sends each status change of a Standard
 * workflow to the account's default EventBridge bus ("Step Functions Execution Status Change", best effort:
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html); the stack's run-ended rule sends the
 * FAILED, TIMED_OUT and ABORTED ones of its state machine here. A FAILED run that already went through a Notify
 * state was notified by the state machine and is not notified again.
 */
import * as z from 'zod';
import { parseArn } from './arn.js';
import { orientPlan } from './direction.js';
import { STOPPED_BY_OPERATOR } from './errors.js';
import { wayBackRunsInPrimaryRegion } from './failback.js';
import type { Plan } from './plan.js';
import type { FailoverEvent } from './ports.js';
import type { FailoverState } from './state.js';
import { parseJson } from './text.js';

/** The statuses the run-ended rule matches (the rule's pattern is built from this list). */
export const ENDED_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/** The notification states of the definition: a run that entered one was notified by the state machine. */
export const NOTIFY_STATES = ['NotifySucceeded', 'NotifyAborted', 'NotifyFailed'] as const;

const statusChange = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string().startsWith('arn:'),
    stateMachineArn: z.string().optional(),
    name: z.string().optional(),
    status: z.enum(['RUNNING', 'SUCCEEDED', ...ENDED_STATUSES, 'PENDING_REDRIVE']),
    // Absent or null when there is none, and `input` is left out of events over EventBridge's size limit.
    input: z.string().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});
export type ExecutionStatusChange = z.infer<typeof statusChange>['detail'];

/** The event's detail, or undefined for any other event (the rule sends only these; anything else is ignored). */
export const parseStatusChange = (event: unknown): ExecutionStatusChange | undefined => {
  const parsed = statusChange.safeParse(event);
  return parsed.success ? parsed.data.detail : undefined;
};

/** What the run's history says about its end: was it notified, and the last state it recorded. */
export interface RunEndFacts {
  notified: boolean;
  /** The last whole state a Task returned (the run's own record of what it changed), if any. */
  lastState?: Partial<FailoverState>;
  /** The execution's input, parsed (from the history, when the event left it out). */
  input?: unknown;
  /** A state the run had entered and not left when it ended: its change may be under way. */
  inProgress?: string;
}

/** Reads the end of a run's history. */
export interface RunHistoryReader {
  endOf(executionArn: string): Promise<RunEndFacts>;
}

export type RunEndedDecision =
  | { notify: false; reason: string }
  | {
      notify: true;
      /** The notification step: `RunStopped` (Failover Stopped) or `NotifyFailed` (Failover Failed). */
      step: 'RunStopped' | 'NotifyFailed';
      /** The state the notification is built from: the run's last state, with the error that ended it. */
      state: Partial<FailoverState> & Record<string, unknown>;
    };

/**
 * The error the notification names: the event's own `error` when it carries one, else one for the status (the
 * event fields `error` and `cause` are optional: https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html).
 */
const endError = (d: ExecutionStatusChange): { Error: string; Cause?: string } => {
  const cause = d.cause ?? undefined;
  if (d.status === 'TIMED_OUT') {
    return {
      Error: d.error ?? 'States.Timeout',
      Cause: cause ?? 'the run outlasted the state machine TimeoutSeconds and was ended by Step Functions',
    };
  }
  if (d.status === 'ABORTED') {
    return {
      Error: d.error ?? STOPPED_BY_OPERATOR,
      Cause: cause ?? 'stopped with StopExecution (no reason given: the console, or a call without a cause)',
    };
  }
  return { Error: d.error ?? 'States.Runtime', ...(cause ? { Cause: cause } : {}) };
};

/**
 * Whether and how to notify the end of a run. Pure: `facts` come from the run's history. The state is the run's
 * last one when a Task recorded it, else the raw input (so the notification still names the plan it asked for,
 * or says the input was not an object).
 */
export const decideRunEnded = (d: ExecutionStatusChange, facts: RunEndFacts): RunEndedDecision => {
  if (!(ENDED_STATUSES as readonly string[]).includes(d.status)) {
    return { notify: false, reason: `status ${d.status} is not an end the rule notifies` };
  }
  if (d.status === 'FAILED' && facts.notified) {
    return { notify: false, reason: 'the state machine notified this end itself (a Notify state ran)' };
  }
  const input = facts.input ?? parseJson(d.input);
  const raw =
    typeof input === 'object' && input !== null && !Array.isArray(input)
      ? (input as Record<string, unknown>)
      : { notAnObject: input === undefined ? 'no input' : JSON.stringify(input).slice(0, 200) };
  const state = { ...(facts.lastState ?? raw), error: endError(d) };
  return { notify: true, step: d.status === 'ABORTED' ? 'RunStopped' : 'NotifyFailed', state };
};

/**
 * The plan an ended run is notified on, as the stack that ran it pages: the plan the run resolved (Prepare's, already
 * turned round for a failback), else the deployed plan its input names, as the stack of the run's region runs it. A
 * plan fails over into its standby region, whose stack pages the plan's topic there; a failback runs in the plan's
 * primary region, whose stack pages a topic of the same name in its own region (orientPlan): SNS takes a Publish in
 * the topic's region only, and each stack's roles may publish to its own topics only. A plan the region runs neither
 * way gets undefined: the stack's own targets, as for a run refused before its plan was known.
 */
export const endedRunPlan = (
  state: Record<string, unknown>,
  plans: ReadonlyMap<string, Plan>,
  executionArn: string,
): Plan | undefined => {
  if (typeof state.plan === 'object' && state.plan !== null) return state.plan as Plan;
  const plan = typeof state.plan === 'string' ? plans.get(state.plan) : undefined;
  const region = parseArn(executionArn)?.region;
  if (!plan || plan.regions.standby === region) return plan;
  const failback = (state.trigger as { kind?: unknown } | undefined)?.kind === 'failback';
  return failback && plan.regions.primary === region && wayBackRunsInPrimaryRegion(plan)
    ? orientPlan(plan, 'standby')
    : undefined;
};

/** The Tasks that change the world: one of them cut short may still have its change happen. */
export const CHANGING_STEPS = ['Fence', 'Promote', 'UpdateDns'] as const;

/**
 * The notification of an end, told the step that was under way: a Promote or an UpdateDns stopped mid-call may
 * still complete, and the state of the world must not read "nothing was promoted" without saying so.
 */
export const withStepInProgress = (event: FailoverEvent, inProgress: string | undefined): FailoverEvent => {
  if (!inProgress || !(CHANGING_STEPS as readonly string[]).includes(inProgress)) return event;
  const line = `${inProgress} was under way when the run ended: what it asked for may still happen; check before acting.`;
  const world = Array.isArray(event.detail.stateOfTheWorld) ? (event.detail.stateOfTheWorld as string[]) : [];
  return { ...event, detail: { ...event.detail, stepInProgress: inProgress, stateOfTheWorld: [...world, line] } };
};

/**
 * The notification of an end whose history could not be read: what the run changed is unknown, and the message says
 * so rather than "nothing was promoted" (a wrong all-clear is worse than none).
 */
export const withWorldUnknown = (event: FailoverEvent, why: string): FailoverEvent => {
  const { promoted: _p, dnsSwitched: _d, ...rest } = event.detail;
  return {
    ...event,
    detail: {
      ...rest,
      stateOfTheWorld: [
        `Unknown: the run's history could not be read (${why}). The database may be promoted, the record switched, ` +
          'the old primary fenced: check each before acting.',
      ],
      nextSteps:
        "Open the execution in the Step Functions console (its graph and each state's output show what was done), " +
        'check the standby, the record and the old primary, and fix the access that kept the history unreadable.',
    },
  };
};
