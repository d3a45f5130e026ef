/**
 * Readiness reads of an RDS plan (`rds-instance` read replica, `aurora-global` secondary cluster): the standby's
 * health and the newest backup, both in the standby region, and who the writer is. Only the writer's endpoint
 * before a failover needs the primary region: that read gets one attempt, short timeouts and its own deadline.
 */
import {
  type DBCluster,
  type DBInstance,
  DescribeDBClusterSnapshotsCommand,
  type DescribeDBClusterSnapshotsCommandOutput,
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  type DescribeDBInstanceAutomatedBackupsCommandOutput,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  type DescribeDBSnapshotsCommandOutput,
  DescribeGlobalClustersCommand,
  type GlobalCluster,
  RDSClient,
} from '@aws-sdk/client-rds';
import { describeFirst, translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { PRIMARY_REGION_DEADLINE_MS, withDeadline } from '#adapters/database/rds-fence.js';
import {
  brokenReplication,
  FAILED_INSTANCE_STATES,
  PRIMARY_REGION_CLIENT_SETTINGS,
  rdsResourceId,
} from '#adapters/database/rds-instance.js';
import { fencedReplicaExplanation } from '#adapters/database/rds-replica-fence.js';
import type { PlanWithDatabase } from '#core/plan.js';
import type { BackupFacts, StandbyFacts, WriterFacts } from '#core/ports.js';

export interface RdsReadinessDeps {
  /** Builds the client of a region on first use; tests pass mocked clients. */
  rds?: (region: string, primary: boolean) => RDSClient;
}

/**
 * Instance and cluster states from which the standby cannot become a writer by waiting: those in which the failover
 * adapter calls a promotion failed, and the stopped and recoverable-key states, which need someone to act.
 */
const FAILED_STATES = new Set([
  ...FAILED_INSTANCE_STATES,
  'inaccessible-encryption-credentials-recoverable',
  'stopped',
  'stopping',
]);

/** What RDS answers for a resource that does not exist: readiness reports it missing rather than failing. */
const NOT_FOUND = [
  'DBInstanceNotFound',
  'DBInstanceNotFoundFault',
  'DBClusterNotFoundFault',
  'GlobalClusterNotFoundFault',
];

const MAX_PAGES = 20;

abstract class RdsReadinessBase<K extends 'rds-instance' | 'aurora-global'> {
  protected readonly plan: PlanWithDatabase<K>;
  readonly #deps: RdsReadinessDeps;

  constructor(plan: PlanWithDatabase<K>, deps: RdsReadinessDeps = {}) {
    this.plan = plan;
    this.#deps = deps;
  }

  protected standbyRds(): RDSClient {
    return this.#deps.rds?.(this.plan.regions.standby, false) ?? clientFor(RDSClient, this.plan.regions.standby);
  }

  protected primaryRds(): RDSClient {
    return (
      this.#deps.rds?.(this.plan.regions.primary, true) ??
      clientFor(RDSClient, this.plan.regions.primary, PRIMARY_REGION_CLIENT_SETTINGS)
    );
  }

  /** Follows `Marker` pages, bounded: a runaway listing must not eat the check's time. */
  protected async paged<T extends { Marker?: string | undefined }>(
    what: string,
    page: (marker: string | undefined) => Promise<T>,
  ): Promise<T[]> {
    const pages: T[] = [];
    let marker: string | undefined;
    try {
      do {
        const out = await page(marker);
        pages.push(out);
        marker = out.Marker;
      } while (marker && pages.length < MAX_PAGES);
    } catch (error) {
      throw translateAwsError(error, what);
    }
    return pages;
  }
}

/** Readiness reads of an RDS for PostgreSQL cross-region read replica. */
export class RdsInstanceReadiness extends RdsReadinessBase<'rds-instance'> {
  #replica: Promise<DBInstance | undefined> | undefined;

  private get replicaId() {
    return rdsResourceId(this.plan.database.replicaInstanceArn, 'db');
  }

  private get sourceId() {
    return rdsResourceId(this.plan.database.sourceInstanceArn, 'db');
  }

  /** One DescribeDBInstances of the replica per run: the standby and writer reads share it. */
  private replica(): Promise<DBInstance | undefined> {
    this.#replica ??= describeFirst(
      `DescribeDBInstances ${this.replicaId}`,
      async () =>
        (await this.standbyRds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: this.replicaId })))
          .DBInstances,
      NOT_FOUND,
    );
    return this.#replica;
  }

  async standby(): Promise<StandbyFacts> {
    const instance = await this.replica();
    const where = `${this.replicaId} in ${this.plan.regions.standby}`;
    if (!instance) return { exists: false, detail: `DB instance ${where} not found` };
    const state = instance.DBInstanceStatus ?? 'unknown';
    const role = instance.ReadReplicaSourceDBInstanceIdentifier ? 'replica' : 'promoted';
    const info = instance.StatusInfos?.find((s) => s.StatusType === 'read replication');
    const facts: StandbyFacts = {
      exists: true,
      role,
      state,
      detail:
        role === 'replica'
          ? `${where} is ${state}, a read replica of ${instance.ReadReplicaSourceDBInstanceIdentifier}`
          : `${where} is ${state}, standalone`,
    };
    if (info?.Status) facts.replication = info.Status;
    // Standalone but read-only by its own group (left so by a way back): not the writer; a run would be refused.
    const { regions, database } = this.plan;
    const pair = { replicaId: this.replicaId, sourceInstanceArn: database.sourceInstanceArn };
    const ctx = { ...pair, standbyRegion: regions.standby, primaryRegion: regions.primary };
    const fenced = await fencedReplicaExplanation(
      this.standbyRds(),
      database.replicaFenceParameterGroupName,
      instance,
      ctx,
    );
    if (fenced) {
      facts.blocker = { status: 'CRITICAL', reason: `a failover run would be refused: ${fenced}` };
    } else if (FAILED_STATES.has(state)) {
      facts.blocker = { status: 'CRITICAL', reason: `${where} is ${state}` };
    } else if (brokenReplication(instance)) {
      facts.blocker = { status: 'CRITICAL', reason: `read replication of ${where} is ${brokenReplication(instance)}` };
    } else if (state !== 'available') {
      facts.blocker = { status: 'WARN', reason: `${where} is ${state}, not available` };
    }
    return facts;
  }

  /**
   * Manual or copied snapshots of the replica or of its source, and the source's automated backups replicated into
   * the standby region (cross-Region automated backup replication): whichever is newest.
   */
  async backup(): Promise<BackupFacts> {
    const ids = [this.replicaId, this.sourceId];
    const region = this.plan.regions.standby;
    const [snapshots, automated] = await Promise.all([
      this.paged<DescribeDBSnapshotsCommandOutput>(`DescribeDBSnapshots ${ids.join(',')} in ${region}`, (Marker) =>
        this.standbyRds().send(
          new DescribeDBSnapshotsCommand({ Filters: [{ Name: 'db-instance-id', Values: ids }], Marker }),
        ),
      ),
      this.paged<DescribeDBInstanceAutomatedBackupsCommandOutput>(
        `DescribeDBInstanceAutomatedBackups ${ids.join(',')} in ${region}`,
        (Marker) =>
          this.standbyRds().send(
            new DescribeDBInstanceAutomatedBackupsCommand({
              Filters: [{ Name: 'db-instance-id', Values: ids }],
              Marker,
            }),
          ),
      ),
    ]);
    const candidates: { at: Date; source: string }[] = [];
    for (const s of snapshots.flatMap((p) => p.DBSnapshots ?? [])) {
      if (s.Status === 'available' && s.SnapshotCreateTime) {
        candidates.push({
          at: s.SnapshotCreateTime,
          source: `${s.SnapshotType ?? 'snapshot'} snapshot ${s.DBSnapshotIdentifier} of ${s.DBInstanceIdentifier}`,
        });
      }
    }
    for (const b of automated.flatMap((p) => p.DBInstanceAutomatedBackups ?? [])) {
      const latest = b.RestoreWindow?.LatestTime;
      if (latest && b.Status !== 'pending') {
        const replicated = b.Region && b.Region !== region ? `replicated from ${b.Region} ` : '';
        candidates.push({ at: latest, source: `automated backup ${replicated}of ${b.DBInstanceIdentifier}` });
      }
    }
    return newest(candidates, `${ids.join(' or ')} in ${region}`);
  }

  async writer(): Promise<WriterFacts> {
    const instance = await this.replica();
    const replicaEndpoint = instance?.Endpoint?.Address;
    if (instance && !instance.ReadReplicaSourceDBInstanceIdentifier) {
      return {
        role: 'standby',
        endpoints: replicaEndpoint ? [replicaEndpoint] : [],
        forbidden: [],
        detail: `${this.replicaId} is standalone: it is the writer`,
      };
    }
    const forbidden = replicaEndpoint ? [replicaEndpoint] : [];
    const what = `DescribeDBInstances ${this.sourceId} in ${this.plan.regions.primary}`;
    try {
      const out = await withDeadline(
        (abortSignal) =>
          this.primaryRds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: this.sourceId }), {
            abortSignal,
          }),
        PRIMARY_REGION_DEADLINE_MS,
        what,
      );
      const address = out.DBInstances?.[0]?.Endpoint?.Address;
      return {
        role: 'primary',
        endpoints: address ? [address] : [],
        forbidden,
        detail: address ? `${this.sourceId} is the writer` : `${this.sourceId} has no endpoint address`,
      };
    } catch (error) {
      // The primary region may be dark: the record can still be judged against the replica's address.
      return {
        role: 'primary',
        endpoints: [],
        forbidden,
        detail: translateAwsError(error, what).message,
      };
    }
  }
}

