/**
 * Where a function runs in a VPC: the subnets and security groups Lambda attaches it to, in the standby region.
 * `database.vpc` places the functions that connect to private database hosts; `traffic.verify.vpc` places Verify
 * in a VPC associated with a private hosted zone, which only resolvers of its associated VPCs answer. Each has a
 * `wayBackVpc` twin in the primary region, for the stack there that runs the plan turned round (the way back):
 * `orientPlan` (core/direction.ts) swaps the two.
 */
import * as z from 'zod';

const subnetIds = z
  .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'must be a subnet id (subnet-…)'))
  .min(1)
  .max(16);
const securityGroupIds = z
  .array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'must be a security group id (sg-…)'))
  .min(1)
  .max(5);

/** The VpcConfig of the functions that connect to private database hosts. */
export const functionVpc = z.object({ subnetIds, securityGroupIds }).strict();

/** Verify's VpcConfig, with the VPC the subnets are in: readiness checks it is associated with the private zone. */
export const verifyVpc = z
  .object({
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'must be a VPC id (vpc-…)'),
    subnetIds,
    securityGroupIds,
  })
  .strict();
