/**
 * `report <execution>`: rebuilds the run from its history (GetExecutionHistory, every page) and writes the same
 * report as the drill: report.json, report.md and timeline.svg.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { writeRunReport } from '#report/render.js';
import { awsIn, executionAccount } from '../aws-access.js';
import {
  type CommandContext,
  colourEnabled,
  executionArnOf,
  paint,
  regionOfArn,
  type TargetOptions,
} from '../context.js';
import { EXIT } from '../errors.js';
import { readRun } from '../follow.js';
import { withTarget } from './options.js';

interface ReportOptions extends TargetOptions {
  out?: string;
  json?: boolean;
}

export const registerReport = (program: Command, { deps, setExit }: CommandContext): void => {
  withTarget(
    program
      .command('report <execution>')
      .description('write report.json, report.md and timeline.svg of a run, rebuilt from its execution history')
      .option('--plan <name>', 'the plan, when <execution> is a name rather than an ARN')
      .option('--out <dir>', 'where to write (default run-report/<execution name>)')
      .option('--json', 'print the run model as JSON (the files are written too)'),
  ).action(async (execution: string, opts: ReportOptions) => {
    const executionArn = executionArnOf(execution, opts, deps.env);
    const client = await awsIn(deps, opts.region ?? regionOfArn(executionArn), executionAccount(executionArn));
    const { model } = await readRun(client, executionArn, deps.now());
    const dir = opts.out ?? path.join('run-report', model.execution.name);
    const files = await writeRunReport(dir, model);
    if (opts.json) {
      deps.stdout.write(`${JSON.stringify({ files, run: model }, null, 2)}\n`);
    } else {
      const p = paint(colourEnabled(deps.stdout, deps.env));
      deps.stdout.write(
        `${p.bold(model.execution.name)}: ${model.outcome}\n  ${files.markdown}\n  ${files.json}\n  ${files.svg}\n`,
      );
    }
    setExit(EXIT.ok);
  });
};
