/**
 * `stop <execution> --reason "…"`: stops a run in progress (StopExecution, the reason as its cause), after
 * showing what the run has already changed and asking on a terminal (`--yes` for scripts). Stopping undoes
 * nothing: a promoted standby stays promoted, a switched record stays switched. The stack's run-ended rule
 * notifies the end like any other (Failover Stopped).
 */
import { createInterface } from 'node:readline/promises';
import { DescribeExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { STOPPED_BY_OPERATOR } from '#core/errors.js';
import { fetchHistory, runModelFromHistory, worldSoFar } from '#report/history.js';
import { awsIn, executionAccount } from '../aws-access.js';
import {
  type CliDeps,
  type CommandContext,
  colourEnabled,
  executionArnOf,
  localUser,
  paint,
  regionOfArn,
  type TargetOptions,
} from '../context.js';
import { CliError, EXIT, explain } from '../errors.js';
import { withTarget } from './options.js';

interface StopOptions extends TargetOptions {
  reason: string;
  yes?: boolean;
  by?: string;
  json?: boolean;
}

/** Asks on the terminal; only `y` or `yes` stops. */
const confirmed = async (deps: CliDeps, question: string): Promise<boolean> => {
  const rl = createInterface({ input: deps.stdin, output: { write: (s: string) => deps.stderr.write(s) } as never });
  try {
    const answer = await rl.question(question);
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    rl.close();
  }
};

export const registerStop = (program: Command, { deps, setExit }: CommandContext): void => {
  withTarget(
    program
      .command('stop <execution>')
      .description('stop a run in progress, after showing what it has changed so far (nothing is undone)')
      .requiredOption('--reason <text>', 'why: the cause of the stop, in the Failover Stopped notification')
      .option('--plan <name>', 'the plan, when <execution> is a name rather than an ARN')
      .option('--yes', 'do not ask (for scripts; without a terminal, stop refuses to run without it)')
      .option('--by <who>', 'who stops it (default cli:<local user>)')
      .option('--json', 'print JSON'),
  ).action(async (execution: string, opts: StopOptions) => {
    const reason = opts.reason.trim();
    if (!reason) throw new CliError('--reason must not be empty: say why the run is stopped', EXIT.badInput);
    if (!opts.yes && deps.stdin.isTTY !== true) {
      throw new CliError('stop asks for confirmation on a terminal: pass --yes to stop without asking', EXIT.badInput);
    }
    const executionArn = executionArnOf(execution, opts, deps.env);
    const client = await awsIn(deps, opts.region ?? regionOfArn(executionArn), executionAccount(executionArn));
    const p = paint(colourEnabled(deps.stderr, deps.env));
    let events: Awaited<ReturnType<typeof fetchHistory>>;
    let status: string | undefined;
    try {
      status = (await client.send(new DescribeExecutionCommand({ executionArn }))).status;
      events = await fetchHistory(client, executionArn);
    } catch (error) {
      throw explain(error, `DescribeExecution ${executionArn}`);
    }
    const model = runModelFromHistory(events, { executionArn, ...(status ? { status } : {}), now: deps.now() });
    const name = model.execution.name;
    if (status !== 'RUNNING') {
      deps.stdout.write(
        opts.json
          ? `${JSON.stringify({ stopped: false, executionArn, status })}\n`
          : `nothing to stop: run ${name} has already ended (${status ?? 'unknown'}${model.execution.stoppedAt ? ` at ${model.execution.stoppedAt}` : ''})\n`,
      );
      setExit(EXIT.ok);
      return;
    }
    const now = model.steps.filter((s) => s.endMs === undefined && s.kind !== 'detect').at(-1);
    const world = worldSoFar(events) ?? ['Nothing yet: the run has not read its plan.'];
    deps.stderr.write(
      `${p.bold(`run ${name}`)} is RUNNING${now ? `, now in ${now.name}` : ''}.\n` +
        `What it has changed so far:\n${world.map((w) => `  ${w}\n`).join('')}` +
        `${now ? `  (step ${now.name} is in progress and may be changing this now.)\n` : ''}` +
        'Stopping ends the run where it is and undoes nothing.\n',
    );
    if (!opts.yes && !(await confirmed(deps, `Stop run ${name}? [y/N] `))) {
      deps.stderr.write('not stopped: nothing was sent\n');
      setExit(EXIT.badInput);
      return;
    }
    const by = opts.by ?? localUser(deps.env);
    try {
      await client.send(
        new StopExecutionCommand({
          executionArn,
          error: STOPPED_BY_OPERATOR,
          cause: `${reason} (by ${by})`.slice(0, 32_768),
        }),
      );
    } catch (error) {
      throw explain(error, `StopExecution ${executionArn}`);
    }
    deps.stdout.write(
      opts.json
        ? `${JSON.stringify({ stopped: true, executionArn, by, reason, world })}\n`
        : `${p.red('stopped')} ${name} by ${by}: ${reason}\n  the stack notifies the end (Failover Stopped) like any other\n`,
    );
    setExit(EXIT.ok);
  });
};
