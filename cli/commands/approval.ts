/**
 * `approve <token>` / `deny <token> --reason …`: answer an Approval Required request. Approve sends the
 * approval (SendTaskSuccess, the state's `$.approval`); deny fails the waiting state with ApprovalDeniedError,
 * the reason as its cause, and the run aborts without changing anything.
 */
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { ApprovalDeniedError } from '#core/errors.js';
import { awsIn } from '../aws-access.js';
import {
  type CommandContext,
  colourEnabled,
  findPlan,
  localUser,
  paint,
  regionOf,
  type TargetOptions,
} from '../context.js';
import { CliError, EXIT, explain } from '../errors.js';
import { withTarget } from './options.js';

interface ApprovalOptions extends TargetOptions {
  by?: string;
  reason?: string;
  json?: boolean;
}

const who = (opts: ApprovalOptions, env: NodeJS.ProcessEnv) => opts.by ?? localUser(env);

/** Task tokens are long opaque strings; catch the obvious paste mistakes before calling AWS. */
const checkToken = (token: string) => {
  if (token.length < 1 || token.length > 1024 || /\s/.test(token)) {
    throw new CliError(
      'this is not a task token: copy it whole from the Approval Required notification (1–1024 characters, no spaces)',
      EXIT.badInput,
    );
  }
};

export const registerApproval = (program: Command, { deps, setExit }: CommandContext): void => {
  const common = (cmd: Command) =>
    withTarget(
      cmd
        .option('--plan <name>', 'the plan whose run asks (its standby region is where the run waits)')
        .option('--by <who>', 'who answers (default cli:<local user>)')
        .option('--json', 'print JSON'),
    );

  common(
    program
      .command('approve <token>')
      .description('approve a failover that waits for a person (the token is in the Approval Required notification)')
      .option('--reason <text>', 'why, recorded with the approval'),
  ).action(async (token: string, opts: ApprovalOptions) => {
    checkToken(token);
    const plan = opts.plan ? findPlan(opts.plan, opts, deps.env) : undefined;
    const region = regionOf(opts, deps.env, plan);
    const approval = {
      approved: true,
      by: who(opts, deps.env),
      ...(opts.reason ? { reason: opts.reason } : {}),
      at: deps.now().toISOString(),
    };
    const client = await awsIn(deps, region, plan && { account: plan.accountId, what: `plan ${plan.name}` });
    try {
      await client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(approval) }));
    } catch (error) {
      throw explain(error, `SendTaskSuccess in ${region}`);
    }
    const p = paint(colourEnabled(deps.stdout, deps.env));
    deps.stdout.write(
      opts.json
        ? `${JSON.stringify({ answered: 'approved', region, approval })}\n`
        : `${p.green('approved')} by ${approval.by}: the run goes on (follow it with \`dr-failover watch <execution>\`)\n`,
    );
    setExit(EXIT.ok);
  });

  common(
    program
      .command('deny <token>')
      .description('deny a failover that waits for a person: the run aborts with ApprovalDeniedError, nothing changed')
      .requiredOption(
        '--reason <text>',
        'why (the cause of ApprovalDeniedError, in the Failover Aborted notification)',
      ),
  ).action(async (token: string, opts: ApprovalOptions) => {
    checkToken(token);
    const reason = (opts.reason ?? '').trim();
    if (!reason) throw new CliError('--reason must not be empty: say why the failover is denied', EXIT.badInput);
    const plan = opts.plan ? findPlan(opts.plan, opts, deps.env) : undefined;
    const region = regionOf(opts, deps.env, plan);
    const by = who(opts, deps.env);
    const client = await awsIn(deps, region, plan && { account: plan.accountId, what: `plan ${plan.name}` });
    try {
      await client.send(
        new SendTaskFailureCommand({
          taskToken: token,
          // The error name the state machine's Catch matches; taken from the class, so a rename cannot drift.
          error: new ApprovalDeniedError('').name,
          cause: reason,
        }),
      );
    } catch (error) {
      throw explain(error, `SendTaskFailure in ${region}`);
    }
    const p = paint(colourEnabled(deps.stdout, deps.env));
    deps.stdout.write(
      opts.json
        ? `${JSON.stringify({ answered: 'denied', region, by, reason })}\n`
        : `${p.red('denied')} by ${by}: the run aborts with ApprovalDeniedError (${reason})\n`,
    );
    setExit(EXIT.ok);
  });
};
