/**
 * Step Functions' executions of one Standard state machine, on the virtual clock (./clock.ts), behind the SDK mock
 * of test/statemachine/support.ts: StartExecution with its name idempotency, DescribeExecution, and a ListExecutions
 * that shows an execution only some time after it started. Each behaviour names the AWS page it is modelled on.
 */
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type ExecutionStatus,
  ListExecutionsCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { sfn } from '../statemachine/support.js';
import type { Clock } from './clock.js';

interface Execution {
  executionArn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
}

export class StepFunctionsWorld {
  readonly #clock: Clock;
  readonly #stateMachineArn: string;
  readonly #listingLagMs: number;
  readonly #executions = new Map<string, Execution>();
  #startRequests = 0;

  /** `listingLagMs`: how long after it starts an execution first appears in ListExecutions. */
  constructor(clock: Clock, stateMachineArn: string, listingLagMs: number) {
    this.#clock = clock;
    this.#stateMachineArn = stateMachineArn;
    this.#listingLagMs = listingLagMs;
    sfn.on(StartExecutionCommand).callsFake((input) => this.#start(input));
    sfn.on(ListExecutionsCommand).callsFake((input) => this.#list(input));
    sfn.on(DescribeExecutionCommand).callsFake((input) => this.#describe(input.executionArn));
  }

  /** Executions that exist, whether listed yet or not. */
  executions(): Execution[] {
    return [...this.#executions.values()];
  }

  /** StartExecution requests answered, duplicates included. */
  startRequests(): number {
    return this.#startRequests;
  }

  executionArnOf(name: string): string {
    return `${this.#stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  /** The execution ends (its last state ran). */
  end(name: string, status: ExecutionStatus): void {
    const e = this.#executions.get(name);
    if (!e) throw new Error(`no execution ${name}`);
    e.status = status;
    e.stopDate = new Date(this.#clock.now());
  }

  /**
   * StartExecution (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html): "If
   * StartExecution is called with the same name and input as a running execution, the call succeeds and return the
   * same response as the original request. If the execution is closed or if the input is different, it returns a
   * 400 ExecutionAlreadyExists error" (Standard workflows; names are unique for 90 days).
   */
  #start(input: { stateMachineArn?: string; name?: string; input?: string }) {
    this.#startRequests += 1;
    const name = input.name ?? `generated-${this.#executions.size + 1}`;
    const existing = this.#executions.get(name);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === (input.input ?? '{}')) {
        return { executionArn: existing.executionArn, startDate: existing.startDate };
      }
      throw new ExecutionAlreadyExists({
        $metadata: {},
        message: `Execution Already Exists: '${existing.executionArn}'`,
      });
    }
    const e: Execution = {
      executionArn: this.executionArnOf(name),
      name,
      input: input.input ?? '{}',
      status: 'RUNNING',
      startDate: new Date(this.#clock.now()),
    };
    this.#executions.set(name, e);
    return { executionArn: e.executionArn, startDate: e.startDate };
  }

  /**
   * ListExecutions (https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html): newest
   * first, `statusFilter`; "This operation is eventually consistent. The results are best effort and may not reflect
   * very recent updates and changes." Modelled as an execution listed only `listingLagMs` after it started.
   */
  #list(input: { statusFilter?: string }) {
    const visibleFrom = this.#clock.now() - this.#listingLagMs;
    return {
      executions: [...this.#executions.values()]
        .filter((e) => e.startDate.getTime() <= visibleFrom)
        .filter((e) => !input.statusFilter || e.status === input.statusFilter)
        .sort((a, b) => b.startDate.getTime() - a.startDate.getTime())
        .map(({ input: _input, ...listed }) => ({ ...listed, stateMachineArn: this.#stateMachineArn })),
    };
  }

  /** DescribeExecution answers for an execution as soon as StartExecution returned it. */
  #describe(executionArn: string | undefined) {
    const e = [...this.#executions.values()].find((x) => x.executionArn === executionArn);
    if (!e) throw new ExecutionDoesNotExist({ $metadata: {}, message: `Execution Does Not Exist: '${executionArn}'` });
    return { ...e, stateMachineArn: this.#stateMachineArn };
  }
}
