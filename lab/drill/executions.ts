/**
 * The drill's stand-in for Step Functions' StartExecution / ListExecutions / DescribeExecution: the trigger's
 * `ExecutionStarter` port and Prepare's `ExecutionLister` (the run guard),
 * starting each execution in aws-local-stepfunctions (lab/state-machine.ts). Like Step Functions,
 * it refuses a second execution of a name it already has, so the trigger's incident deduplication is exercised.
 */
import type { ExecutionInput } from '#core/input.js';
import type { ExecutionStarter, ExecutionSummary } from '#core/ports.js';
import type { LocalRunResult } from '../state-machine.js';

/** Runs one execution to its end (runLocal bound to the drill's handlers). */
export type Launch = (name: string, input: ExecutionInput) => Promise<LocalRunResult>;

interface Run {
  summary: ExecutionSummary & { name: string; startDate: Date };
  input: ExecutionInput;
  result: Promise<LocalRunResult>;
  arn: string;
}

/** runLocal names executions under this ARN prefix. */
const arnOf = (name: string) => `arn:aws:states:eu-west-1:000000000000:execution:dr-failover-local:${name}`;

export class LocalExecutions implements ExecutionStarter {
  readonly #runs = new Map<string, Run>();

  constructor(private readonly launch: Launch) {}

  async recentExecutions(since: Date): Promise<ExecutionSummary[]> {
    return [...this.#runs.values()]
      .map((r) => ({ ...r.summary, executionArn: r.arn }))
      .filter((s) => s.startDate >= since || s.status === 'RUNNING')
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  }

  async describeExecution(executionArn: string): Promise<ExecutionSummary & { input?: unknown }> {
    const run = [...this.#runs.values()].find((r) => r.arn === executionArn);
    return run ? { ...run.summary, executionArn, input: run.input } : { executionArn };
  }

  async start(
    name: string,
    input: ExecutionInput,
  ): Promise<{ outcome: 'started' | 'duplicate'; executionArn?: string }> {
    const existing = this.#runs.get(name);
    if (existing) return { outcome: 'duplicate', executionArn: existing.arn };
    const summary: Run['summary'] = { name, status: 'RUNNING', startDate: new Date() };
    const result = this.launch(name, input).then(
      (r) => {
        summary.status = r.status;
        summary.stopDate = new Date();
        return r;
      },
      (error: unknown) => {
        summary.status = 'FAILED';
        summary.stopDate = new Date();
        throw error;
      },
    );
    // Observed by result(); this keeps an unobserved failure from being reported as unhandled in the meantime.
    result.catch(() => undefined);
    this.#runs.set(name, { summary, input, result, arn: arnOf(name) });
    return { outcome: 'started', executionArn: arnOf(name) };
  }

  /** The end of an execution this starter started. */
  result(name: string): Promise<LocalRunResult> {
    const run = this.#runs.get(name);
    if (!run) return Promise.reject(new Error(`no execution named ${name}`));
    return run.result;
  }

  names(): string[] {
    return [...this.#runs.keys()];
  }
}
