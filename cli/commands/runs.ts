/**
 * `runs --plan P`: the recent runs of a plan, newest first (name, how it started, status, started, ended, RTO),
 * so on-call finds the execution to `watch`, `report` or `stop` without opening the console.
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
  paginateListExecutions,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { measureRun } from '#core/measures.js';
import type { Plan } from '#core/plan.js';
import { runNameOwner } from '#core/runs.js';
import type { FailoverState } from '#core/state.js';
import { parseJson } from '#core/text.js';
import { loadPlanCatalog } from '#lib/plan-catalog.js';
import { awsIn } from '../aws-access.js';
import {
  type CommandContext,
  colourEnabled,
  findPlan,
  paint,
  plansDirOf,
  regionOf,
  type TargetOptions,
  targetStateMachineArn,
} from '../context.js';
import { CliError, EXIT, explain } from '../errors.js';
import { withTarget } from './options.js';
import { fitTable } from './table.js';

interface RunsOptions extends TargetOptions {
  plan: string;
  limit: number;
  json?: boolean;
}

/** One run of the plan, as `runs` lists it. */
export interface RunRow {
  name: string;
  executionArn: string;
  status: string;
  startedAt: string;
  endedAt?: string;
  /** `alarm`, `manual`, `schedule` (game day), with who or what: the alarm, the person. */
  startedBy: string;
  mode?: string;
  dryRun?: boolean;
  reason?: string;
  /** Incident → the record answering the new writer, for runs that got there. */
  rtoSeconds?: number;
  rtoMet?: boolean;
  error?: string;
}

/** Executions looked at, at most: ten pages of ListExecutions (runs of other plans share the state machine). */
const SCAN_LIMIT = 1000;
/** Executions whose name does not tell their plan, described at most to find out. */
const DESCRIBE_LIMIT = 50;

const limitOf = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw new CliError(`--limit must be a whole number from 1 to 100, not "${value}"`, EXIT.badInput);
  }
  return n;
};

/** An execution's input or output, when it is a JSON object. */
const parse = (text: string | undefined): Record<string, unknown> | undefined => {
  const v = parseJson(text);
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
};

/** A listed execution of the plan, with its DescribeExecution when finding its plan already needed it. */
type Found = ExecutionListItem & { described?: DescribeExecutionCommandOutput };

/** The plan's executions, newest first: by name where the name tells (`<plan>-<kind>-…`), else by their input. */
const planExecutions = async (
  client: SFNClient,
  stateMachineArn: string,
  plan: Plan,
  plans: readonly string[],
  limit: number,
): Promise<Found[]> => {
  const ownerOf = runNameOwner([...plans, plan.name]);
  const found: Found[] = [];
  let scanned = 0;
  let described = 0;
  for await (const page of paginateListExecutions({ client, pageSize: 100 }, { stateMachineArn })) {
    for (const e of page?.executions ?? []) {
      scanned += 1;
      const owner = ownerOf(e.name ?? '');
      if (owner === plan.name) found.push(e);
      else if (owner === undefined && e.executionArn && described < DESCRIBE_LIMIT) {
        described += 1;
        const out = await client.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
        if (parse(out.input)?.plan === plan.name) found.push({ ...e, described: out });
      }
      if (found.length >= limit) return found;
    }
    if (scanned >= SCAN_LIMIT) break;
  }
  return found;
};

const startedByOf = (input: Record<string, unknown> | undefined): string => {
  const trigger = input?.trigger as { kind?: string; source?: string } | undefined;
  // No trigger: started by hand outside the CLI (the console, StartExecution), with who asked in the input.
  const kind = input === undefined ? 'unknown' : (trigger?.kind ?? 'manual');
  if (kind === 'manual') return `manual: ${String(input?.requestedBy ?? 'unknown')}`;
  return trigger?.source ? `${kind}: ${trigger.source.split(/[:/]/).at(-1)}` : kind;
};

