/**
 * Fault injection for the state-machine fault matrix (faults*.test.ts): the real definition and the real
 * handlers, with failures injected where they happen on AWS: in an AWS API call (the SDK's own exception
 * classes or real AWS error codes), in the Lambda invocation (`Lambda.*` errors, a function timeout, a lost
 * response) or in the Task itself (`States.Timeout`).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from 'aws-lambda';
import { vi } from 'vitest';
import type { Approver, Handlers, LambdaHandler, LocalRunResult } from '#lab/state-machine.js';
import { ALL_MOCKS, execute, realHandlers } from './support.js';

// ------------------------------------------------------------------ AWS errors, as the SDK raises them

/** An error as the SDK raises it for an AWS error code the client has no class for (name = the code). */
export const awsError = (name: string, message: string, httpStatusCode: number): Error =>
  Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
  });

export const throttling = (code = 'ThrottlingException') => awsError(code, 'Rate exceeded', 400);
export const serverError = (code: 'InternalFailure' | 'ServiceUnavailable' | 'InternalError', status = 500) =>
  awsError(code, 'We encountered an internal error. Please try again.', status);
export const accessDenied = (code = 'AccessDeniedException') =>
  awsError(code, 'User: arn:aws:sts::111122223333:assumed-role/dr-failover is not authorized', 403);

/** The AWS commands a client mock can be told about; structural, so one helper serves every client. */
type CommandClass = abstract new (...args: never[]) => object;
interface ClientStub {
  on(command: CommandClass, input?: unknown): { callsFake(fn: (input: unknown) => unknown): unknown };
  calls(): { args: unknown[] }[];
}
/** The mocks of support.ts, seen through the little of their API the kit uses. */
export const stub = (mock: (typeof ALL_MOCKS)[number]): ClientStub =>
  // The mocks' `on` is generic over each client's own command union; the kit only needs its shape.
  mock as unknown as ClientStub;

// ------------------------------------------------------------------ which Task is running, and its invocations

/**
 * What happens to one Lambda invocation of a Task:
 * - `fail-invoke`: the Lambda service answers with `error` before the function runs (Lambda.ServiceException, ...);
 * - `lose-response`: the function runs to the end, then the invocation fails with `error` (the response is lost);
 * - `hang`: the function never answers, so the Task's TimeoutSeconds ends it (States.Timeout);
 * - `function-timeout`: the function reaches its own timeout while an AWS call hangs: middy's early timeout
 *   fails it with TimeoutError, as the deployed function does a second before Lambda would kill it.
 */
export type LambdaFault =
  | { kind: 'fail-invoke'; error: string }
  | { kind: 'lose-response'; error: string }
  | { kind: 'hang' }
  | { kind: 'function-timeout' };

/** An error as the Step Functions Lambda integration reports it: only its name reaches Retry and Catch. */
export const lambdaError = (name: string) =>
  Object.assign(new Error(`${name}: injected by the fault matrix`), { name });

export interface Tracker {
  /** The real handlers (and a scenario's overrides), each wrapped to record what ran. */
  handlers: Handlers;
  /** Task name (the payload's `step`) → how many times its function was invoked. */
  attempts: Map<string, number>;
  /**
   * A predicate true while code of `step`'s invocation runs whose attempt number passes `attempts` (all by default):
   * AWS calls are attributed to the invocation that makes them, even one still running after its Task moved on.
   */
  during: (step: string, attempts?: (attempt: number) => boolean) => () => boolean;
  /** Task name → the AWS commands sent while it ran (every client mock), in order. */
  commandsByStep: () => Map<string, string[]>;
  /** Resolves when an injected hang starts, so a test can move the clock past the Task's timeout. */
  hung: Promise<void>;
  /** Marks a hang that happens outside a handler (an approval nobody answers). */
  hang: () => void;
}

export const track = (
  overrides: Partial<Handlers> = {},
  lambdaFault: (step: string, attempt: number) => LambdaFault | undefined = () => undefined,
): Tracker => {
  const attempts = new Map<string, number>();
  const invocation = new AsyncLocalStorage<{ step: string; attempt: number }>();
  const marks: { step: string; at: number[] }[] = [];
  let hang: () => void = () => undefined;
  const hung = new Promise<void>((resolve) => {
    hang = resolve;
  });
  const wrap =
    (real: LambdaHandler): LambdaHandler =>
    async (event, context) => {
      const step = (event as { step?: string }).step ?? '?';
      const attempt = (attempts.get(step) ?? 0) + 1;
      attempts.set(step, attempt);
      marks.push({ step, at: ALL_MOCKS.map((m) => m.calls().length) });
      const fault = lambdaFault(step, attempt);
      if (fault?.kind === 'fail-invoke') throw lambdaError(fault.error);
      if (fault?.kind === 'hang') {
        hang();
        return new Promise(() => undefined);
      }
      // No time left: middy's early timeout fires on the next tick, while the step's AWS call hangs.
      const ctx: Context =
        fault?.kind === 'function-timeout' ? { ...context, getRemainingTimeInMillis: () => 0 } : context;
      const result = await invocation.run({ step, attempt }, () => real(event, ctx));
      if (fault?.kind === 'lose-response') throw lambdaError(fault.error);
      return result;
    };
  const during =
    (step: string, accept: (attempt: number) => boolean = () => true) =>
    () => {
      const running = invocation.getStore();
      return running?.step === step && accept(running.attempt);
    };
  const all = { ...realHandlers(), ...overrides } as Handlers;
  const handlers = Object.fromEntries(Object.entries(all).map(([fn, h]) => [fn, wrap(h)])) as Handlers;
  const commandsByStep = () => {
    const byStep = new Map<string, string[]>();
    const end = ALL_MOCKS.map((m) => m.calls().length);
    marks.forEach((mark, i) => {
      const until = marks[i + 1]?.at ?? end;
      const names = ALL_MOCKS.flatMap((m, k) =>
        m
          .calls()
          .slice(mark.at[k], until[k])
          .map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, '')),
      );
      byStep.set(mark.step, [...(byStep.get(mark.step) ?? []), ...names]);
    });
    return byStep;
  };
  return { handlers, attempts, during, commandsByStep, hung, hang: () => hang() };
};

