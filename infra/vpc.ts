/**
 * Functions in a VPC. Self-managed PostgreSQL on private hosts: the functions that connect to the database (those
 * granted its credentials) run in the plans' subnets and security groups. A private hosted zone verified through a
 * resolver: Verify runs in `traffic.verify.vpc`. Each may manage the network interfaces Lambda puts
 * there (Lambda Developer Guide, "Giving Lambda functions access to resources in an Amazon VPC": the execution role
 * needs ec2:CreateNetworkInterface, DescribeNetworkInterfaces, DeleteNetworkInterface, AssignPrivateIpAddresses and
 * UnassignPrivateIpAddresses). A function has one VPC configuration, so every postgres plan of a stack must name
 * the same one, or none.
 */
import type { Plan } from '#core/plan.js';
import { FUNCTIONS, type FunctionName } from '#core/stack-names.js';
import { READ_SECRETS } from './grant-rows.js';
import { GRANTS, vpcOf } from './grants.js';
import { type Json, pascal } from './json.js';

/** The functions that connect to the database: the ones granted its credentials. */
export const databaseFunctions = (): FunctionName[] => FUNCTIONS.filter((fn) => GRANTS[fn].includes(READ_SECRETS));

/** serverless.yml `resources.extensions`: the VpcConfig of each function that runs in a VPC (grants.ts `vpcOf`). */
export const vpcExtensions = (plans: readonly Plan[]): Record<string, Json> =>
  Object.fromEntries(
    FUNCTIONS.flatMap((fn) => {
      const vpc = vpcOf(fn, plans);
      if (!vpc) return [];
      const config = { SubnetIds: vpc.subnetIds, SecurityGroupIds: vpc.securityGroupIds };
      return [[`${pascal(fn)}LambdaFunction`, { Properties: { VpcConfig: config } }]];
    }),
  );
