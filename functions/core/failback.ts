/**
 * The way back for an RDS plan (issue 11). After a failover the plan's replica is a standalone writer in the
 * standby region and the old primary, in the primary region, follows nobody. RDS cannot re-attach the old primary
 * as a replica, so the way back preserves it (a snapshot, never a delete), builds a new cross-Region read replica of
 * the new primary in the old primary's region under a name derived from the plan, waits until it replicates, and
 * then runs the planned failover towards it.
 *
 * Pure: names, the decision on what Prepare observed, and the plan as the way back sees it. Prepare observes an RDS
 * pair for failback runs only: every other run keeps the plan's direction and never calls the primary region there.
 */
import { AmbiguousTopologyError, InvalidInputError } from './errors.js';
import type { Plan, PlanWithDatabase } from './plan.js';

/** One DB instance as DescribeDBInstances showed it. */
export interface InstanceView {
  /** The instance's identifier. */
  id: string;
  /** False when DescribeDBInstances did not answer (a dark region, throttled): nothing is known of it. */
  reachable: boolean;
  /** False when RDS answered DBInstanceNotFound. */
  exists: boolean;
  /** DBInstanceStatus. */
  status?: string;
  /** ReadReplicaSourceDBInstanceIdentifier (an identifier, or an ARN across Regions): set on a read replica. */
  replicaOf?: string;
  /** The `read replication` status RDS reports for a replica (`replicating`, `error` ...). */
  replication?: string;
}

/** What Prepare saw of an RDS pair for the way back. */
export interface RdsPairView {
  /** The plan's source: the old primary, in the primary region. */
  source: InstanceView;
  /** The plan's replica: the current writer once it was promoted, in the standby region. */
  replica: InstanceView;
  /** The read replica the way back builds in the primary region (rebuiltReplicaId). */
  rebuilt: InstanceView;
}

/** The snapshot that preserves the old primary; `absent`: there was no old primary to copy. */
export interface PreservedCopy {
  id: string;
  status: 'creating' | 'available' | 'absent' | 'failed';
  detail: string;
}

/** What Rebuild did: started the replica, found it, or found Aurora re-adding the old primary by itself. */
export type RebuildOutcome = 'started' | 'exists' | 'waiting';

/** The replica the way back builds: `replicating` from the writer, or `failed` (waiting will not help). */
export interface RebuildProgress {
  state: 'pending' | 'replicating' | 'failed';
  detail: string;
}

// ------------------------------------------------------------------------------------------------ ports
// Exported by ./ports.ts with the other ports; declared here to keep that file within its size.

/** Reads an RDS pair for the way back (core/failback.ts); never throws for one instance (`exists`, `reachable`). */
export interface RdsPairObserver {
  observe(): Promise<RdsPairView>;
}

/**
 * The way back's actions (RDS, Aurora), each idempotent: a retry or a later run finds what an earlier one made.
 * RDS: a snapshot of the old primary, a new read replica of the writer. Aurora: a manual copy of Aurora's own
 * snapshot of the old primary, and the old primary's rejoin, which Aurora makes (`waiting`).
 */
export interface FailbackRebuilder {
  /** Starts snapshot `id` of the old primary; one of that name of it is success. */
  preserve(id: string): Promise<PreservedCopy>;
  preserved(id: string): Promise<PreservedCopy>;
  /** Starts the read replica of the writer; one that exists and follows the writer is success. */
  rebuild(): Promise<{ outcome: RebuildOutcome; detail: string }>;
  rebuildStatus(): Promise<RebuildProgress>;
}

/**
 * How far the way back is: `needed` (no replica of the writer in the old region yet), `under-way` (it exists and does
 * not replicate yet, e.g. `creating`), `replicating` (available and replicating: only the planned run is left).
 */
export type RebuildStage = 'needed' | 'under-way' | 'replicating';

/** The suffix of the rebuilt replica's identifier, and the most of the source's identifier kept before it. */
const REBUILT_SUFFIX = '-failback';
const RDS_ID_MAX = 63;

/** `id` within `max` characters, ending in no hyphen: RDS identifiers may not end with one nor hold two in a row. */
const cut = (id: string, max: number) => id.slice(0, max).replace(/-+$/, '');

/** The identifier of a DB instance ARN (`arn:aws:rds:<region>:<account>:db:<id>`): what follows the last colon. */
const instanceId = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);

/** The rebuilt replica's identifier: the old primary's, cut to fit, then `-failback` (stable: a retry finds it). */
export const rebuiltReplicaId = (sourceInstanceArn: string): string =>
  `${cut(instanceId(sourceInstanceArn), RDS_ID_MAX - REBUILT_SUFFIX.length)}${REBUILT_SUFFIX}`;

