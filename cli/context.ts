/**
 * What every command gets: its output streams, environment, Step Functions clients, clock and sleep. Tests pass
 * fakes (mocked SFN clients, a sleep that returns at once); cli/main.ts passes the real ones.
 */
import { userInfo } from 'node:os';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import type { Plan } from '#core/plan.js';
import type { ReadinessProbes, StackNames } from '#core/ports.js';
import { stateMachineArn } from '#core/stack-names.js';
import { defaultPlansDir, loadPlanCatalog } from '#lib/plan-catalog.js';
import { CliError, EXIT, type ExitCode } from './errors.js';

export interface Output {
  write: (text: string) => unknown;
  isTTY?: boolean;
  /** The terminal's width, when it is one. */
  columns?: number;
}

/** Where a confirmation is read from (a terminal, or nothing: scripts pass --yes). */
export type Input = NodeJS.ReadableStream & { isTTY?: boolean };

export interface CliDeps {
  stdout: Output;
  stderr: Output;
  stdin: Input;
  env: NodeJS.ProcessEnv;
  /** A Step Functions client for a region (built once per region). */
  sfn: (region: string) => SFNClient;
  /** An STS client for a region: who the credentials are, before anything else is asked (cli/aws-access.ts). */
  sts: (region: string) => STSClient;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** The readiness probes of a plan (default: the readiness adapters, which build their own AWS clients). */
  readinessProbes?: (plan: Plan, stack: StackNames) => Promise<ReadinessProbes>;
}

/** One client per region, built on first use. */
const perRegion = <C>(make: (region: string) => C) => {
  const clients = new Map<string, C>();
  return (region: string): C => {
    let client = clients.get(region);
    if (!client) {
      client = make(region);
      clients.set(region, client);
    }
    return client;
  };
};

export const realDeps = (): CliDeps => {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    sfn: perRegion((region) => new SFNClient({ region })),
    sts: perRegion((region) => new STSClient({ region })),
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
};

// ------------------------------------------------------------------ colour

export interface Paint {
  red: (s: string) => string;
  green: (s: string) => string;
  yellow: (s: string) => string;
  dim: (s: string) => string;
  bold: (s: string) => string;
}

/** Colour only on a terminal, and never with NO_COLOR set (https://no-color.org) or TERM=dumb. */
export const colourEnabled = (out: Output, env: NodeJS.ProcessEnv): boolean =>
  out.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';

export const paint = (enabled: boolean): Paint => {
  const sgr = (open: number, close: number) => (s: string) => (enabled ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return { red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), dim: sgr(2, 22), bold: sgr(1, 22) };
};

/** Who runs the CLI, as notifications and approvals record it: `cli:<local user>`. */
export const localUser = (env: NodeJS.ProcessEnv): string => {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:${env.USER ?? 'unknown'}`;
  }
};

// ------------------------------------------------------------------ plans, regions, ARNs

export interface TargetOptions {
  plan?: string;
  plansDir?: string;
  region?: string;
  stage?: string;
  stateMachineArn?: string;
}

export const plansDirOf = (opts: { plansDir?: string }, env: NodeJS.ProcessEnv) =>
  opts.plansDir ?? defaultPlansDir(env);

/** The plan named `name` from the plans folder; an unknown name is bad input. */
export const findPlan = (name: string, opts: { plansDir?: string }, env: NodeJS.ProcessEnv): Plan => {
  const dir = plansDirOf(opts, env);
  const catalog = loadPlanCatalog(dir);
  const plan = catalog.get(name);
  if (!plan) {
    throw new CliError(
      `unknown plan "${name}": the plans in ${dir} are ${[...catalog.keys()].join(', ') || 'none'}`,
      EXIT.badInput,
    );
  }
  return plan;
};

/** --region, else the plan's standby region (where its stack runs), else AWS_REGION / AWS_DEFAULT_REGION. */
export const regionOf = (opts: TargetOptions, env: NodeJS.ProcessEnv, plan?: Plan): string => {
  const region = opts.region ?? plan?.regions.standby ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new CliError('no region: pass --region or --plan (or set AWS_REGION)', EXIT.badInput);
  return region;
};

/** The deployed stage: --stage, else DR_FAILOVER_STAGE, else dev. */
export const stageOf = (opts: TargetOptions, env: NodeJS.ProcessEnv): string =>
  opts.stage ?? env.DR_FAILOVER_STAGE ?? 'dev';

/**
 * The failover state machine: --state-machine-arn, else DR_FAILOVER_STATE_MACHINE_ARN, else the one the plan's
 * stack deploys in its standby region: `dr-failover-<stage>` (--stage, DR_FAILOVER_STAGE, default dev).
 */
export const targetStateMachineArn = (opts: TargetOptions, env: NodeJS.ProcessEnv, plan?: Plan): string => {
  const explicit = opts.stateMachineArn ?? env.DR_FAILOVER_STATE_MACHINE_ARN;
  if (explicit) {
    if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]+$/.test(explicit)) {
      throw new CliError(`not a state machine ARN: ${explicit}`, EXIT.badInput);
    }
    return explicit;
  }
  if (!plan) {
    throw new CliError(
      'which state machine? pass --plan, --state-machine-arn or set DR_FAILOVER_STATE_MACHINE_ARN',
      EXIT.badInput,
    );
  }
  return stateMachineArn(regionOf(opts, env, plan), plan.accountId, stageOf(opts, env));
};

/** An execution ARN from an ARN, or from a name and the state machine it ran on. */
export const executionArnOf = (execution: string, opts: TargetOptions, env: NodeJS.ProcessEnv): string => {
  if (execution.startsWith('arn:')) {
    if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[\w-]+:[^\s]+$/.test(execution)) {
      throw new CliError(`not an execution ARN: ${execution}`, EXIT.badInput);
    }
    return execution;
  }
  const plan = opts.plan ? findPlan(opts.plan, opts, env) : undefined;
  return executionArnIn(targetStateMachineArn(opts, env, plan), execution);
};

/** The ARN of the execution named `name` of a state machine. */
export const executionArnIn = (stateMachineArn: string, name: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/** The region an ARN lives in. */
export const regionOfArn = (arn: string): string => arn.split(':')[3] ?? '';

/** What a command registration gets: the deps, and where to put its exit code. */
export interface CommandContext {
  deps: CliDeps;
  setExit: (code: ExitCode) => void;
}