// ------------------------------------------------------------------ faults in AWS calls

/** One AWS call that misbehaves: rejects with an SDK error, answers something else, or never answers. */
export interface AwsFault {
  label: string;
  mock: (typeof ALL_MOCKS)[number];
  command: CommandClass;
  /** A fresh error each time (SDK errors carry per-call metadata). */
  error?: () => Error;
  /** Instead of an error: the answer AWS gives (a world that looks different to this step). */
  answer?: (input: unknown) => unknown;
}

/**
 * Makes `fault.command` misbehave whenever `active()` says so (see Tracker.during), and otherwise answer as the
 * world registered before it does. Registered after the world: the mock picks the last matching behaviour, so the
 * world stays untouched. `active` must be a pure read: the mock evaluates it more than once per call. With `hang`,
 * the call never answers (and `hang` is told).
 */
export const inject = (fault: AwsFault, active: () => boolean, hang?: () => void): { hits: number } => {
  const counter = { hits: 0 };
  stub(fault.mock)
    .on(fault.command, active)
    .callsFake((input) => {
      counter.hits += 1;
      if (hang) {
        hang();
        return new Promise(() => undefined);
      }
      if (fault.answer) return Promise.resolve(fault.answer(input));
      return Promise.reject(fault.error?.() ?? new Error(`${fault.label}: no error given`));
    });
  return counter;
};

// ------------------------------------------------------------------ scenarios

/** A run that reaches a Task, and how it ends when nothing is injected. */
export interface Scenario {
  name: string;
  input: Record<string, unknown>;
  world: () => void;
  handlers?: Partial<Handlers>;
  approver?: Approver;
  ends: { status: 'SUCCEEDED' } | { status: 'FAILED'; error: string; last: 'Failed' | 'Aborted' };
}

export interface FaultRun extends LocalRunResult {
  tracker: Tracker;
  /** Task name → how many times the state machine retried it. */
  retried: Map<string, number>;
}

const retriesOf = (run: LocalRunResult) => {
  const retried = new Map<string, number>();
  for (const e of run.events) {
    if (e.type !== 'StateRetried') continue;
    const name = (e as { state: { name: string } }).state.name;
    retried.set(name, (retried.get(name) ?? 0) + 1);
  }
  return retried;
};

/**
 * Executes a scenario with a tracker, without the emulator's schema check: the matrix executes over a hundred runs
 * of the one definition, which test/statemachine/failover.test.ts executes validated. With `timeoutAfterHang`, the Task timers run on a fake clock that is moved
 * that many seconds once the injected hang starts, so `States.Timeout` fires without waiting for it.
 */
export const runScenario = async (
  scenario: Scenario,
  tracker: Tracker,
  options: { approver?: Approver; timeoutAfterHang?: number } = {},
): Promise<FaultRun> => {
  const approver = options.approver ?? scenario.approver;
  if (options.timeoutAfterHang === undefined) {
    const run = await execute(scenario.input, {
      handlers: tracker.handlers,
      validate: false,
      ...(approver ? { approver } : {}),
    });
    return { ...run, tracker, retried: retriesOf(run) };
  }
  // Only the timer functions: the runner's Task and execution timeouts. Waits and retry intervals are zero.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  try {
    const pending = execute(scenario.input, {
      handlers: tracker.handlers,
      validate: false,
      ...(approver ? { approver } : {}),
    });
    await tracker.hung;
    await vi.advanceTimersByTimeAsync(options.timeoutAfterHang * 1000);
    const run = await pending;
    return { ...run, tracker, retried: retriesOf(run) };
  } finally {
    vi.useRealTimers();
  }
};

/** An approver that never answers, marking the hang so the test can move the clock. */
export const silentApprover =
  (tracker: Tracker): Approver =>
  () => {
    tracker.hang();
    return new Promise(() => undefined);
  };
