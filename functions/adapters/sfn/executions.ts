import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionAlreadyExists,
  paginateListExecutions,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { ExecutionInput } from '#core/input.js';
import type { ExecutionStarter, ExecutionSummary } from '#core/ports.js';
import { parseJson } from '#core/text.js';
import { translateAwsError } from '../aws-errors.js';
import { clientFor } from '../client-cache.js';

/**
 * The failover state machine's executions, through the Step Functions API in the stack's own region: the
 * trigger lists and starts them, Prepare lists and describes them (the run guard, functions/core/runs.ts).
 */
export class StepFunctionsExecutions implements ExecutionStarter {
  readonly #stateMachineArn: string;
  readonly #client: () => SFNClient;

  constructor(stateMachineArn: string, deps: { sfn?: () => SFNClient } = {}) {
    this.#stateMachineArn = stateMachineArn;
    const region = stateMachineArn.split(':')[3] ?? process.env.AWS_REGION ?? 'us-east-1';
    this.#client = deps.sfn ?? (() => clientFor(SFNClient, region));
  }

  async recentExecutions(since: Date): Promise<ExecutionSummary[]> {
    try {
      // Every RUNNING execution, however old (a long approval wait), then the recent ones of any status.
      const running = await this.#list({ statusFilter: 'RUNNING' });
      const recent = await this.#list({}, since);
      return [...running, ...recent.filter((e) => e.status !== 'RUNNING')];
    } catch (error) {
      throw translateAwsError(error, `ListExecutions ${this.#stateMachineArn}`);
    }
  }

  /** Lists executions, newest first; with `since`, stops paging once a page reaches older ones. */
  async #list(filter: { statusFilter?: 'RUNNING' }, since?: Date): Promise<ExecutionSummary[]> {
    const found: ExecutionSummary[] = [];
    for await (const page of paginateListExecutions(
      { client: this.#client(), pageSize: 100 },
      { stateMachineArn: this.#stateMachineArn, ...filter },
    )) {
      // `page` is undefined only from a mock with no answer configured: no executions.
      const executions = page?.executions ?? [];
      for (const e of executions) {
        found.push({
          ...(e.executionArn ? { executionArn: e.executionArn } : {}),
          ...(e.name ? { name: e.name } : {}),
          ...(e.status ? { status: e.status } : {}),
          ...(e.startDate ? { startDate: e.startDate } : {}),
          ...(e.stopDate ? { stopDate: e.stopDate } : {}),
        });
      }
      const oldest = executions.at(-1)?.startDate;
      if (since && (!oldest || oldest < since)) break;
    }
    return found;
  }

  async describeExecution(executionArn: string): Promise<ExecutionSummary & { input?: unknown }> {
    // undefined only from a mock that has no answer configured; AWS always answers with the execution.
    let out: DescribeExecutionCommandOutput | undefined;
    try {
      out = await this.#client().send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      throw translateAwsError(error, `DescribeExecution ${executionArn}`);
    }
    // Not JSON: such a run was refused by Prepare and belongs to no plan.
    const input = parseJson(out?.input);
    return {
      executionArn,
      ...(out?.name ? { name: out.name } : {}),
      ...(out?.status ? { status: out.status } : {}),
      ...(out?.startDate ? { startDate: out.startDate } : {}),
      ...(out?.stopDate ? { stopDate: out.stopDate } : {}),
      ...(input === undefined ? {} : { input }),
    };
  }

  async start(
    name: string,
    input: ExecutionInput,
  ): Promise<{ outcome: 'started' | 'duplicate'; executionArn?: string }> {
    try {
      const out = await this.#client().send(
        new StartExecutionCommand({ stateMachineArn: this.#stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return { outcome: 'started', ...(out.executionArn ? { executionArn: out.executionArn } : {}) };
    } catch (error) {
      // Same name = same incident, already started by a sibling event: success.
      if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') {
        return { outcome: 'duplicate' };
      }
      throw translateAwsError(error, `StartExecution ${name}`);
    }
  }
}