/** Readiness reads of an Aurora Global Database secondary cluster. */
export class AuroraGlobalReadiness extends RdsReadinessBase<'aurora-global'> {
  #global: Promise<GlobalCluster | undefined> | undefined;
  #target: Promise<DBCluster | undefined> | undefined;

  private get globalId() {
    return this.plan.database.globalClusterIdentifier;
  }

  private global(): Promise<GlobalCluster | undefined> {
    this.#global ??= describeFirst(
      `DescribeGlobalClusters ${this.globalId}`,
      async () =>
        (await this.standbyRds().send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: this.globalId })))
          .GlobalClusters,
      NOT_FOUND,
    );
    return this.#global;
  }

  private target(): Promise<DBCluster | undefined> {
    this.#target ??= this.cluster(this.standbyRds(), this.plan.database.targetClusterArn);
    return this.#target;
  }

  private cluster(client: RDSClient, arn: string, abortSignal?: AbortSignal): Promise<DBCluster | undefined> {
    // DescribeDBClusters accepts the cluster's ARN as its identifier.
    return describeFirst(
      `DescribeDBClusters ${arn}`,
      async () =>
        (await client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: arn }), { abortSignal })).DBClusters,
      NOT_FOUND,
    );
  }

  async standby(): Promise<StandbyFacts> {
    const targetArn = this.plan.database.targetClusterArn;
    const [global, cluster] = await Promise.all([this.global(), this.target()]);
    if (!global) return { exists: false, detail: `global cluster ${this.globalId} not found` };
    const member = global.GlobalClusterMembers?.find((m) => m.DBClusterArn === targetArn);
    if (!member) return { exists: false, detail: `${targetArn} is not a member of ${this.globalId}` };
    if (!cluster) return { exists: false, detail: `DB cluster ${targetArn} not found` };
    const state = cluster.Status ?? 'unknown';
    const facts: StandbyFacts = {
      exists: true,
      role: member.IsWriter ? 'promoted' : 'replica',
      state,
      detail: `${targetArn} is ${state}, ${member.IsWriter ? 'the writer' : 'a secondary'} of ${this.globalId} (${global.Status ?? 'unknown'})`,
    };
    if (member.SynchronizationStatus) facts.replication = member.SynchronizationStatus;
    const failover = global.FailoverState;
    if (FAILED_STATES.has(state)) {
      facts.blocker = { status: 'CRITICAL', reason: `${targetArn} is ${state}` };
    } else if ((cluster.DBClusterMembers ?? []).length === 0) {
      // A headless secondary has storage but no instance: it cannot take writes until one is added (many minutes).
      facts.blocker = {
        status: 'CRITICAL',
        reason: `${targetArn} has no DB instance (headless): it cannot become the writer`,
      };
    } else if (failover?.Status) {
      facts.blocker = {
        status: 'WARN',
        reason: `${this.globalId} has a ${failover.IsDataLossAllowed ? 'failover' : 'switchover'} ${failover.Status} from ${failover.FromDbClusterArn ?? '?'} to ${failover.ToDbClusterArn ?? '?'}`,
      };
    } else if (member.SynchronizationStatus === 'pending-resync') {
      facts.blocker = { status: 'WARN', reason: `${targetArn} is pending resync with the writer` };
    } else if (state !== 'available' || (global.Status && global.Status !== 'available')) {
      facts.blocker = {
        status: 'WARN',
        reason: `${targetArn} is ${state}, global cluster ${global.Status ?? 'unknown'}: not available`,
      };
    }
    return facts;
  }

  /** Cluster snapshots of the secondary or of the primary cluster (copies keep the source's identifier). */
  async backup(): Promise<BackupFacts> {
    const ids = [
      rdsResourceId(this.plan.database.targetClusterArn, 'cluster'),
      rdsResourceId(this.plan.database.primaryClusterArn, 'cluster'),
    ];
    const region = this.plan.regions.standby;
    const pages = await this.paged<DescribeDBClusterSnapshotsCommandOutput>(
      `DescribeDBClusterSnapshots ${ids.join(',')} in ${region}`,
      (Marker) =>
        this.standbyRds().send(
          new DescribeDBClusterSnapshotsCommand({ Filters: [{ Name: 'db-cluster-id', Values: ids }], Marker }),
        ),
    );
    const candidates = pages
      .flatMap((p) => p.DBClusterSnapshots ?? [])
      .filter((s) => s.Status === 'available' && s.SnapshotCreateTime)
      .map((s) => ({
        at: s.SnapshotCreateTime as Date,
        source: `${s.SnapshotType ?? 'cluster'} snapshot ${s.DBClusterSnapshotIdentifier} of ${s.DBClusterIdentifier}`,
      }));
    return newest(candidates, `${ids.join(' or ')} in ${region}`);
  }

  async writer(): Promise<WriterFacts> {
    const targetArn = this.plan.database.targetClusterArn;
    const [global, target] = await Promise.all([this.global(), this.target()]);
    // Aurora's global writer endpoint always follows the writer: a record pointing at it is right in either case.
    const globalEndpoint = global?.Endpoint ? [global.Endpoint] : [];
    const writerArn = global?.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn;
    if (writerArn === targetArn) {
      return {
        role: 'standby',
        endpoints: [...globalEndpoint, ...(target?.Endpoint ? [target.Endpoint] : [])],
        forbidden: [],
        detail: `${targetArn} is the writer of ${this.globalId}`,
      };
    }
    // While a secondary, the target's endpoints answer read-only: a record pointing there breaks every write.
    const forbidden = [target?.Endpoint, target?.ReaderEndpoint].filter((e): e is string => Boolean(e));
    const primaryArn = writerArn ?? this.plan.database.primaryClusterArn;
    const what = `DescribeDBClusters ${primaryArn} in ${this.plan.regions.primary}`;
    try {
      const writer = await withDeadline(
        (abortSignal) => this.cluster(this.primaryRds(), primaryArn, abortSignal),
        PRIMARY_REGION_DEADLINE_MS,
        what,
      );
      return {
        role: 'primary',
        endpoints: [...globalEndpoint, ...(writer?.Endpoint ? [writer.Endpoint] : [])],
        forbidden,
        detail: writer ? `${primaryArn} is the writer of ${this.globalId}` : `${primaryArn} not found`,
      };
    } catch (error) {
      return {
        role: 'primary',
        endpoints: globalEndpoint,
        forbidden,
        detail: translateAwsError(error, what).message,
      };
    }
  }
}

const newest = (candidates: { at: Date; source: string }[], where: string): BackupFacts => {
  const best = candidates.reduce<{ at: Date; source: string } | undefined>(
    (a, b) => (!a || b.at.getTime() > a.at.getTime() ? b : a),
    undefined,
  );
  if (!best) return { kind: 'none', detail: `no available snapshot or automated backup of ${where}` };
  return {
    kind: 'found',
    newestAt: best.at,
    source: best.source,
    detail: `${candidates.length} backup(s) of ${where}`,
  };
};
