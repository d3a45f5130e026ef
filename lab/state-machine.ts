import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Context } from 'aws-lambda';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { parse as parseYaml } from 'yaml';

/** One event of a local execution (the library does not export the type by name). */
export type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** The one definition: the file serverless.yml deploys. */
export const DEFINITION_FILE = fileURLToPath(new URL('../statemachines/failover.asl.yaml', import.meta.url));

export const loadDefinition = (file = DEFINITION_FILE): StateMachineDefinition =>
  // `merge: true` resolves the YAML anchors the file uses for its shared Retry blocks, as the deployment does.
  parseYaml(readFileSync(file, 'utf8'), { merge: true }) as StateMachineDefinition;

type AnyState = StateMachineDefinition['States'][string];

/**
 * Every state of the definition by name, those inside a Map's ItemProcessor (or Iterator) and a Parallel's branches
 * included: the emulator's overrides are keyed by state name at every level.
 */
export const allStates = (definition: Pick<StateMachineDefinition, 'States'>): [string, AnyState][] =>
  Object.entries(definition.States).flatMap(([name, state]) => {
    const nested = state as { ItemProcessor?: StateMachineDefinition; Iterator?: StateMachineDefinition };
    const inner = nested.ItemProcessor ?? nested.Iterator;
    const branches = (state as { Branches?: StateMachineDefinition[] }).Branches ?? [];
    return [[name, state], ...(inner ? allStates(inner) : []), ...branches.flatMap((b) => allStates(b))];
  });

/** `ms` for every state of `type`: the shape of the emulator's `waitTimeOverrides` and `retryIntervalOverrides`. */
export const overrideEach = (
  definition: StateMachineDefinition,
  type: 'Wait' | 'Task',
  ms: number,
): Record<string, number> =>
  Object.fromEntries(
    allStates(definition)
      .filter(([, s]) => s.Type === type)
      .map(([name]) => [name, ms]),
  );

/** A Lambda handler as the steps export it. */
export type LambdaHandler = (event: never, context: Context) => Promise<unknown>;

/** Handlers by the serverless function name their Task's `FunctionName` refers to (`Fn::GetAtt: [<Name>LambdaFunction, Arn]`). */
export type Handlers = Record<string, LambdaHandler>;

/** What a person answers to an approval request: output for SendTaskSuccess, or an error for SendTaskFailure. */
export type Approver = (request: { state: string; taskToken: string; payload: unknown }) => Promise<unknown>;

/** A task that waits for its token, as `LocalTaskTokens` reports it. */
export interface PendingTask {
  state: string;
  taskToken: string;
}

/**
 * The local executor's side of the callback pattern: what SendTaskSuccess and SendTaskFailure do on AWS. A token
 * is pending from the moment its task starts until it is answered; answering a token that is not pending throws
 * `TaskTimedOut`, as Step Functions refuses a closed task.
 */
export class LocalTaskTokens {
  readonly #pending = new Map<string, PendingTask & { settle: (error: Error | undefined, output?: unknown) => void }>();
  readonly #listeners: ((task: PendingTask) => void)[] = [];

