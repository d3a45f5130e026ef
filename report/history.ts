/**
 * A Step Functions execution's history (GetExecutionHistory, every page) → the run model.
 *
 * Every Task returns the whole FailoverState, so the last state output in the history holds the run's own
 * timeline, lag reading and measures. Retries show as repeated TaskScheduled/TaskFailed (or LambdaFunction*)
 * events inside one TaskStateEntered … TaskStateExited.
 */
import { type HistoryEvent, paginateGetExecutionHistory, type SFNClient } from '@aws-sdk/client-sfn';
import { describeWorld } from '#core/next-steps.js';
import type { FailoverState } from '#core/state.js';
import { parseJson } from '#core/text.js';
import {
  artifactChecksOf,
  componentLanes,
  nextStepsOf,
  planSummary,
  type RunModel,
  type RunOutcome,
  retryWarnings,
  rpoFromState,
  type StepRun,
  startSummary,
  stepKindOf,
  UNFENCED,
  warningsFromState,
  worldOf,
} from './model.js';

/** Reads every page of an execution's history, oldest first. */
export const fetchHistory = async (client: SFNClient, executionArn: string): Promise<HistoryEvent[]> => {
  const events: HistoryEvent[] = [];
  for await (const page of paginateGetExecutionHistory(
    { client, pageSize: 1000 },
    { executionArn, includeExecutionData: true },
  )) {
    events.push(...(page.events ?? []));
  }
  return events;
};

const ATTEMPT = new Set(['TaskScheduled', 'LambdaFunctionScheduled', 'ActivityScheduled']);
const SUCCESS = new Set(['TaskSucceeded', 'LambdaFunctionSucceeded', 'ActivitySucceeded']);
const FAILURE = new Set([
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'LambdaFunctionScheduleFailed',
  'ActivityFailed',
  'ActivityTimedOut',
  'ActivityScheduleFailed',
]);

/** The timeline step a state records itself under, where the names differ. */
const TIMELINE_STEP: Record<string, string> = {
  ApproveFailover: 'RequestApproval',
  ApproveLagExceeded: 'RequestApproval',
};

const isState = (v: unknown): v is Partial<FailoverState> =>
  typeof v === 'object' && v !== null && Array.isArray((v as { timeline?: unknown }).timeline);

/** A Task's result is `{ Payload: state, … }` from lambda:invoke, or the state itself after OutputPath. */
const stateOf = (v: unknown): Partial<FailoverState> | undefined => {
  if (isState(v)) return v;
  const payload = (v as { Payload?: unknown } | undefined)?.Payload;
  return isState(payload) ? payload : undefined;
};

const failureOf = (e: HistoryEvent): { error: string; cause?: string } => {
  const d =
    e.taskFailedEventDetails ??
    e.taskTimedOutEventDetails ??
    e.taskStartFailedEventDetails ??
    e.taskSubmitFailedEventDetails ??
    e.lambdaFunctionFailedEventDetails ??
    e.lambdaFunctionTimedOutEventDetails ??
    e.lambdaFunctionStartFailedEventDetails ??
    e.lambdaFunctionScheduleFailedEventDetails ??
    e.activityFailedEventDetails ??
    e.activityTimedOutEventDetails ??
    e.activityScheduleFailedEventDetails;
  const timedOut = e.type?.endsWith('TimedOut');
  const error = d?.error ?? (timedOut ? 'States.Timeout' : (e.type ?? 'Error'));
  return { error, ...(d?.cause ? { cause: d.cause } : {}) };
};

export interface HistoryContext {
  executionArn?: string;
  /** DescribeExecution's status, when known (a history page may end before the final event). */
  status?: string;
  /** For a run still going: the end of open bars. */
  now?: Date;
}

/** Who and why from the raw execution input, when Prepare refused it (so the state never held it). */
const rawStart = (raw: unknown): RunModel['start'] => {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 1000) : '(not given)');
  return {
    mode: text(r.mode),
    dryRun: r.dryRun === true,
    reason: text(r.reason),
    requestedBy: text(r.requestedBy),
  };
};

const nameOfArn = (arn: string | undefined) => arn?.split(':').at(-1);

/** A state being visited, while the history is read: its bar, and what its attempts did. */
interface Open {
  step: StepRun;
  startedAt: Date;
  endedAt?: Date;
  lastOk: boolean;
  failuresAt: Date[];
}

const EXECUTION_ENDS: Record<string, (e: HistoryEvent) => { status: string; error?: RunModel['error'] }> = {
  ExecutionSucceeded: () => ({ status: 'SUCCEEDED' }),
  ExecutionFailed: (e) => {
    const d = e.executionFailedEventDetails;
    return { status: 'FAILED', error: { name: d?.error ?? 'Error', ...(d?.cause ? { cause: d.cause } : {}) } };
  },
  ExecutionAborted: (e) => {
    const d = e.executionAbortedEventDetails;
    return {
      status: 'ABORTED',
      error: { name: d?.error ?? 'ExecutionAborted', cause: d?.cause ?? 'stopped by a person (StopExecution)' },
    };
  },
  ExecutionTimedOut: (e) => {
    const d = e.executionTimedOutEventDetails;
    return {
      status: 'TIMED_OUT',
      error: { name: d?.error ?? 'States.Timeout', cause: d?.cause ?? 'the execution ran past its TimeoutSeconds' },
    };
  },
};

