/**
 * Every command that calls AWS first asks STS who the credentials are: missing credentials, an expired SSO
 * session, expired keys, a region that does not exist, a region name that is not one and the wrong account are
 * each one line with the README's exit code, for every command, and nothing is sent to Step Functions or to the
 * readiness probes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ExpiredTokenException } from '@aws-sdk/client-sts';
import { CredentialsProviderError } from '@smithy/core/config';
import { beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT, type CliOptions, cli, NAME, sfn } from './support.js';

const out = () => mkdtempSync(path.join(tmpdir(), 'dr-failover-report-'));

/** One invocation of every command that calls AWS, valid up to the call. */
const COMMANDS: Record<string, () => string[]> = {
  start: () => ['start', '--plan', 'orders', '--mode', 'planned', '--reason', 'game day'],
  watch: () => ['watch', NAME, '--plan', 'orders'],
  runs: () => ['runs', '--plan', 'orders'],
  stop: () => ['stop', NAME, '--plan', 'orders', '--reason', 'wrong plan', '--yes'],
  approve: () => ['approve', 'AQCEAAAAKgAAAAMAAAAA', '--plan', 'orders'],
  deny: () => ['deny', 'AQCEAAAAKgAAAAMAAAAA', '--plan', 'orders', '--reason', 'primary is back'],
  report: () => ['report', NAME, '--plan', 'orders', '--out', out()],
  readiness: () => ['readiness', '--plan', 'orders'],
};

const NO_CREDENTIALS =
  'dr-failover: no AWS credentials found: set AWS_PROFILE (and run `aws sso login`), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';

const CASES: [string, CliOptions, string[], string, number][] = [
  [
    'no credentials',
    { identity: new CredentialsProviderError('Could not load credentials from any providers', { tryNextLink: false }) },
    [],
    NO_CREDENTIALS,
    4,
  ],
  [
    'a profile with no credentials',
    {
      identity: new CredentialsProviderError('Could not load credentials from any providers', { tryNextLink: false }),
      env: { AWS_PROFILE: 'oncall' },
    },
    [],
    'dr-failover: no AWS credentials for the profile "oncall": check that it is in ~/.aws/config or ~/.aws/credentials (for an SSO profile, run `aws sso login --profile oncall`)',
    4,
  ],
  [
    'an expired SSO session',
    {
      identity: new CredentialsProviderError(
        "The SSO session associated with this profile has expired. To refresh this SSO session run 'aws sso login' with the corresponding profile.",
        { tryNextLink: false },
      ),
      env: { AWS_PROFILE: 'oncall' },
    },
    [],
    'dr-failover: the AWS SSO session has expired or was never started: run `aws sso login --profile oncall`, then run this again',
    4,
  ],
  [
    'expired keys',
    {
      identity: new ExpiredTokenException({
        $metadata: {},
        message: 'The security token included in the request is expired',
      }),
    },
    [],
    'dr-failover: the AWS session has expired: refresh your credentials (e.g. `aws sso login`)',
    4,
  ],
  [
    'a region that does not exist',
    {
      identity: Object.assign(new Error('getaddrinfo ENOTFOUND sts.eu-west-9.amazonaws.com'), {
        code: 'ENOTFOUND',
        hostname: 'sts.eu-west-9.amazonaws.com',
      }),
    },
    ['--region', 'eu-west-9'],
    'dr-failover: cannot reach AWS in region eu-west-9 (sts.eu-west-9.amazonaws.com does not resolve): check the region (--region, AWS_REGION, the plan) and the network',
    4,
  ],
  [
    'a region name that is not one',
    {},
    ['--region', 'euwest1'],
    `dr-failover: "euwest1" is not an AWS region name (like eu-west-1): check --region, AWS_REGION or the plan's regions`,
    2,
  ],
  [
    // The plan schema's shape: a region the CLI took would be one no plan can name.
    'a region name no plan could name',
    {},
    ['--region', 'eu-west-12'],
    `dr-failover: "eu-west-12" is not an AWS region name (like eu-west-1): check --region, AWS_REGION or the plan's regions`,
    2,
  ],
];

describe('dr-failover: credentials, region and account, for every command', () => {
  beforeEach(() => {
    sfn.reset();
  });

  describe.each(Object.keys(COMMANDS))('%s', (command) => {
    it.each(CASES)('%s: one line, and nothing sent', async (_what, opts, extra, line, code) => {
      // Prepare
      const probed: string[] = [];

      // Act
      const run = await cli([...(COMMANDS[command]?.() ?? []), ...extra], {
        ...opts,
        readinessProbes: async () => {
          probed.push(command);
          throw new Error('the probes must not be built');
        },
      });

      // Assess
      expect(run.stderr.trim().split('\n')).toEqual([line]);
      expect(run.code).toBe(code);
      expect(sfn.calls()).toHaveLength(0);
      expect(probed).toEqual([]);
    });

    it('credentials of another account: one line naming both accounts, and nothing sent', async () => {
      // Act
      const run = await cli(COMMANDS[command]?.() ?? [], { identity: { account: '999988887777' } });

      // Assess
      expect(run.code).toBe(4);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toContain('these credentials are for account 999988887777');
      expect(run.stderr).toContain(`is in account ${ACCOUNT}: use a profile of that account (AWS_PROFILE)`);
      expect(sfn.calls()).toHaveLength(0);
    });
  });

  it.each([
    ['start', StartExecutionCommand, 'states:StartExecution'],
    ['runs', ListExecutionsCommand, 'states:ListExecutions'],
  ] as const)(
    '%s: access denied is one line saying who may not do what on what (exit 4)',
    async (command, Command, action) => {
      // Prepare
      const resource = `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:dr-failover-dev`;
      // One mock for any command: the denial comes from whichever call the command makes first.
      (sfn.on as (c: unknown) => ReturnType<typeof sfn.on>)(Command).rejects(
        Object.assign(
          new Error(
            `User: arn:aws:sts::${ACCOUNT}:assumed-role/ReadOnly/alice is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
          ),
          { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } },
        ),
      );

      // Act
      const run = await cli(COMMANDS[command]?.() ?? []);

      // Assess
      expect(run.code).toBe(4);
      expect(run.stderr.trim().split('\n')).toEqual([
        `dr-failover: access denied: arn:aws:sts::${ACCOUNT}:assumed-role/ReadOnly/alice may not ${action} on ${resource} (no identity-based policy allows the ${action} action)`,
      ]);
    },
  );
});
