/**
 * Before a command calls AWS: whose credentials these are, in which region, and whether that is the account the
 * plan (or the execution) lives in. STS GetCallerIdentity needs no permission, and an explicit deny does not stop it
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html), so it tells "no credentials",
 * "expired", "wrong region" and "wrong account" apart from "access denied" before any real call is made, and a
 * command says each in one line with exit 4 instead of failing the same way in every check.
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { REGION_PATTERN } from '#core/arn.js';
import type { CliDeps } from './context.js';
import { CliError, credentialProblem, EXIT, explain } from './errors.js';

export interface CallerIdentity {
  account: string;
  arn: string;
}

/**
 * The shape of AWS region codes, the plan schema's own (REGION_PATTERN: `us-east-1`, `us-gov-west-1`,
 * `us-isob-east-1`): anything else is a typo, and a region the CLI accepted would otherwise be one no plan could
 * name. A well-formed code AWS does not have is found out by its endpoint not resolving.
 */
export const assertRegionName = (region: string): void => {
  if (!REGION_PATTERN.test(region)) {
    throw new CliError(
      `"${region}" is not an AWS region name (like eu-west-1): check --region, AWS_REGION or the plan's regions`,
      EXIT.badInput,
    );
  }
};

const identities = new WeakMap<CliDeps, Map<string, Promise<CallerIdentity>>>();

const ask = async (deps: CliDeps, region: string): Promise<CallerIdentity> => {
  try {
    const out = await deps.sts(region).send(new GetCallerIdentityCommand({}));
    return { account: out.Account ?? '', arn: out.Arn ?? '' };
  } catch (error) {
    const e = error as Error & { code?: string; hostname?: string };
    if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') {
      throw new CliError(
        `cannot reach AWS in region ${region} (${e.hostname ?? 'its endpoint'} does not resolve): check the region (--region, AWS_REGION, the plan) and the network`,
        EXIT.aws,
        { cause: error },
      );
    }
    const credentials = error instanceof Error ? credentialProblem(error, deps.env.AWS_PROFILE) : undefined;
    if (credentials) throw new CliError(credentials, EXIT.aws, { cause: error });
    throw explain(error);
  }
};

/** Who the credentials are in `region` (asked once per region and command). */
export const callerIdentity = (deps: CliDeps, region: string): Promise<CallerIdentity> => {
  assertRegionName(region);
  let byRegion = identities.get(deps);
  if (!byRegion) {
    byRegion = new Map();
    identities.set(deps, byRegion);
  }
  let identity = byRegion.get(region);
  if (!identity) {
    identity = ask(deps, region);
    byRegion.set(region, identity);
  }
  return identity;
};

/**
 * Checks the credentials in `region` and, when `account` is given, that they belong to it; then hands out the
 * region's Step Functions client. `what` names the thing in that account (`plan orders`, `execution …`).
 */
export const awsIn = async (
  deps: CliDeps,
  region: string,
  expected?: { account: string; what: string },
): Promise<ReturnType<CliDeps['sfn']>> => {
  const identity = await callerIdentity(deps, region);
  if (expected && identity.account && identity.account !== expected.account) {
    throw new CliError(
      `these credentials are for account ${identity.account} (${identity.arn}), but ${expected.what} is in account ${expected.account}: use a profile of that account (AWS_PROFILE)`,
      EXIT.aws,
    );
  }
  return deps.sfn(region);
};

/** The account and what to call it, for a command about one execution. */
export const executionAccount = (executionArn: string) => ({
  account: executionArn.split(':')[4] ?? '',
  what: `execution ${executionArn.split(':').at(-1)}`,
});
