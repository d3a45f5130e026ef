import {
  type DBClusterSnapshot,
  DescribeDBClusterSnapshotsCommand,
  DescribeGlobalClustersCommand,
  type GlobalCluster,
  RDSClient,
} from '@aws-sdk/client-rds';
import { hasAwsErrorName } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { type AuroraPairView, clusterId, unplannedSnapshotPrefix } from '#core/aurora-failback.js';
import type { PlanWithDatabase } from '#core/plan.js';
import type { AuroraPairObserver } from '#core/ports.js';
import { PRIMARY_REGION_DEADLINE_MS, withDeadline } from './rds-fence.js';
import { PRIMARY_REGION_CLIENT_SETTINGS } from './rds-instance.js';

/** Injectable client (tests); by default the lazy client cache, one attempt, bounded. */
export interface AuroraPairDeps {
  rds?: (region: string) => RDSClient;
}

/** The global cluster's members as the way back reads them (GlobalClusterMember: IsWriter, SynchronizationStatus). */
export const globalView = (global: GlobalCluster, oldPrimaryArn: string) => {
  const members = global.GlobalClusterMembers ?? [];
  const old = members.find((m) => m.DBClusterArn === oldPrimaryArn);
  const op = global.FailoverState?.Status
    ? `${global.FailoverState.IsDataLossAllowed ? 'failover' : 'switchover'} (${global.FailoverState.Status})`
    : undefined;
  const writerArn = members.find((m) => m.IsWriter)?.DBClusterArn;
  return {
    ...(writerArn ? { writerArn } : {}),
    ...(op ? { operation: op } : {}),
    oldPrimary: {
      member: old !== undefined,
      ...(old?.SynchronizationStatus ? { synchronization: old.SynchronizationStatus } : {}),
    },
  };
};

/**
 * Aurora's `rds:unplanned-global-failover-<old primary>-<timestamp>` snapshot of the old primary (the newest when
 * there are several), and a manual copy of it (DBClusterSnapshot.SourceDBClusterSnapshotArn names what a copy was
 * copied from: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBClusterSnapshot.html).
 */
export const unplannedSnapshots = (snapshots: readonly DBClusterSnapshot[], oldPrimaryArn: string) => {
  const prefix = unplannedSnapshotPrefix(clusterId(oldPrimaryArn));
  const unplanned = snapshots
    .filter((s) => s.DBClusterSnapshotIdentifier?.startsWith(prefix))
    .sort((a, b) => (b.SnapshotCreateTime?.getTime() ?? 0) - (a.SnapshotCreateTime?.getTime() ?? 0))[0];
  const copy = unplanned
    ? snapshots.find(
        (s) =>
          s.SourceDBClusterSnapshotArn !== undefined && s.SourceDBClusterSnapshotArn === unplanned.DBClusterSnapshotArn,
      )
    : undefined;
  return { unplanned, copy };
};

const brief = (s: DBClusterSnapshot | undefined) =>
  s ? { id: s.DBClusterSnapshotIdentifier ?? '?', status: s.Status ?? 'unknown' } : undefined;

/**
 * Reads an Aurora plan's global database for the way back, in the stack's own region (the old primary's): the
 * global cluster (DescribeGlobalClusters) and the old primary's snapshots (DescribeDBClusterSnapshots), at once,
 * one attempt each with a deadline. A call that fails is `reachable: false` (Prepare refuses, nothing changed).
 */
export class AuroraPair implements AuroraPairObserver {
  readonly #plan: PlanWithDatabase<'aurora-global'>;
  readonly #deps: AuroraPairDeps;

  constructor(plan: PlanWithDatabase<'aurora-global'>, deps: AuroraPairDeps = {}) {
    this.#plan = plan;
    this.#deps = deps;
  }

  async observe(): Promise<AuroraPairView> {
    const db = this.#plan.database;
    const region = this.#plan.regions.primary;
    const rds = this.#deps.rds?.(region) ?? clientFor(RDSClient, region, PRIMARY_REGION_CLIENT_SETTINGS);
    const bounded = <T>(what: string, call: (abortSignal: AbortSignal) => Promise<T>) =>
      withDeadline(call, PRIMARY_REGION_DEADLINE_MS, `${what} in ${region}`);
    const none: AuroraPairView = { reachable: true, exists: false, oldPrimary: { member: false } };
    try {
      const [global, snapshots] = await Promise.all([
        bounded(`DescribeGlobalClusters ${db.globalClusterIdentifier}`, (abortSignal) =>
          rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: db.globalClusterIdentifier }), {
            abortSignal,
          }),
        ),
        bounded(`DescribeDBClusterSnapshots ${clusterId(db.primaryClusterArn)}`, (abortSignal) =>
          rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: clusterId(db.primaryClusterArn) }), {
            abortSignal,
          }),
        ),
      ]);
      const found = global.GlobalClusters?.[0];
      if (!found) return none;
      const { unplanned, copy } = unplannedSnapshots(snapshots.DBClusterSnapshots ?? [], db.primaryClusterArn);
      const unplannedSnapshot = brief(unplanned);
      const preservedCopy = brief(copy);
      return {
        reachable: true,
        exists: true,
        ...globalView(found, db.primaryClusterArn),
        ...(unplannedSnapshot ? { unplannedSnapshot } : {}),
        ...(preservedCopy ? { preservedCopy } : {}),
      };
    } catch (error) {
      if (hasAwsErrorName(error, 'GlobalClusterNotFoundFault')) return none;
      return { reachable: false, exists: false, oldPrimary: { member: false } };
    }
  }
}
