import type { Command } from 'commander';
import { CliError, EXIT } from '../errors.js';

/** Where the failover state machine and its executions are: shared by every command that calls AWS. */
export const withTarget = (cmd: Command): Command =>
  cmd
    .option('--region <region>', "AWS region (default: the plan's standby region, else AWS_REGION)")
    .option('--stage <stage>', 'deployed stage, for the state machine name dr-failover-<stage> (default dev)')
    .option('--state-machine-arn <arn>', 'the failover state machine (default: derived from the plan)')
    .option('--plans-dir <dir>', 'where plans are read (default ./plans or PLANS_DIR)');

export const positiveSeconds = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new CliError(`${name} must be a positive number of seconds, not "${value}"`, EXIT.badInput);
  return n;
};
