/**
 * A role EventBridge Scheduler assumes, for schedules of the named groups only: the trust policy that keeps any
 * other schedule (of another group, account or service) from using it (the confused deputy), and one inline policy.
 * The approval timer's role (infra/roles.ts) and the way-back role (infra/way-back.ts) are both such roles.
 */
import type { Json } from './json.js';

export const schedulerRole = (opts: {
  description: string;
  /** The schedule groups whose schedules may assume the role: one ARN, or one per region. */
  groups: Json;
  policyName: string;
  statement: { Sid: string; Action: string[]; Resource: Json[] };
}): Json => ({
  Type: 'AWS::IAM::Role',
  Properties: {
    Description: opts.description,
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnEquals: { 'aws:SourceArn': opts.groups },
          },
        },
      ],
    },
    Policies: [
      {
        PolicyName: opts.policyName,
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: opts.statement.Sid,
              Effect: 'Allow',
              Action: opts.statement.Action,
              Resource: opts.statement.Resource,
            },
          ],
        },
      },
    ],
  },
});
