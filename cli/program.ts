/**
 * `dr-failover`: the command line of dr-failover (start, watch, approve, deny, report a failover; list and
 * validate plans). Built on commander; every command has --help and --json, exit codes are in errors.ts.
 */
import { Command, CommanderError } from 'commander';
import { registerApproval } from './commands/approval.js';
import { registerPlans } from './commands/plans.js';
import { registerReadiness } from './commands/readiness.js';
import { registerReport } from './commands/report.js';
import { registerStart } from './commands/start.js';
import { registerWatch } from './commands/watch.js';
import { type CliDeps, type CommandContext, colourEnabled, paint } from './context.js';
import { CliError, EXIT, EXIT_CODES_HELP, type ExitCode, explain } from './errors.js';

/** Commands, in the order --help lists them. A new command is one module under commands/ and one line here. */
const COMMANDS = [registerPlans, registerStart, registerWatch, registerApproval, registerReport, registerReadiness];

const buildProgram = (ctx: CommandContext): Command => {
  const program = new Command('dr-failover')
    .description(
      'Start, follow, approve and report PostgreSQL failovers run by the dr-failover state machine; list and validate DR plans.',
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
  const wire = (cmd: Command) => {
    cmd.exitOverride();
    cmd.configureOutput({
      writeOut: (s) => ctx.deps.stdout.write(s),
      writeErr: (s) => ctx.deps.stderr.write(s),
    });
    for (const sub of cmd.commands) {
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
