/**
 * `start --plan P --mode planned|unplanned --reason "…"`: validates the execution input with the same schema
 * Prepare uses (bad input is refused here, with the field, before anything is sent), starts the state machine,
 * then follows the run like `watch`.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { InvalidInputError } from '#core/errors.js';
import { type ExecutionInput, parseExecutionInput } from '#core/input.js';
import type { Plan } from '#core/plan.js';
import { executionName, windowStamp } from '#core/trigger.js';
import { awsIn } from '../aws-access.js';
import {
  type CommandContext,
  colourEnabled,
  executionArnIn,
  findPlan,
  localUser,
  paint,
  regionOf,
  type TargetOptions,
  targetStateMachineArn,
} from '../context.js';
import { CliError, EXIT, explain } from '../errors.js';
import { exitCodeOf, follow } from '../follow.js';
import { positiveSeconds, withTarget } from './options.js';

interface StartOptions extends LaunchOptions {
  plan: string;
  mode: string;
  reason: string;
  dryRun?: boolean;
  requestedBy?: string;
  incidentStartedAt?: string;
  overrideCooldown?: boolean;
  name?: string;
}

export const registerStart = (program: Command, { deps, setExit }: CommandContext): void => {
  withTarget(
    program
      .command('start')
      .description(
        'start a failover run of a plan (validated first: bad input is refused before AWS is called), then follow it',
      )
      .requiredOption('--plan <name>', 'the plan to fail over')
      .requiredOption(
        '--mode <mode>',
        'planned (old primary healthy: fence first, lose nothing) or unplanned (primary region failing)',
      )
      .requiredOption('--reason <text>', 'why, in words: it is in every notification')
      .option('--dry-run', 'run every read and check for real, change nothing', false)
      .option('--requested-by <who>', 'who is asking (default cli:<local user>)')
      .option(
        '--incident-started-at <iso>',
        'when the incident began, ISO-8601 (default now): the RTO counts from here',
      )
      .option('--override-cooldown', "start inside the plan's cooldown (recorded in notifications)", false)
      .option('--name <name>', 'execution name (default <plan>-manual-<minute>: one run per plan per minute)')
      .option('--no-watch', 'return once the run has started')
      .option('--interval <seconds>', 'seconds between polls while following', positiveSeconds('--interval'), 5)
      .option('--json', 'print JSON: the started execution, then one object per line while following'),
  ).action(async (opts: StartOptions) => {
    const plan = findPlan(opts.plan, opts, deps.env);
    const now = deps.now();
    const input = validInput(
      {
        plan: opts.plan,
        mode: opts.mode,
        dryRun: opts.dryRun === true,
        reason: opts.reason,
        requestedBy: opts.requestedBy ?? localUser(deps.env),
        incidentStartedAt: opts.incidentStartedAt ?? now.toISOString(),
        overrideCooldown: opts.overrideCooldown === true,
        trigger: { kind: 'manual', source: 'dr-failover CLI' },
      },
      now,
    );
    const name = opts.name ?? executionName(plan.name, 'manual', windowStamp(now, 1));
    await launch({ deps, setExit }, opts, { target: plan, input, name, what: 'failover' });
  });
};

/** The input checked with the schema Prepare uses: refused here, naming the field, before anything is sent. */
export const validInput = (raw: Record<string, unknown>, now: Date): ExecutionInput => {
  try {
    return parseExecutionInput(raw, now);
  } catch (error) {
    if (error instanceof InvalidInputError) {
      throw new CliError(`invalid input: ${error.message} (nothing was started)`, EXIT.badInput, { cause: error });
    }
    throw error;
  }
};

export interface LaunchOptions extends TargetOptions {
  watch: boolean;
  interval: number;
  json?: boolean;
}

/**
 * StartExecution of a valid input on the state machine of `target` (the plan as the run will go: its standby region
 * and account), then, unless --no-watch, follows the run like `watch`.
 */
export const launch = async (
  { deps, setExit }: CommandContext,
  opts: LaunchOptions,
  run: { target: Plan; input: ExecutionInput; name: string; what: string },
): Promise<void> => {
  const { target: plan, input, name } = run;
  const stateMachineArn = targetStateMachineArn(opts, deps.env, plan);
  const region = regionOf(opts, deps.env, plan);
  const client = await awsIn(deps, region, { account: plan.accountId, what: `plan ${plan.name}` });
  let executionArn: string;
  try {
    const out = await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    executionArn = out.executionArn ?? executionArnIn(stateMachineArn, name);
  } catch (error) {
    if ((error as Error).name === 'ExecutionAlreadyExists') {
      throw new CliError(
        `an execution named ${name} already exists (one incident, one run): follow it with \`dr-failover watch ${name} --plan ${plan.name}\`, or pass --name`,
        EXIT.aws,
        { cause: error },
      );
    }
    throw explain(error, `StartExecution ${stateMachineArn}`);
  }
  const p = paint(colourEnabled(deps.stdout, deps.env));
  if (opts.json) {
    deps.stdout.write(`${JSON.stringify({ event: 'started', executionArn, name, input })}\n`);
  } else {
    deps.stdout.write(
      `${p.bold('started')} ${executionArn}\n  ${input.mode} ${run.what} of ${plan.name} (${plan.regions.primary} → ${plan.regions.standby})${input.dryRun ? ', dry run' : ''}, by ${input.requestedBy}: ${input.reason}\n`,
    );
  }
  if (!opts.watch) {
    setExit(EXIT.ok);
    return;
  }
  const model = await follow({
    client,
    executionArn,
    intervalMs: opts.interval * 1000,
    sleep: deps.sleep,
    now: deps.now,
    out: deps.stdout,
    paint: p,
    json: opts.json === true,
  });
  setExit(exitCodeOf(model));
};
