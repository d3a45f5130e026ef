/**
 * Infrastructure wiring derived from the plans, for serverless.yml (through infra/serverless-wiring.cjs):
 * trigger rules and schedules (./events.ts), one least-privilege role per function from the grants table
 * (./grants.ts, ./roles.ts), and the buses, topics, key and alarms the plans name (./notifications.ts).
 * Infrastructure and runtime read the same validated plans.
 */
import { orientPlan } from '#core/direction.js';
import { PlanValidationError } from '#core/errors.js';
import { wayBackRunsInPrimaryRegion } from '#core/failback.js';
import type { Plan } from '#core/plan.js';
import {
  approvalTimerGroupName,
  DEFAULT_EVENT_BUS,
  FAILOVER_FUNCTIONS,
  functionName,
  stackName,
  wayBackGroupName,
} from '#core/stack-names.js';
import { loadPlanCatalog } from '#lib/plan-catalog.js';
import { eventsOf } from './events.js';
import { DEFAULT_TOPIC } from './grants.js';
import type { Json } from './json.js';
import { notificationResources } from './notifications.js';
import { approvalTimer, functionRoles } from './roles.js';
import { vpcExtensions } from './vpc.js';
import { wayBackResources, wayBackRoleArn } from './way-back.js';

/**
 * A deployed plan reads its database credentials from Secrets Manager only: an `env` reference would put the
 * password in the functions' environment (readable with lambda:GetFunctionConfiguration, shown in the console),
 * a `file` reference in the deployment package. Both are for the local drill.
 */
const refuseLocalSecrets = (plan: Plan): void => {
  if (plan.database.kind !== 'postgres') return;
  const issues = (['primary', 'standby'] as const).flatMap((side) => {
    const ref = (plan.database as Extract<Plan['database'], { kind: 'postgres' }>)[side].credentials;
    return 'secretsManager' in ref
      ? []
      : [
          {
            path: `database.${side}.credentials`,
            message: 'a deployed plan must use a secretsManager reference; env and file are for the local drill',
          },
        ];
  });
  if (issues.length > 0) throw new PlanValidationError(`plan ${plan.name}`, issues);
};

/**
 * The stack of a plan's primary region runs its way back in the plan's `wayBackVpc`s: a plan whose database hosts
 * or whose private zone need a VPC in its standby region need one there too, or the way back could not reach them.
 */
const refuseWayBackWithoutVpc = (plan: Plan): void => {
  const db = plan.database;
  const verify = plan.traffic.verify;
  const issues = [
    ...(db.kind === 'postgres' && db.vpc && !db.wayBackVpc
      ? [{ path: 'database.wayBackVpc', vpc: 'database.vpc', what: 'connect to the database hosts' }]
      : []),
    ...(verify?.vpc && !verify.wayBackVpc
      ? [{ path: 'traffic.verify.wayBackVpc', vpc: 'traffic.verify.vpc', what: 'ask the private zone' }]
      : []),
  ].map((i) => ({
    path: i.path,
    message:
      `is required: the stack in ${plan.regions.primary} runs this plan's way back and must ${i.what} from a VPC ` +
      `there, as ${i.vpc} does in ${plan.regions.standby}`,
  }));
  if (issues.length > 0) throw new PlanValidationError(`plan ${plan.name}`, issues);
};

export interface Wiring {
  /** Plans whose standby region is the deployment region: the ones this stack fails over. */
  planNames: string[];
  triggerEvents: Json[];
  /** One schedule per plan with readiness enabled, each sending `{ kind: readiness, plan }`. */
  readinessEvents: Json[];
  /** The rule on the stack's own runs that end stopped, timed out or failed outside the Catch. */
  runEndedEvents: Json[];
  /** The failover's functions, comma-separated, for the readiness function's STACK_FUNCTIONS. */
  stackFunctions: string;
  /** The stack's own names (functions/core/stack-names.ts), for serverless.yml. */
  names: { stateMachine: string; approvalTimerGroup: string; wayBackGroup: string; defaultEventBus: string };
  /** The way-back role's ARN for the notify function (infra/way-back.ts); empty without a round-trip plan. */
  wayBackRoleArn: Json;
  /** The stack's own on-call topic's ARN (a Ref), for DEFAULT_SNS_TOPIC_ARN of the notify and run-ended functions. */
  defaultTopicArn: Json;
  resources: { Resources: Record<string, Json>; extensions: Record<string, Json> };
}

/** Everything serverless.yml needs from the plans for one stage and region. */
export const buildWiring = (plansDir: string, region: string, stage: string): Wiring => {
  const catalogue = [...loadPlanCatalog(plansDir).values()];
  const plans = catalogue.filter((p) => p.regions.standby === region);
  // Plans whose primary is this region: this stack runs their way back (failback), nothing else of them. Not a
  // plan with components, nor an Aurora plan moving traffic by a take-over health check (core/failback.ts).
  const wayBack = catalogue.filter((p) => p.regions.primary === region && wayBackRunsInPrimaryRegion(p));
  for (const plan of [...plans, ...wayBack]) refuseLocalSecrets(plan);
  for (const plan of wayBack) refuseWayBackWithoutVpc(plan);
  const turned = wayBack.map((p) => orientPlan(p, 'standby'));
  const { triggerEvents, readinessEvents, runEndedEvents } = eventsOf(plans, stage, turned);
  const resources: Record<string, Json> = {
    ...functionRoles(plans, stage, wayBack),
    ...approvalTimer(stage),
    ...wayBackResources(plans, stage),
    ...notificationResources(plans, stage, wayBack),
  };
  return {
    planNames: plans.map((p) => p.name),
    triggerEvents,
    readinessEvents,
    runEndedEvents,
    stackFunctions: FAILOVER_FUNCTIONS.map((fn) => functionName(stage, fn)).join(','),
    names: {
      stateMachine: stackName(stage),
      approvalTimerGroup: approvalTimerGroupName(stage),
      wayBackGroup: wayBackGroupName(stage),
      defaultEventBus: DEFAULT_EVENT_BUS,
    },
    wayBackRoleArn: wayBackRoleArn(plans),
    defaultTopicArn: { Ref: DEFAULT_TOPIC },
    // Functions that connect to a private database get its subnets and security groups (infra/vpc.ts).
    resources: {
      Resources: resources,
      extensions: vpcExtensions([...plans, ...turned]),
    },
  };
};