/** One pass over the history, oldest event first: the states visited, their bars, the last run state, the end. */
class HistoryReader {
  state: Partial<FailoverState> | undefined;
  readonly opened: Open[] = [];
  readonly visited: string[] = [];
  status: string;
  stoppedAt: Date | undefined;
  error: RunModel['error'];
  #current: Open | undefined;

  constructor(status: string | undefined) {
    this.status = status ?? 'RUNNING';
  }

  read(e: HistoryEvent, at: Date): void {
    const type = e.type ?? '';
    if (type.endsWith('StateEntered')) this.entered(e, type.slice(0, -'StateEntered'.length), at);
    else if (ATTEMPT.has(type)) this.attempt();
    else if (FAILURE.has(type)) this.failure(e, at);
    else if (SUCCESS.has(type)) this.success(e);
    else if (type.endsWith('StateExited')) this.exited(e, at);
    else if (type in EXECUTION_ENDS) this.ended(e, type, at);
  }

  #take(v: unknown): void {
    const s = stateOf(v);
    if (s) this.state = s;
  }

  private entered(e: HistoryEvent, stateType: string, at: Date): void {
    const name = e.stateEnteredEventDetails?.name ?? stateType;
    this.visited.push(name);
    this.#take(parseJson(e.stateEnteredEventDetails?.input));
    const kind = stepKindOf(stateType, name);
    this.#current = undefined;
    if (!kind) return;
    const open: Open = {
      step: { name, kind, startMs: 0, attempts: 0, failures: [] },
      startedAt: at,
      lastOk: true,
      failuresAt: [],
    };
    if (kind === 'fail') open.endedAt = at;
    this.opened.push(open);
    this.#current = open;
  }

  private attempt(): void {
    if (!this.#current) return;
    this.#current.step.attempts += 1;
    // A new attempt: the failure before it was retried, not final.
    this.#current.lastOk = true;
  }

  private failure(e: HistoryEvent, at: Date): void {
    if (!this.#current) return;
    this.#current.step.failures.push(failureOf(e));
    this.#current.failuresAt.push(at);
    this.#current.lastOk = false;
  }

  private success(e: HistoryEvent): void {
    if (this.#current) this.#current.lastOk = true;
    this.#take(
      parseJson(
        e.taskSucceededEventDetails?.output ??
          e.lambdaFunctionSucceededEventDetails?.output ??
          e.activitySucceededEventDetails?.output,
      ),
    );
  }

  private exited(e: HistoryEvent, at: Date): void {
    const name = e.stateExitedEventDetails?.name;
    const output = stateOf(parseJson(e.stateExitedEventDetails?.output));
    if (output) this.state = output;
    const current = this.#current;
    const open =
      current?.step.name === name ? current : this.opened.findLast((o) => o.step.name === name && !o.endedAt);
    if (open) {
      open.endedAt = at;
      // The outcome as the step recorded it at this visit (a polling step's later visits update it).
      const timelineName = TIMELINE_STEP[open.step.name] ?? open.step.name;
      const outcome = output?.timeline?.findLast((t) => t.step === timelineName)?.outcome;
      if (outcome && open.step.kind !== 'wait') open.step.outcome = outcome;
    }
    this.#current = undefined;
  }

  private ended(e: HistoryEvent, type: string, at: Date): void {
    const end = (EXECUTION_ENDS[type] as (e: HistoryEvent) => { status: string; error?: RunModel['error'] })(e);
    this.status = end.status;
    this.stoppedAt = at;
    if (end.error) this.error = end.error;
    if (type === 'ExecutionSucceeded') this.#take(parseJson(e.executionSucceededEventDetails?.output));
  }
}

/** The bars, relative to the run's zero: the gap before the run started, then each state visited. */
const stepsOf = (
  r: HistoryReader,
  rel: (d: Date) => number,
  startedAt: Date | undefined,
  endOfOpen: Date | undefined,
): StepRun[] => {
  const steps: StepRun[] = [];
  if (startedAt && rel(startedAt) > 0) {
    steps.push({
      name: 'incident → run start',
      kind: 'trigger',
      startMs: 0,
      endMs: rel(startedAt),
      attempts: 1,
      failures: [],
    });
  }
  for (const o of r.opened) {
    const s = o.step;
    s.startMs = rel(o.startedAt);
    const ended = o.endedAt ?? (r.stoppedAt ? endOfOpen : undefined);
    if (ended) s.endMs = rel(ended);
    if (s.kind !== 'fail') s.attempts = Math.max(1, s.attempts);
    s.failures = s.failures.map((f, i) => ({ ...f, atMs: rel(o.failuresAt[i] as Date) }));
    if (!o.lastOk && s.failures.length > 0) {
      s.error = (s.failures.at(-1) as { error: string }).error;
      delete s.outcome;
    }
    if (s.kind === 'fail') s.error = r.error?.name ?? s.name;
    steps.push(s);
  }
  return steps;
};

const outcomeOf = (status: string, visited: readonly string[]): RunOutcome => {
  if (status === 'SUCCEEDED') return 'succeeded';
  if (status === 'ABORTED' || visited.includes('Aborted')) return 'aborted';
  return status === 'RUNNING' ? 'running' : 'failed';
};

/** Incident → the record answering the new writer (Verify), as the run's own timeline recorded it. */
const rtoOf = (state: Partial<FailoverState> | undefined, zeroMs: number): RunModel['rto'] => {
  const verified = state?.timeline?.findLast((t) => t.step === 'Verify')?.endedAt;
  if (!state?.plan || !verified) return undefined;
  const ms = Date.parse(verified) - zeroMs;
  const { targetSeconds } = state.plan.rto;
  return { ms, targetSeconds, met: ms <= targetSeconds * 1000, until: 'DNS answers the new writer (Verify)' };
};

/** The events in order (duplicates by id dropped), read once. */
const readHistory = (events: readonly HistoryEvent[], status?: string) => {
  const byId = new Map<number, HistoryEvent>();
  for (const e of events) if (e.id !== undefined && !byId.has(e.id)) byId.set(e.id, e);
  const sorted = [...byId.values()].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  const started = sorted.find((e) => e.type === 'ExecutionStarted');
  const reader = new HistoryReader(status);
  for (const e of sorted) reader.read(e, e.timestamp ?? started?.timestamp ?? new Date(0));
  return { sorted, started, reader };
};

/**
 * Where a run has left the database, DNS and the old primary so far, running or not (what `stop` shows before it
 * asks); undefined before the run has read its plan.
 */
export const worldSoFar = (events: readonly HistoryEvent[]): string[] | undefined => {
  const { state } = readHistory(events).reader;
  return state?.plan ? describeWorld(state, state.plan) : undefined;
};

/** Builds the run model from an execution's history events (any order; duplicates by id are ignored). */
export const runModelFromHistory = (events: readonly HistoryEvent[], ctx: HistoryContext = {}): RunModel => {
  const { sorted, started, reader } = readHistory(events, ctx.status);
  const executionInput = parseJson(started?.executionStartedEventDetails?.input) as
    | { incidentStartedAt?: unknown }
    | undefined;
  const startedAt = started?.timestamp;
  const { state, visited, status, stoppedAt } = reader;

  const input = state?.input;
  const start = input ? startSummary(input) : rawStart(executionInput);
  const incident =
    input?.incidentStartedAt ??
    (typeof executionInput?.incidentStartedAt === 'string' ? executionInput.incidentStartedAt : undefined);
  const zero =
    incident && !Number.isNaN(Date.parse(incident)) ? new Date(incident) : (startedAt ?? sorted[0]?.timestamp);
  const zeroMs = zero?.getTime() ?? 0;
  const steps = stepsOf(reader, (d) => d.getTime() - zeroMs, startedAt, stoppedAt ?? ctx.now);
  const outcome = outcomeOf(status, visited);
  const error =
    reader.error ??
    (state?.error && outcome !== 'succeeded'
      ? { name: state.error.Error, ...(state.error.Cause ? { cause: state.error.Cause } : {}) }
      : undefined);
  const rto = zero ? rtoOf(state, zeroMs) : undefined;
  const rpo = state ? rpoFromState(state) : undefined;
  const world = worldOf(outcome, state);
  const nextSteps = nextStepsOf(outcome, error?.name, state);
  const components = componentLanes(state, zeroMs);
  const artifacts = artifactChecksOf(state);
  const arn = ctx.executionArn;
  const name = nameOfArn(arn) ?? state?.run?.executionId?.split(':').at(-1) ?? 'execution';

  return {
    source: 'aws',
    execution: {
      name,
      ...(arn ? { arn } : {}),
      status,
      ...(startedAt ? { startedAt: startedAt.toISOString() } : {}),
      ...(stoppedAt ? { stoppedAt: stoppedAt.toISOString() } : {}),
    },
    outcome,
    zeroAt: (zero ?? new Date(0)).toISOString(),
    zeroLabel: incident ? 'incident' : 'run started',
    ...(state?.plan ? { plan: planSummary(state.plan) } : {}),
    ...(start ? { start } : {}),
    steps,
    visited,
    ...(rto ? { rto } : {}),
    ...(rpo ? { rpo } : {}),
    ...(error ? { error } : {}),
    // After a failure the state of the world says how the old primary was left: no second line for it.
    warnings: [...retryWarnings(steps), ...(state ? warningsFromState(state) : [])].filter(
      (w) => !(world && w.startsWith(UNFENCED)),
    ),
    ...(world ? { world } : {}),
    ...(nextSteps ? { nextSteps } : {}),
    ...(components ? { components } : {}),
    ...(artifacts ? { artifacts } : {}),
  };
};
