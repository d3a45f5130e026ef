/**
 * The way back for an Aurora Global Database plan (issue 11). After an unplanned failover (FailoverGlobalCluster with
 * AllowDataLoss) the plan's target cluster is the global writer in the standby region. Aurora itself brings the old
 * primary back: "As soon as that Region is healthy and available again, Aurora automatically adds it back to the
 * global cluster as a secondary Region", and before it creates the old primary's new storage volume "Aurora tries to
 * take a snapshot of the old storage volume at the point of failure", named
 * `rds:unplanned-global-failover-<old primary cluster>-<timestamp>`, "a system snapshot that's subject to the backup
 * retention period configured on the old primary cluster" (Aurora User Guide, "Recovering an Amazon Aurora global
 * database from an unplanned outage",
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html#aurora-global-database-failover.managed-unplanned).
 *
 * So the way back preserves that snapshot as a manual copy (it would expire; nothing is ever deleted), waits for the
 * old primary to be a member again and synchronized, and then runs the planned switchover back, which "waits for the
 * target secondary Region clusters to be fully synchronized" first (same page, "Performing switchovers").
 *
 * Pure: names, the decision on what Prepare observed, and the plan as the way back sees it.
 */
import { AmbiguousTopologyError, InvalidInputError } from './errors.js';
import type { RebuildStage } from './failback.js';
import type { Plan, PlanWithDatabase } from './plan.js';

/** What Prepare saw of an Aurora global database for the way back. */
export interface AuroraPairView {
  /** False when DescribeGlobalClusters did not answer (throttled, unreachable): nothing is known. */
  reachable: boolean;
  /** False when Aurora answered GlobalClusterNotFound. */
  exists: boolean;
  /** The member cluster with IsWriter. */
  writerArn?: string;
  /** A switchover or failover in progress (FailoverState), in words. */
  operation?: string;
  /** Whether the plan's primary (the old primary) is a member again, and its SynchronizationStatus. */
  oldPrimary: { member: boolean; synchronization?: string };
  /** Aurora's `rds:unplanned-global-failover-…` snapshot of the old primary, the newest when there are several. */
  unplannedSnapshot?: { id: string; status: string };
  /** A manual copy of that snapshot, made by an earlier way back. */
  preservedCopy?: { id: string; status: string };
}

/** Reads an Aurora plan's global database for the way back; never throws for what it cannot read (`reachable`). */
export interface AuroraPairObserver {
  observe(): Promise<AuroraPairView>;
}

/** The prefix of the snapshot Aurora takes of the old primary's storage volume after an unplanned failover. */
export const unplannedSnapshotPrefix = (oldPrimaryClusterId: string): string =>
  `rds:unplanned-global-failover-${oldPrimaryClusterId}-`;

/** The identifier of a DB cluster ARN (`arn:aws:rds:<region>:<account>:cluster:<id>`): what follows the last colon. */
export const clusterId = (arn: string): string => arn.slice(arn.lastIndexOf(':') + 1);

/** DB cluster snapshot identifiers: 1-63 letters, digits or hyphens, a letter first, no `--`, no hyphen at the end. */
const SNAPSHOT_ID_MAX = 63;
const PRESERVED = '-preserved-';
const cut = (id: string, max: number) => id.slice(0, max).replace(/-+$/, '');

/**
 * The manual copy of Aurora's snapshot, named from the plan's old primary and the run (its execution name), like the
 * RDS way back's snapshot: a retry of the step finds the copy it asked for. DB cluster snapshot identifiers: 1-63
 * letters, digits or hyphens, a letter first, no two hyphens in a row, none at the end
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBClusterSnapshot.html). The run's name is kept
 * as far as it fits after the cluster's identifier, cut to at most 30 characters.
 */