/** The rebuilt replica's ARN: in the plan's primary region and account. */
export const rebuiltReplicaArn = (plan: PlanWithDatabase<'rds-instance'>): string =>
  `arn:aws:rds:${plan.regions.primary}:${plan.accountId}:db:${rebuiltReplicaId(plan.database.sourceInstanceArn)}`;

/**
 * The snapshot that preserves the old primary, named after the run (its execution name): a retry of the step finds
 * the snapshot it asked for, and another run of the way back makes its own. DB snapshot identifiers: 1-255 letters,
 * digits or hyphens, a letter first, no two hyphens in a row, none at the end
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSnapshot.html).
 */
export const preservedSnapshotId = (oldPrimaryArn: string, executionId: string): string => {
  const run = (executionId.split(':').at(-1) ?? '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+/, '');
  return cut(`${cut(instanceId(oldPrimaryArn), RDS_ID_MAX)}-preserved-${run}`.replace(/-{2,}/g, '-'), 255);
};

const sameInstance = (ref: string | undefined, arn: string) =>
  ref !== undefined && (ref === arn || ref === instanceId(arn));

const described = (name: string, v: InstanceView): string => {
  if (!v.reachable) return `${name} ${v.id} did not answer`;
  if (!v.exists) return `${name} ${v.id} does not exist`;
  const replica = v.replicaOf ? `, a read replica of ${v.replicaOf}${v.replication ? ` (${v.replication})` : ''}` : '';
  return `${name} ${v.id} is ${v.status ?? 'unknown'}${replica}`;
};

/**
 * How the way back stands, from what Prepare saw; refuses (nothing changed) a world it cannot go back from.
 * - the plan's replica must be a standalone writer (a replica still following its source: nothing to fail back);
 * - the rebuilt replica, when it exists, must follow that writer (a standalone one is a second writer);
 * - the old primary's region must answer (this stack runs there).
 */
export const rdsWayBack = (
  plan: PlanWithDatabase<'rds-instance'>,
  view: RdsPairView,
): { stage: RebuildStage; observed: string } => {
  const observed = [
    described('replica', view.replica),
    described('rebuilt replica', view.rebuilt),
    described('old primary', view.source),
  ].join('; ');
  const refuse = (why: string): never => {
    throw new AmbiguousTopologyError(`failback of plan ${plan.name} refused: ${why}: ${observed}`);
  };
  const { replica, rebuilt } = view;
  if (!replica.reachable || !rebuilt.reachable) return refuse('the pair could not be observed');
  if (!replica.exists) return refuse('there is no writer to fail back from');
  if (replica.replicaOf) {
    throw new InvalidInputError(
      'trigger.kind',
      `failback of plan ${plan.name} refused: the pair stands as the plan is written (${observed}); nothing to fail back`,
    );
  }
  if (!rebuilt.exists) return { stage: 'needed', observed };
  if (!rebuilt.replicaOf) return refuse('two writers (the promoted replica and the rebuilt instance)');
  if (!sameInstance(rebuilt.replicaOf, plan.database.replicaInstanceArn)) {
    return refuse(`the rebuilt instance replicates from ${rebuilt.replicaOf}, not from the current writer`);
  }
  const replicating = rebuilt.status === 'available' && rebuilt.replication === 'replicating';
  return { stage: replicating ? 'replicating' : 'under-way', observed };
};

/**
 * The RDS plan as the way back runs it: from the promoted replica (standby region) to the rebuilt replica (primary
 * region), fencing the writer through the replica's parameter group.
 */
export const orientRdsPlan = (plan: PlanWithDatabase<'rds-instance'>): Plan => {
  const db = plan.database;
  return {
    ...plan,
    regions: { primary: plan.regions.standby, standby: plan.regions.primary },
    database: {
      kind: 'rds-instance',
      replicaInstanceArn: rebuiltReplicaArn(plan),
      sourceInstanceArn: db.replicaInstanceArn,
      ...(db.replicaFenceParameterGroupName ? { fenceParameterGroupName: db.replicaFenceParameterGroupName } : {}),
    },
  };
};

/**
 * Whether the stack of the plan's primary region runs the plan's way back (`dr-failover failback`) through the state
 * machine: self-managed PostgreSQL and RDS, and Aurora unless its traffic moves by a take-over health check (whose
 * alarm only moves traffic to the standby: core/aurora-failback.ts); never a plan with components (Prepare refuses
 * to fail one back). That stack is given the plan turned round: its grants, its topic and its VPCs.
 */
export const wayBackRunsInPrimaryRegion = (plan: Plan): boolean =>
  !plan.components && (plan.database.kind !== 'aurora-global' || plan.traffic.kind !== 'health-check');