  /** Opens a token; the promise settles with the answer. */
  open(state: string, taskToken: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#pending.set(taskToken, {
        state,
        taskToken,
        settle: (error, output) => {
          this.#pending.delete(taskToken);
          if (error) reject(error);
          else resolve(output);
        },
      });
    });
  }

  /** Tells listeners the task now waits (after its function published the request). */
  announce(taskToken: string): void {
    const task = this.#pending.get(taskToken);
    if (!task) return;
    for (const listener of this.#listeners.splice(0)) listener({ state: task.state, taskToken });
  }

  /** Resolves with the next task that starts waiting for its token. */
  nextPending(): Promise<PendingTask> {
    return new Promise((resolve) => this.#listeners.push(resolve));
  }

  pending(): PendingTask[] {
    return [...this.#pending.values()].map(({ state, taskToken }) => ({ state, taskToken }));
  }

  sendTaskSuccess(taskToken: string, output: unknown): void {
    this.#take(taskToken).settle(undefined, output);
  }

  sendTaskFailure(taskToken: string, error: string, cause: string): void {
    this.#take(taskToken).settle(Object.assign(new Error(cause), { name: error }));
  }

  /** Closes a token without an answer (its task failed or timed out). */
  close(taskToken: string): void {
    this.#pending.delete(taskToken);
  }

  #take(taskToken: string) {
    const task = this.#pending.get(taskToken);
    if (!task) {
      throw Object.assign(new Error('Task Timed Out: the task does not exist anymore'), { name: 'TaskTimedOut' });
    }
    return task;
  }
}

interface TaskParameters {
  FunctionName?: { 'Fn::GetAtt'?: [string, string] } | string;
  Payload?: unknown;
}

const functionOf = (params: TaskParameters): string => {
  const fn = params.FunctionName;
  const logicalId = typeof fn === 'object' && fn !== null ? fn['Fn::GetAtt']?.[0] : undefined;
  if (!logicalId?.endsWith('LambdaFunction'))
    throw new Error(`Task has no Fn::GetAtt FunctionName: ${JSON.stringify(fn)}`);
  const name = logicalId.slice(0, -'LambdaFunction'.length);
  return name.charAt(0).toLowerCase() + name.slice(1);
};

export const lambdaContext = (functionName: string, timeoutMs: number): Context => {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:000000000000:function:dr-failover-local-${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/dr-failover-local-${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

export interface LocalRunOptions {
  handlers: Handlers;
  /** Answers `.waitForTaskToken` states; without one, they wait for `taskTokens` or their timeout. */
  approver?: Approver;
  /** SendTaskSuccess / SendTaskFailure of this run (a local approval timer fails tokens through it). */
  taskTokens?: LocalTaskTokens;
  executionName?: string;
  /** Wait state name → milliseconds (0 in tests). Unlisted waits take their real time. */
  waitTimeOverrides?: Record<string, number>;
  /** Retrying state name → milliseconds between attempts (0 in tests). */
  retryIntervalOverrides?: Record<string, number>;
  /** Called as each event happens (the drill's live progress). */
  onEvent?: (event: EventLog) => void;
  definition?: StateMachineDefinition;
  /**
   * Validate the definition when the execution starts (default true). Step Functions validates at
   * CreateStateMachine, not per StartExecution; the drill validates once up front and passes false, so the
   * emulator's ~0.5 s schema check is not counted in its RTO.
   */
  validate?: boolean;
}

/** An answer to a task that no longer waits (its timer fired first) is refused, as on AWS: nothing to do. */
const answer = (send: () => void) => {
  try {
    send();
  } catch {
    // TaskTimedOut: the task closed before this answer.
  }
};

export interface LocalRunResult {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
  events: EventLog[];
  /** Names of the states entered, in order. */
  visited: string[];
  executionId: string;
}

/**
 * Executes the real definition in aws-local-stepfunctions with each Task bound to the real handler of the
 * function it names. A Lambda Task's local handler gets the resolved Parameters ({FunctionName, Payload}) and
 * returns what AWS returns ({Payload}), so OutputPath and ResultSelector behave as deployed.
 */
export const runLocal = async (input: unknown, options: LocalRunOptions): Promise<LocalRunResult> => {
  const definition = options.definition ?? loadDefinition();
  const executionName = options.executionName ?? `local-${randomUUID()}`;
  const executionId = `arn:aws:states:eu-west-1:000000000000:execution:dr-failover-local:${executionName}`;
  const tokens = options.taskTokens ?? new LocalTaskTokens();
  let tasksStarted = 0;
  const taskHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [stateName, state] of allStates(definition)) {
    if (state.Type !== 'Task') continue;
    const waitsForToken = state.Resource.endsWith('.waitForTaskToken');
    const timeoutMs = (state.TimeoutSeconds ?? 60) * 1000;
    taskHandlers[stateName] = async (params) => {
      const p = params as TaskParameters;
      const fn = functionOf(p);
      const handler = options.handlers[fn];
      if (!handler) throw new Error(`no local handler bound for function ${fn} (state ${stateName})`);
      if (!waitsForToken) {
        const result = await handler(p.Payload as never, lambdaContext(fn, timeoutMs));
        return { Payload: result, StatusCode: 200, ExecutedVersion: '$LATEST' };
      }
      // The emulator's $$.Task.Token is one value per execution; Step Functions issues one per task.
      tasksStarted += 1;
      const payload = p.Payload as { taskToken?: string };
      const taskToken = `${payload.taskToken ?? 'local-token'}.${stateName}.${tasksStarted}`;
      const answered = tokens.open(stateName, taskToken);
      // A timer may fail the token before the emulator awaits it: that rejection is handled, by the emulator.
      answered.catch(() => undefined);
      try {
        await handler({ ...payload, taskToken } as never, lambdaContext(fn, timeoutMs));
      } catch (error) {
        tokens.close(taskToken);
        throw error;
      }
      tokens.announce(taskToken);
      if (options.approver) {
        options.approver({ state: stateName, taskToken, payload: { ...payload, taskToken } }).then(
          (output) => answer(() => tokens.sendTaskSuccess(taskToken, output)),
          (error: Error) => answer(() => tokens.sendTaskFailure(taskToken, error.name, error.message)),
        );
      }
      return answered;
    };
  }
  const machine = new StateMachine(definition, {
    validationOptions: { checkArn: false, ...(options.validate === false ? { noValidate: true } : {}) },
  });
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: taskHandlers as never,
      ...(options.waitTimeOverrides ? { waitTimeOverrides: options.waitTimeOverrides } : {}),
      ...(options.retryIntervalOverrides ? { retryIntervalOverrides: options.retryIntervalOverrides } : {}),
    },
    context: {
      Execution: { Id: executionId, Name: executionName },
      Task: { Token: `local-token-${randomUUID()}` },
    },
  });
  const events: EventLog[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) {
      events.push(event);
      options.onEvent?.(event);
    }
  })();
  let status: LocalRunResult['status'] = 'SUCCEEDED';
  let output: unknown;
  let error: string | undefined;
  let cause: string | undefined;
  try {
    output = await execution.result;
  } catch (e) {
    status = 'FAILED';
    const failed = e as { name?: string; message?: string; cause?: unknown };
    error = failed.name;
    cause = failed.message;
  }
  await collecting;
  const failedEvent = events.find((e) => e.type === 'ExecutionFailed') as
    | { Error?: string; Cause?: unknown }
    | undefined;
  if (failedEvent) {
    error = failedEvent.Error ?? error;
    cause = typeof failedEvent.Cause === 'string' ? failedEvent.Cause : JSON.stringify(failedEvent.Cause ?? cause);
  }
  const visited = events
    .filter((e) => e.type === 'StateEntered')
    .map((e) => (e as { state: { name: string } }).state.name);
  return { status, output, ...(error ? { error } : {}), ...(cause ? { cause } : {}), events, visited, executionId };
};
