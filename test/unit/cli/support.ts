/**
 * The CLI under test: runCli with captured output, a mocked Step Functions client, a fixed clock and a sleep
 * that returns at once (recording what it was asked to wait). Histories come from real runs of the real
 * definition (test/statemachine/support.ts), turned into GetExecutionHistory's shape.
 */
import { Readable } from 'node:stream';
import { type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type { CliDeps } from '#cli/context.js';
import { runCli } from '#cli/program.js';
import { historyFromLocalEvents } from '#lab/local-history.js';
import { loadDefinition } from '#lab/state-machine.js';
import { execute, sfn } from '../../statemachine/support.js';

/** The one Step Functions mock of the test process (Prepare's run guard lists executions through it too). */
export { sfn };

/** STS, asked who the credentials are before each command calls AWS (cli/aws-access.ts). */
export const sts = mockClient(STSClient);

export const ACCOUNT = '111122223333';
export const STATE_MACHINE_ARN = `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:dr-failover-dev`;
export const executionArnFor = (name: string) =>
  `arn:aws:states:eu-west-1:${ACCOUNT}:execution:dr-failover-dev:${name}`;
export const NOW = new Date('2026-11-25T03:15:30.000Z');
/** The run `start --plan orders` names at NOW (one run per plan per minute), and its ARN. */
export const NAME = 'orders-manual-20261125T0315Z';
export const ARN = executionArnFor(NAME);

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
  sleeps: number[];
  regions: string[];
}

export interface CliOptions {
  tty?: boolean;
  /** The terminal's width (only with tty). */
  columns?: number;
  env?: NodeJS.ProcessEnv;
  readinessProbes?: CliDeps['readinessProbes'];
  /** What STS GetCallerIdentity answers: an account (default ACCOUNT) or an error. */
  identity?: { account: string } | Error;
  /** What the person types at a confirmation prompt (stdin is a terminal only with tty). */
  typed?: string;
}

export const cli = async (argv: string[], opts: CliOptions = {}): Promise<Captured> => {
  sts.reset();
  const identity = opts.identity ?? { account: ACCOUNT };
  if (identity instanceof Error) sts.on(GetCallerIdentityCommand).rejects(identity);
  else {
    sts.on(GetCallerIdentityCommand).resolves({
      Account: identity.account,
      Arn: `arn:aws:sts::${identity.account}:assumed-role/OnCall/alice`,
    });
  }
  const stdin = Object.assign(Readable.from(opts.typed === undefined ? [] : [opts.typed]), {
    isTTY: opts.tty === true,
  });
  let stdout = '';
  let stderr = '';
  const sleeps: number[] = [];
  const regions: string[] = [];
  const client = new SFNClient({ region: 'eu-west-1' });
  const deps: CliDeps = {
    stdout: {
      write: (s: string) => (stdout += s),
      isTTY: opts.tty === true,
      ...(opts.tty && opts.columns ? { columns: opts.columns } : {}),
    },
    stderr: { write: (s: string) => (stderr += s), isTTY: opts.tty === true },
    stdin,
    env: { PLANS_DIR: 'plans', ...opts.env },
    sfn: (region) => {
      regions.push(region);
      return client;
    },
    sts: (region) => new STSClient({ region, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } }),
    now: () => NOW,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...(opts.readinessProbes ? { readinessProbes: opts.readinessProbes } : {}),
  };
  const code = await runCli(argv, deps);
  return { code, stdout, stderr, sleeps, regions };
};

/** A real run of statemachines/failover.asl.yaml with the real handlers, as GetExecutionHistory returns it. */
export const recordRun = async (input: unknown): Promise<HistoryEvent[]> => {
  const run = await execute(input);
  return historyFromLocalEvents(run.events, { definition: loadDefinition() });
};

/** The events up to (and including) the first of `type` named `state`: a run caught part-way. */
export const until = (events: HistoryEvent[], type: string, state?: string): HistoryEvent[] => {
  const i = events.findIndex(
    (e) =>
      e.type === type &&
      (state === undefined || e.stateEnteredEventDetails?.name === state || e.stateExitedEventDetails?.name === state),
  );
  return i < 0 ? events : events.slice(0, i + 1);
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: an ANSI escape is what the colour tests look for
export const ANSI = /\x1b\[/;
