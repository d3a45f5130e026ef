/** The stack's own parts, in the standby region: the failover state machine and every function it needs. */
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { hasAwsErrorName, translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import type { StackNames, StackResourceFacts } from '#core/ports.js';

export interface StackReadinessDeps {
  sfn?: () => SFNClient;
  lambda?: () => LambdaClient;
}

export class StackReader {
  readonly #stack: StackNames;
  readonly #sfn: () => SFNClient;
  readonly #lambda: () => LambdaClient;

  constructor(region: string, stack: StackNames, deps: StackReadinessDeps = {}) {
    this.#stack = stack;
    this.#sfn = deps.sfn ?? (() => clientFor(SFNClient, region));
    this.#lambda = deps.lambda ?? (() => clientFor(LambdaClient, region));
  }

  async stateMachine(): Promise<StackResourceFacts> {
    const arn = this.#stack.stateMachineArn;
    const name = arn.slice(arn.lastIndexOf(':') + 1);
    try {
      const out = await this.#sfn().send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
      return { name, exists: true, ...(out.status ? { state: out.status } : {}) };
    } catch (error) {
      if (hasAwsErrorName(error, 'StateMachineDoesNotExist')) return { name, exists: false };
      throw translateAwsError(error, `DescribeStateMachine ${arn}`);
    }
  }

  /**
   * GetFunctionConfiguration rather than GetFunction: the state and last update are all this needs, without a
   * presigned link to the code.
   */
  async functions(): Promise<StackResourceFacts[]> {
    const client = this.#lambda();
    return Promise.all(this.#stack.functionNames.map((name) => functionFacts(client, name)));
  }
}

/** One function's state and last update (a stack function by name, or a custom action's by ARN); missing: exists false. */
export const functionFacts = async (client: LambdaClient, name: string): Promise<StackResourceFacts> => {
  try {
    const out = await client.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    const facts: StackResourceFacts = { name, exists: true };
    if (out.State) facts.state = out.State;
    if (out.LastUpdateStatus) facts.lastUpdate = out.LastUpdateStatus;
    const reason = out.StateReason ?? out.LastUpdateStatusReason;
    if (reason) facts.detail = reason;
    return facts;
  } catch (error) {
    if (hasAwsErrorName(error, 'ResourceNotFoundException')) return { name, exists: false };
    throw translateAwsError(error, `GetFunctionConfiguration ${name}`);
  }
};
