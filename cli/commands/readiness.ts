/**
 * `readiness --plan P`: runs the plan's DR readiness checks now, from this machine, with the same probes and
 * judgements the scheduled readiness function uses, and prints them as a table.
 */
import type { Command } from 'commander';
import { artifactPorts } from '#adapters/artifacts/index.js';
import type { Plan } from '#core/plan.js';
import type { ReadinessProbes, StackNames } from '#core/ports.js';
import { CHECK_NAMES, type CheckName, type ReadinessReport } from '#core/readiness/model.js';
import { runReadinessChecks } from '#core/readiness/runner.js';
import { FAILOVER_FUNCTIONS, functionArn, functionName } from '#core/stack-names.js';
import { awsIn } from '../aws-access.js';
import {
  type CommandContext,
  colourEnabled,
  findPlan,
  paint,
  regionOf,
  stageOf,
  type TargetOptions,
  targetStateMachineArn,
} from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { positiveSeconds, withTarget } from './options.js';
import { fitTable } from './table.js';

interface ReadinessCliOptions extends TargetOptions {
  plan: string;
  check?: string[];
  timeout?: number;
  json?: boolean;
}

/** The deployed stack's names, as serverless.yml names them for `stage` (what the readiness function is given). */
const stackNamesOf = (plan: Plan, opts: TargetOptions, env: NodeJS.ProcessEnv): StackNames => {
  const stage = stageOf(opts, env);
  const region = regionOf(opts, env, plan);
  return {
    stage,
    stateMachineArn: targetStateMachineArn(opts, env, plan),
    triggerFunctionArn: functionArn(region, plan.accountId, stage, 'trigger'),
    functionNames: FAILOVER_FUNCTIONS.map((fn) => functionName(stage, fn)),
  };
};

/** The real probes: the readiness adapters, loaded only when the command runs. */
const defaultReadinessProbes = async (plan: Plan, stack: StackNames): Promise<ReadinessProbes> =>
  (await import('#adapters/readiness/index.js')).readinessProbesFor(plan, stack);

/** A plan component's check: `component:<name>` (the plan decides which names exist). */
const COMPONENT_CHECK = /^component:[a-z][a-z0-9-]{0,39}$/;

const checkList = (value: string, previous: string[] = []) => {
  const names = value.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(CHECK_NAMES as readonly string[]).includes(n) && !COMPONENT_CHECK.test(n)) {
      const all = [...CHECK_NAMES, 'component:<name>'].join(', ');
      throw new CliError(`unknown check "${n}": the checks are ${all}`, EXIT.badInput);
    }
  }
  return [...previous, ...names];
};

/** Each `component:<name>` asked for must name a component of the plan. */
const checkComponents = (plan: Plan, checks: readonly string[] | undefined) => {
  const known = (plan.components ?? []).map((c) => `component:${c.name}`);
  const unknown = (checks ?? []).filter((n) => COMPONENT_CHECK.test(n) && !known.includes(n));
  if (unknown.length === 0) return;
  const have = known.length > 0 ? `its component checks are ${known.join(', ')}` : 'it has no components';
  throw new CliError(`plan ${plan.name} has no ${unknown.join(', ')}: ${have}`, EXIT.badInput);
};

export const registerReadiness = (program: Command, { deps, setExit }: CommandContext): void => {
  withTarget(
    program
      .command('readiness')
      .description('run the DR readiness checks of a plan now and print them as a table (exit 1 when any is CRITICAL)')
      .requiredOption('--plan <name>', 'the plan to check')
      .option(
        '--check <names>',
        `only these checks, comma-separated or repeated (${CHECK_NAMES.join(', ')}, component:<name> for each of the plan's components)`,
        checkList,
      )
      .option(
        '--timeout <seconds>',
        "bound on each check (default: the plan's readiness.checkTimeoutSeconds)",
        positiveSeconds('--timeout'),
      )
      .option('--json', 'print the readiness report as JSON'),
  ).action(async (opts: ReadinessCliOptions) => {
    const plan = findPlan(opts.plan, opts, deps.env);
    checkComponents(plan, opts.check);
    const stack = stackNamesOf(plan, opts, deps.env);
    // Credentials, region and account checked once here: without this, every check fails with the same error.
    await awsIn(deps, regionOf(opts, deps.env, plan), { account: plan.accountId, what: `plan ${plan.name}` });
    const probes = await (deps.readinessProbes ?? defaultReadinessProbes)(plan, stack);
    const report: ReadinessReport = await runReadinessChecks(
      plan,
      { probes, now: deps.now, artifacts: artifactPorts },
      {
        ...(opts.check ? { only: opts.check as CheckName[] } : {}),
        ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout * 1000 } : {}),
      },
    );
    if (opts.json) {
      deps.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      const p = paint(colourEnabled(deps.stdout, deps.env));
      const word = (s: string) => (s === 'OK' ? p.green(s) : s === 'WARN' ? p.yellow(s) : p.red(s));
      deps.stdout.write(
        `${p.bold(`${plan.name}: DR readiness`)} ${word(report.status)} (${report.counts.OK} OK, ${report.counts.WARN} WARN, ${report.counts.CRITICAL} CRITICAL) at ${report.checkedAt}\n\n`,
      );
      // Colour codes would break the padding: the status column is coloured after the table is laid out.
      const text = fitTable(
        ['check', 'status', 'where', 'took', 'summary'],
        report.checks.map((c) => [c.check, c.status, c.scope, `${c.durationMs} ms`, c.summary]),
        deps.stdout,
      );
      deps.stdout.write(
        text.replace(
          / (OK|WARN|CRITICAL)( +)(standby|primary) /g,
          (_m, s: string, pad: string, scope: string) => ` ${word(s)}${pad}${scope} `,
        ),
      );
    }
    setExit(report.status === 'CRITICAL' ? EXIT.runFailed : EXIT.ok);
  });
};
