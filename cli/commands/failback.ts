/**
 * `failback --plan P --reason "…"`: the planned way back after a failover. Starts a planned run with trigger kind
 * `failback` in the stack of the plan's primary region (the region the run goes back to). Self-managed PostgreSQL:
 * that run's Prepare refuses, having changed nothing, unless the old primary already streams from the current writer.
 * RDS: the run itself preserves the old primary and builds a replica of the writer in its region first, unless one
 * already replicates (docs/architecture.md, The way home). Then follows the run like `watch`.
 */
import type { Command } from 'commander';
import { orientPlan } from '#core/direction.js';
import { ConfigurationError, InvalidInputError } from '#core/errors.js';
import type { Plan } from '#core/plan.js';
import { executionName, windowStamp } from '#core/trigger.js';
import { type CommandContext, findPlan, localUser } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { positiveSeconds, withTarget } from './options.js';
import { type LaunchOptions, launch, validInput } from './start.js';

interface FailbackOptions extends LaunchOptions {
  plan: string;
  reason: string;
  dryRun?: boolean;
  requestedBy?: string;
  overrideCooldown?: boolean;
  name?: string;
}

/** The plan as the way back runs it; a kind that cannot be turned round is refused here, before AWS is called. */
const wayBack = (plan: Plan): Plan => {
  try {
    return orientPlan(plan, 'standby');
  } catch (error) {
    if (!(error instanceof ConfigurationError || error instanceof InvalidInputError)) throw error;
    throw new CliError(`${error.message} (nothing was started)`, EXIT.badInput, { cause: error });
  }
};

export const registerFailback = (program: Command, { deps, setExit }: CommandContext): void => {
  withTarget(
    program
      .command('failback')
      .description(
        "fail back (planned, nothing lost) once the old primary streams from the current writer; run in the plan's primary region",
      )
      .requiredOption('--plan <name>', 'the plan to fail back (self-managed PostgreSQL, RDS, Aurora Global Database)')
      .requiredOption('--reason <text>', 'why, in words: it is in every notification')
      .option('--dry-run', 'run every read and check for real, change nothing', false)
      .option('--requested-by <who>', 'who is asking (default cli:<local user>)')
      .option('--override-cooldown', "start inside the plan's cooldown (recorded in notifications)", false)
      .option('--name <name>', 'execution name (default <plan>-failback-<minute>)')
      .option('--no-watch', 'return once the run has started')
      .option('--interval <seconds>', 'seconds between polls while following', positiveSeconds('--interval'), 5)
      .option('--json', 'print JSON: the started execution, then one object per line while following'),
  ).action(async (opts: FailbackOptions) => {
    const plan = findPlan(opts.plan, opts, deps.env);
    const target = wayBack(plan);
    const now = deps.now();
    const input = validInput(
      {
        plan: opts.plan,
        mode: 'planned',
        dryRun: opts.dryRun === true,
        reason: opts.reason,
        requestedBy: opts.requestedBy ?? localUser(deps.env),
        incidentStartedAt: now.toISOString(),
        overrideCooldown: opts.overrideCooldown === true,
        trigger: { kind: 'failback', source: 'dr-failover CLI' },
      },
      now,
    );
    const name = opts.name ?? executionName(plan.name, 'failback', windowStamp(now, 1));
    await launch({ deps, setExit }, opts, { target, input, name, what: 'failback' });
  });
};
