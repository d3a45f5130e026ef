/** `watch <execution>`: live progress of a run until it ends; the exit code is the run's outcome. */
import type { Command } from 'commander';
import { awsIn, executionAccount } from '../aws-access.js';
import {
  type CommandContext,
  colourEnabled,
  executionArnOf,
  paint,
  regionOfArn,
  type TargetOptions,
} from '../context.js';
import { exitCodeOf, follow } from '../follow.js';
import { positiveSeconds, withTarget } from './options.js';

interface WatchOptions extends TargetOptions {
  interval: number;
  timeout?: number;
  json?: boolean;
}

export const registerWatch = (program: Command, { deps, setExit }: CommandContext): void => {
  withTarget(
    program
      .command('watch <execution>')
      .description(
        'follow a run: each step as it starts and ends, durations, retries, the lag measured, then the outcome with RTO and RPO',
      )
      .option('--plan <name>', 'the plan, when <execution> is a name rather than an ARN')
      .option('--interval <seconds>', 'seconds between polls', positiveSeconds('--interval'), 5)
      .option(
        '--timeout <seconds>',
        'stop following after this long (exit 6; the run goes on)',
        positiveSeconds('--timeout'),
      )
      .option('--json', 'one JSON object per line: step-started, retry, step-ended, then ended'),
  ).action(async (execution: string, opts: WatchOptions) => {
    const executionArn = executionArnOf(execution, opts, deps.env);
    const client = await awsIn(deps, opts.region ?? regionOfArn(executionArn), executionAccount(executionArn));
    const model = await follow({
      client,
      executionArn,
      intervalMs: opts.interval * 1000,
      sleep: deps.sleep,
      now: deps.now,
      out: deps.stdout,
      paint: paint(colourEnabled(deps.stdout, deps.env)),
      json: opts.json === true,
      ...(opts.timeout !== undefined ? { maxPolls: Math.max(1, Math.ceil(opts.timeout / opts.interval)) } : {}),
    });
    setExit(exitCodeOf(model));
  });
};
