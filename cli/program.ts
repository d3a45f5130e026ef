/**
 * `dr-failover`: the command line of dr-failover (start, fail back, watch, approve, deny, report a failover; list and
 * validate plans). Built on commander; every command has --help and --json, exit codes are in errors.ts.
 */
import { Command, CommanderError } from 'commander';
import { registerApproval } from './commands/approval.js';
import { registerFailback } from './commands/failback.js';
import { registerPlans } from './commands/plans.js';
import { registerReadiness } from './commands/readiness.js';
import { registerReport } from './commands/report.js';
import { registerRuns } from './commands/runs.js';
import { registerStart } from './commands/start.js';
import { registerStop } from './commands/stop.js';
import { registerWatch } from './commands/watch.js';
import { type CliDeps, type CommandContext, colourEnabled, paint } from './context.js';
import { CliError, EXIT, EXIT_CODES_HELP, type ExitCode, explain } from './errors.js';

/** Commands, in the order --help lists them. A new command is one module under commands/ and one line here. */
const COMMANDS = [
  registerPlans,
  registerStart,
  registerFailback,
  registerWatch,
  registerRuns,
  registerStop,
  registerApproval,
  registerReport,
  registerReadiness,
];

/** An example for every command's --help (test/unit/cli/help.test.ts checks each command has one). */
export const EXAMPLES: Record<string, string[]> = {
  plans: ['npx dr-failover plans', 'npx dr-failover plans --json'],
  validate: ['npx dr-failover plans validate plans/orders.yml'],
  start: [
    'npx dr-failover start --plan orders --mode unplanned --reason "us-east-1 writes failing since 03:10 (INC-4211)"',
    'npx dr-failover start --plan orders --mode planned --dry-run --reason "game day rehearsal"',
  ],
  failback: ['npx dr-failover failback --plan ledger --reason "eu-west-1 rebuilt and streaming; back to us-east-1"'],
  watch: ['npx dr-failover watch orders-manual-20261125T0315Z --plan orders'],
  runs: ['npx dr-failover runs --plan orders --limit 5'],
  stop: ['npx dr-failover stop orders-manual-20261125T0315Z --plan orders --reason "wrong plan: paging the DB team"'],
  approve: ['npx dr-failover approve "$TOKEN" --plan orders --reason "checked with the DB team"'],
  deny: ['npx dr-failover deny "$TOKEN" --plan orders --reason "the primary is back: no failover"'],
  report: ['npx dr-failover report orders-manual-20261125T0315Z --plan orders --out ./INC-4211'],
  readiness: [
    'npx dr-failover readiness --plan orders',
    'npx dr-failover readiness --plan orders --check replication-lag,backup --json',
  ],
};

export const STATE_MACHINE_LOOKUP =
  "The state machine: --state-machine-arn, else DR_FAILOVER_STATE_MACHINE_ARN, else dr-failover-<stage> in the plan's standby region and account (stage: --stage, DR_FAILOVER_STAGE, default dev).";

/** What `dr-failover` alone prints: the commands, where the state machine is looked up, where to read more. */
const overview = (program: Command): string => {
  const commands = program.commands.filter((c) => c.name() !== 'help');
  const width = Math.max(...commands.map((c) => c.name().length));
  return [
    `dr-failover ${program.version()}: ${program.description()}`,
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name().padEnd(width)}  ${c.description()}`),
    '',
    STATE_MACHINE_LOOKUP,
    '`dr-failover <command> --help`: its options and an example; `dr-failover --help`: environment and exit codes.',
    '',
  ].join('\n');
};

const buildProgram = (ctx: CommandContext): Command => {
  const program = new Command('dr-failover')
    .description(
      'start, follow, stop, approve and report the failovers run by the dr-failover state machine; list runs and plans, check readiness',
    )
    .version('0.1.0')
    // `plans --json` and `plans validate --json`: each command reads the options written after it.
    .enablePositionalOptions()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `
Environment:
  AWS_PROFILE, AWS_REGION ...      the usual AWS SDK settings (credentials, default region)
  DR_FAILOVER_STATE_MACHINE_ARN    the failover state machine (else derived from the plan: dr-failover-<stage>
                                   in the plan's standby region and account)
  DR_FAILOVER_STAGE                the deployed stage (default dev)
  PLANS_DIR                        where plans are read (default ./plans)
  NO_COLOR                         no colour even on a terminal (colour is only ever used on a terminal)
${EXIT_CODES_HELP}`,
    );
  for (const register of COMMANDS) register(program, ctx);
  program.argument('[command]').action((command?: string) => {
    if (command !== undefined) {
      const names = program.commands.map((c) => c.name()).filter((n) => n !== 'help');
      throw new CliError(`unknown command "${command}": the commands are ${names.join(', ')}`, EXIT.badInput);
    }
    ctx.deps.stdout.write(overview(program));
    ctx.setExit(EXIT.ok);
  });
  const wire = (cmd: Command) => {
    cmd.exitOverride();
    cmd.configureOutput({
      writeOut: (s) => ctx.deps.stdout.write(s),
      writeErr: (s) => ctx.deps.stderr.write(s),
    });
    for (const sub of cmd.commands) {
      const examples = EXAMPLES[sub.name()];
      if (examples)
        sub.addHelpText(
          'after',
          `\nExample${examples.length > 1 ? 's' : ''}:\n${examples.map((e) => `  ${e}`).join('\n')}`,
        );
      if (sub.name() !== 'help') sub.addHelpText('after', EXIT_CODES_HELP);
      wire(sub);
    }
  };
  wire(program);
  return program;
};

/** Runs the CLI with `argv` (without node and the script); returns the exit code. Never throws. */
export const runCli = async (argv: readonly string[], deps: CliDeps): Promise<number> => {
  let code: ExitCode = EXIT.ok;
  const program = buildProgram({ deps, setExit: (c) => (code = c) });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with 0; every usage error (unknown option, missing argument) is bad input.
      return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    const explained = error instanceof CliError ? error : explain(error);
    const p = paint(colourEnabled(deps.stderr, deps.env));
    deps.stderr.write(`${p.red('dr-failover:')} ${explained.message}\n`);
    if (explained.exitCode === EXIT.internal && deps.env.DR_FAILOVER_DEBUG && error instanceof Error) {
      deps.stderr.write(`${error.stack ?? ''}\n`);
    } else if (explained.exitCode === EXIT.internal) {
      deps.stderr.write('(set DR_FAILOVER_DEBUG=1 for the stack trace)\n');
    }
    return explained.exitCode;
  }
};
