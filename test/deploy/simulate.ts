/** One IAM request simulated against identity policies (@cloud-copilot/iam-simulate, AWS's authorization data). */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { IamRequest } from './iam-requests.js';
import type { Policy } from './template.js';

/**
 * `Allowed`, `ImplicitlyDenied` or `ExplicitlyDenied` for the request made by a role of `accountId`; `resourcePolicy`
 * is the policy on the resource, where its service requires one (a KMS key's key policy).
 */
export const simulate = async (
  policies: Policy[],
  request: IamRequest,
  accountId: string,
  principal: string,
  resourcePolicy?: Policy,
) => {
  const result = await runSimulation(
    {
      identityPolicies: policies.map((policy, i) => ({ name: `policy-${i}`, policy })),
      ...(resourcePolicy ? { resourcePolicy } : {}),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: request.action,
        principal,
        resource: { accountId, resource: request.resource },
        contextVariables: request.context ?? {},
      },
    },
    {},
  );
  if (result.resultType === 'error')
    throw new Error(`${request.action} ${request.resource}: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
};

/**
 * A customer managed KMS key a plan names (not one the stack creates) keeps the default key policy, which leaves the
 * decision to IAM policies in the account: https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html
 */
export const defaultKeyPolicy = (accountId: string): Policy => ({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'kms:*', Resource: '*' },
  ],
});