export const preservedClusterSnapshotId = (oldPrimaryArn: string, executionId: string): string => {
  const run = (executionId.split(':').at(-1) ?? '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+/, '');
  const head = cut(clusterId(oldPrimaryArn), 30);
  return cut(`${head}${PRESERVED}${run}`.replace(/-{2,}/g, '-'), SNAPSHOT_ID_MAX);
};

const describe = (plan: PlanWithDatabase<'aurora-global'>, v: AuroraPairView): string => {
  const g = plan.database.globalClusterIdentifier;
  if (!v.reachable) return `global cluster ${g} did not answer`;
  if (!v.exists) return `global cluster ${g} does not exist`;
  const old = clusterId(plan.database.primaryClusterArn);
  const parts = [
    `writer ${v.writerArn ? clusterId(v.writerArn) : 'none'}`,
    v.oldPrimary.member
      ? `old primary ${old} a member (${v.oldPrimary.synchronization ?? 'synchronization unknown'})`
      : `old primary ${old} not a member`,
    v.operation ? `${v.operation} in progress` : '',
    v.unplannedSnapshot
      ? `snapshot ${v.unplannedSnapshot.id} (${v.unplannedSnapshot.status})`
      : 'no unplanned-failover snapshot',
    v.preservedCopy ? `copy ${v.preservedCopy.id} (${v.preservedCopy.status})` : '',
  ];
  return `global cluster ${g}: ${parts.filter(Boolean).join(', ')}`;
};

/**
 * How the Aurora way back stands, from what Prepare saw; refuses (nothing changed) a world it cannot go back from.
 * - the plan's target must be the writer and no operation in progress (else: nothing to fail back, or wait);
 * - `needed`: the old primary is not a member yet (Aurora adds it back when its region is healthy);
 * - `under-way`: a member, not yet `connected` (resynchronizing), or Aurora's snapshot not yet copied;
 * - `replicating`: a `connected` member and the snapshot, if Aurora took one, preserved: only the run back is left.
 */
export const auroraWayBack = (
  plan: PlanWithDatabase<'aurora-global'>,
  view: AuroraPairView,
): { stage: RebuildStage; observed: string } => {
  const observed = describe(plan, view);
  const db = plan.database;
  if (!view.reachable || !view.exists) {
    throw new AmbiguousTopologyError(`failback of plan ${plan.name} refused: ${observed}`);
  }
  if (view.operation) {
    throw new AmbiguousTopologyError(
      `failback of plan ${plan.name} refused: ${observed}; run it again once the operation has ended`,
    );
  }
  if (view.writerArn === db.primaryClusterArn) {
    throw new InvalidInputError(
      'trigger.kind',
      `failback of plan ${plan.name} refused: the pair stands as the plan is written (${observed}); nothing to fail back`,
    );
  }
  if (view.writerArn !== db.targetClusterArn) {
    throw new AmbiguousTopologyError(
      `failback of plan ${plan.name} refused: the writer is neither of the plan's clusters (${observed})`,
    );
  }
  if (!view.oldPrimary.member) return { stage: 'needed', observed };
  const synchronized = view.oldPrimary.synchronization === 'connected';
  const preserved = !view.unplannedSnapshot || view.preservedCopy?.status === 'available';
  return { stage: synchronized && preserved ? 'replicating' : 'under-way', observed };
};

/**
 * The Aurora plan as the way back runs it: from the plan's target (the writer now) to the plan's primary, regions
 * the other way round; ARC routing controls swapped with them (the control of the region that becomes the writer is
 * turned On). A `health-check` plan's take-over alarm only moves traffic to the standby: refused (InvalidInputError).
 */
export const orientAuroraPlan = (plan: PlanWithDatabase<'aurora-global'>): Plan => {
  const db = plan.database;
  const traffic = plan.traffic;
  if (traffic.kind === 'health-check') {
    throw new InvalidInputError(
      'plan',
      `a run of plan ${plan.name} the other way round is not possible with traffic.kind health-check ` +
        '(its take-over alarm moves traffic to the standby only): move traffic back by hand, or use routing-control',
    );
  }
  return {
    ...plan,
    regions: { primary: plan.regions.standby, standby: plan.regions.primary },
    database: { ...db, primaryClusterArn: db.targetClusterArn, targetClusterArn: db.primaryClusterArn },
    ...(traffic.kind === 'routing-control'
      ? {
          traffic: {
            ...traffic,
            routingControls: { primary: traffic.routingControls.standby, standby: traffic.routingControls.primary },
          },
        }
      : {}),
  };
};