/** What DescribeExecution tells of one run: its input, and for a finished run its measures or its error. */
const rowOf = async (client: SFNClient, e: Found, now: Date): Promise<RunRow> => {
  const out = e.described ?? (await client.send(new DescribeExecutionCommand({ executionArn: e.executionArn })));
  const input = parse(out.input);
  const state = parse(out.output) as Partial<FailoverState> | undefined;
  const measures = state ? measureRun(state, out.stopDate ?? now) : {};
  return {
    name: e.name ?? '',
    executionArn: e.executionArn ?? '',
    status: out.status ?? e.status ?? 'UNKNOWN',
    startedAt: (out.startDate ?? e.startDate ?? now).toISOString(),
    ...(out.stopDate ? { endedAt: out.stopDate.toISOString() } : {}),
    startedBy: startedByOf(input),
    ...(typeof input?.mode === 'string' ? { mode: input.mode } : {}),
    ...(typeof input?.dryRun === 'boolean' ? { dryRun: input.dryRun } : {}),
    ...(typeof input?.reason === 'string' ? { reason: input.reason } : {}),
    ...(measures.rtoSeconds !== undefined ? { rtoSeconds: measures.rtoSeconds } : {}),
    ...(measures.rtoMet !== undefined ? { rtoMet: measures.rtoMet } : {}),
    ...(out.error ? { error: out.error } : {}),
  };
};

/** The recent runs of a plan, newest first (ListExecutions lists the most recent first). */
export const recentRuns = async (
  client: SFNClient,
  target: { stateMachineArn: string; plan: Plan; plans: readonly string[]; limit: number; now: Date },
): Promise<RunRow[]> => {
  try {
    const executions = await planExecutions(client, target.stateMachineArn, target.plan, target.plans, target.limit);
    return await Promise.all(executions.map((e) => rowOf(client, e, target.now)));
  } catch (error) {
    throw explain(error, `ListExecutions ${target.stateMachineArn}`);
  }
};

const when = (iso: string | undefined) => (iso ? `${iso.slice(0, 19).replace('T', ' ')}Z` : '—');

const cells = (r: RunRow): string[] => [
  r.name,
  r.startedBy,
  `${r.mode ?? '?'}${r.dryRun ? ' (dry run)' : ''}`,
  r.status,
  when(r.startedAt),
  when(r.endedAt),
  r.rtoSeconds === undefined ? '—' : `${r.rtoSeconds} s${r.rtoMet === false ? ' (over target)' : ''}`,
];

export const registerRuns = (program: Command, { deps, setExit }: CommandContext): void => {
  withTarget(
    program
      .command('runs')
      .description('list the recent runs of a plan, newest first: name, how it started, status, times, RTO')
      .requiredOption('--plan <name>', 'the plan whose runs to list')
      .option('--limit <n>', 'how many runs (1 to 100)', limitOf, 10)
      .option('--json', 'print the runs as JSON'),
  ).action(async (opts: RunsOptions) => {
    const plan = findPlan(opts.plan, opts, deps.env);
    const stateMachineArn = targetStateMachineArn(opts, deps.env, plan);
    const client = await awsIn(deps, regionOf(opts, deps.env, plan), {
      account: plan.accountId,
      what: `plan ${plan.name}`,
    });
    const plans = [...loadPlanCatalog(plansDirOf(opts, deps.env)).keys()];
    const rows = await recentRuns(client, { stateMachineArn, plan, plans, limit: opts.limit, now: deps.now() });
    if (opts.json) {
      deps.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    } else if (rows.length === 0) {
      deps.stdout.write(`no runs of plan ${plan.name} on ${stateMachineArn}\n`);
    } else {
      const p = paint(colourEnabled(deps.stdout, deps.env));
      deps.stdout.write(
        `${p.bold(`${plan.name}: the last ${rows.length} runs`)}, newest first (${stateMachineArn})\n\n`,
      );
      deps.stdout.write(
        fitTable(['run', 'started by', 'mode', 'status', 'started', 'ended', 'RTO'], rows.map(cells), deps.stdout),
      );
    }
    setExit(EXIT.ok);
  });
};
