import {
  type DBCluster,
  DescribeDBClustersCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  type FailoverState,
  type GlobalCluster,
  RDSClient,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { describeOne, translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { PromotionFailedError, ResourceBusyError } from '#core/errors.js';
import type { FailoverMode } from '#core/input.js';
import type { DatabaseScope } from '#core/plan.js';
import type { DatabaseFailover, FenceResult, LagReading, PromoteResult, PromotionStatus } from '#core/ports.js';
import type { Datapoint, LagMetricQuery } from './cloudwatch-lag.js';
import { type AwsDatabaseDeps, rdsResourceId } from './rds-instance.js';

/** The global cluster or a member cluster is busy (another switchover, failover, modification). */
const GLOBAL_BUSY_CODES = ['InvalidGlobalClusterStateFault', 'InvalidDBClusterStateFault'] as const;

/**
 * The two lag metrics, in milliseconds, published for the secondary cluster in its own region.
 * AuroraGlobalDBRPOLag is the data at risk (user transactions); AuroraGlobalDBReplicationLag is the older metric,
 * the only one on older Aurora MySQL versions (Aurora User Guide, "Performing switchovers": "For lower minor versions
 * of Aurora MySQL-based global databases, view the AuroraGlobalDBReplicationLag metric instead").
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html
 */
const RPO_LAG = 'AuroraGlobalDBRPOLag';
const REPLICATION_LAG = 'AuroraGlobalDBReplicationLag';

/** A global cluster's operation in progress, as the lag reading and Promote name it. */
const operation = (failover: FailoverState): string =>
  `${failover.IsDataLossAllowed ? 'failover' : 'switchover'} (${failover.Status}) from ${failover.FromDbClusterArn ?? '?'} to ${failover.ToDbClusterArn ?? '?'}`;

/**
 * DatabaseFailover for an Aurora Global Database: the target (secondary) cluster lives in the standby region, where
 * this stack runs. Every call goes to the standby region; nothing here needs the primary region.
 */
export class AuroraGlobalFailover implements DatabaseFailover {
  private readonly primaryRegion: string;
  private readonly standbyRegion: string;
  private readonly globalClusterId: string;
  private readonly targetArn: string;
  private readonly targetId: string;
  private readonly primaryArn: string;
  private readonly deps: AwsDatabaseDeps;
  private readonly now: () => Date;

  constructor(plan: DatabaseScope<'aurora-global'>, deps: AwsDatabaseDeps = {}) {
    this.primaryRegion = plan.regions.primary;
    this.standbyRegion = plan.regions.standby;
    this.globalClusterId = plan.database.globalClusterIdentifier;
    this.targetArn = plan.database.targetClusterArn;
    this.targetId = rdsResourceId(plan.database.targetClusterArn, 'cluster');
    this.primaryArn = plan.database.primaryClusterArn;
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
  }

  async replicationLag(): Promise<LagReading> {
    const now = this.now();
    const lag = await import('./cloudwatch-lag.js');
    const cloudwatch = this.deps.cloudwatch?.(this.standbyRegion) ?? lag.defaultCloudWatch(this.standbyRegion);
    // The secondary's global-database metrics are published under (DBClusterIdentifier, SourceRegion = the primary's
    // region): the CloudWatch console lists AuroraGlobalDBReplicationLag in the "DBClusterIdentifier, SourceRegion"
    // group (AWS Aurora labs, "Use Amazon CloudWatch to monitor for latency"; Aurora User Guide, "Amazon CloudWatch
    // dimensions for Aurora" lists both dimensions). A metric is only found with its exact dimension set, so the
    // DBClusterIdentifier-only set is read as well, in the same call, and the newest datapoint wins.
    const queries: LagMetricQuery[] = [];
    for (const [key, metricName] of [
      ['rpo', RPO_LAG],
      ['repl', REPLICATION_LAG],
    ] as const) {
      queries.push(
        {
          id: `${key}_by_source`,
          namespace: 'AWS/RDS',
          metricName,
          dimensions: { DBClusterIdentifier: this.targetId, SourceRegion: this.primaryRegion },
        },
        {
          id: `${key}_by_cluster`,
          namespace: 'AWS/RDS',
          metricName,
          dimensions: { DBClusterIdentifier: this.targetId },
        },
      );
    }
    // The promotion state outranks the metrics (see promotedState), read in parallel so that it adds no latency.
    const [global, latest] = await Promise.all([
      this.describeGlobalCluster(),
      lag.latestDatapoints(cloudwatch, queries, now, `${RPO_LAG}/${REPLICATION_LAG} ${this.targetId}`),
    ]);
    const promoted = this.promotedState(global);
    if (promoted.writer) {
      return {
        status: 'known',
        seconds: 0,
        observedAt: now.toISOString(),
        source: 'rds:DescribeGlobalClusters already-promoted',
        detail: promoted.detail,
        alreadyPromoted: true,
      };
    }
    const newest = (key: string): Datapoint | undefined => {
      const a = latest.get(`${key}_by_source`);
      const b = latest.get(`${key}_by_cluster`);
      if (!a) return b;
      if (!b) return a;
      return b.timestamp.getTime() > a.timestamp.getTime() ? b : a;
    };
    // A negative value is not a lag (the SQL view uses -1 for the primary): treat it like no data.
    const usable = (p: Datapoint | undefined): Datapoint | undefined =>
      p && !lag.isStale(p, now) && p.value >= 0 ? p : undefined;
    const describe = (name: string, p: Datapoint | undefined): string => {
      if (!p) return `${name}: no datapoint in the last ${lag.LAG_WINDOW_MS / 60_000} minutes`;
      if (p.value < 0) return `${name}: ${p.value} ms at ${p.timestamp.toISOString()} (not a lag)`;
      const when = `${p.timestamp.toISOString()}, ${lag.age(p, now)}`;
      return lag.isStale(p, now) ? `${name}: ${p.value} ms, stale (${when})` : `${name}: ${p.value} ms (${when})`;
    };
    const rpo = newest('rpo');
    const replication = newest('repl');
    const detail = `${this.targetId} in ${this.standbyRegion}: ${describe(RPO_LAG, rpo)}; ${describe(REPLICATION_LAG, replication)}`;
    const chosen = usable(rpo)
      ? { name: RPO_LAG, point: usable(rpo) }
      : { name: REPLICATION_LAG, point: usable(replication) };
    if (!chosen.point) {
      return {
        status: 'unknown',
        observedAt: now.toISOString(),
        source: `cloudwatch:AWS/RDS ${RPO_LAG}`,
        detail: `${detail}: the lag is unknown, not zero${promoted.detail ? `; ${promoted.detail}` : ''}`,
      };
    }
    return {
      status: 'known',
      seconds: chosen.point.value / 1000,
      observedAt: chosen.point.timestamp.toISOString(),
      source: `cloudwatch:AWS/RDS ${chosen.name}`,
      detail: chosen.name === RPO_LAG ? detail : `${detail}; RPO lag unavailable, using replication lag`,
    };
  }

  /**
   * Whether the target is already the writer, as the lag check needs it. A promoted secondary stops publishing its
   * lag metrics, and the last datapoints (absent, stale, or fresh for a few minutes) describe a replication that is
   * over. Writer only when no failover or switchover is reported: mid-operation the metrics still decide. A target
   * that is not a member is not judged here (Promote names that error).
   */
  private promotedState(global: GlobalCluster): { writer: boolean; detail?: string } {
    const failover = global.FailoverState;
    if (failover?.Status) return { writer: false, detail: `a ${operation(failover)} is in progress` };
    if (this.memberOf(global)?.IsWriter) {
      return {
        writer: true,
        detail:
          `${this.targetArn} is already the writer of ${this.globalClusterId} and no failover or switchover is in ` +
          'progress: it is already promoted, so nothing further can be lost by this run',
      };
    }
    return { writer: false };
  }

  async fenceOldPrimary(mode: FailoverMode): Promise<FenceResult> {
    if (mode === 'planned') {
      // SwitchoverGlobalCluster demotes the old writer before it promotes the target, and waits for the secondary to
      // catch up: there is never a moment with two writers (Aurora User Guide, "Performing switchovers for Amazon
      // Aurora global databases"; the RDS API's FailoverState: FromDbClusterArn is "the cluster being demoted").
      return {
        fenced: true,
        method: 'switchover',
        byPromotion: true,
        detail: `the switchover itself demotes ${this.primaryArn} to a secondary before ${this.targetArn} becomes the writer`,
      };
    }
    // Unplanned: FailoverGlobalCluster with AllowDataLoss demotes the old primary and Aurora adds it back to the
    // global database as a secondary when its region recovers (AWS Database Blog, "Introducing - Aurora Global
    // Database Failover", 2023). Until then nothing this stack can do from the standby region stops a partly
    // reachable old writer from accepting writes, and AWS advises stopping application writes to it first; so this
    // is not reported as fenced (FenceResult.fenced means "known to reject writes").
    return {
      fenced: false,
      method: 'aurora-managed-failover',
      detail:
        `FailoverGlobalCluster (AllowDataLoss) will demote ${this.primaryArn}; Aurora re-adds it as a secondary when ` +
        `${this.primaryRegion} recovers. Until then writes that still reach it are lost: stop writers in ${this.primaryRegion}`,
    };
  }

  async promote(mode: FailoverMode): Promise<PromoteResult> {
    const global = await this.describeGlobalCluster();
    const target = this.targetMember(global);
    const failover = global.FailoverState;
    if (target.IsWriter) {
      return {
        outcome: 'already-promoted',
        detail: `${this.targetArn} is already the writer of ${this.globalClusterId}`,
      };
    }
    if (failover?.Status) {
      if (failover.ToDbClusterArn === this.targetArn && failover.Status !== 'cancelling') {
        // Idempotent: a previous attempt of this step already started it.
        return { outcome: 'started', detail: `a ${operation(failover)} is already in progress` };
      }
      throw new ResourceBusyError(`${this.globalClusterId} is busy with a ${operation(failover)}`);
    }
    const what = `${mode === 'planned' ? 'SwitchoverGlobalCluster' : 'FailoverGlobalCluster'} ${this.globalClusterId}`;
    try {
      if (mode === 'planned') {
        await this.rds().send(
          new SwitchoverGlobalClusterCommand({
            GlobalClusterIdentifier: this.globalClusterId,
            // An ARN, so that Aurora finds the cluster in its region (API reference).
            TargetDbClusterIdentifier: this.targetArn,
          }),
        );
      } else {
        await this.rds().send(
          new FailoverGlobalClusterCommand({
            GlobalClusterIdentifier: this.globalClusterId,
            TargetDbClusterIdentifier: this.targetArn,
            AllowDataLoss: true,
          }),
        );
      }
    } catch (error) {
      throw translateAwsError(error, what, GLOBAL_BUSY_CODES);
    }
    return { outcome: 'started', detail: `${what} to ${this.targetArn} accepted` };
  }

  async promotionStatus(): Promise<PromotionStatus> {
    const global = await this.describeGlobalCluster();
    const target = this.targetMember(global);
    const failover = global.FailoverState;
    if (failover?.Status === 'cancelling') {
      return {
        state: 'failed',
        detail: `the operation from ${failover.FromDbClusterArn ?? '?'} to ${failover.ToDbClusterArn ?? '?'} is being cancelled`,
      };
    }
    if (failover?.Status) {
      return {
        state: 'pending',
        detail: `${failover.Status} from ${failover.FromDbClusterArn ?? '?'} to ${failover.ToDbClusterArn ?? '?'}`,
      };
    }
    if (!target.IsWriter) {
      // Promote saw its request accepted (FailoverState is set from the moment Aurora accepts it), so no operation
      // and another writer means it ended without promoting the target: cancelled, or failed after it was accepted.
      // Waiting cannot change that; the writer is still the old primary.
      const writer = global.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn ?? 'no cluster';
      return {
        state: 'failed',
        detail:
          `no switchover or failover of ${this.globalClusterId} is in progress and ${this.targetArn} is not the ` +
          `writer (${writer} is): the operation ended without promoting it (cancelled, or failed after it was accepted)`,
      };
    }
    // The global view says writer; the cluster must also be available to take writes through its endpoint.
    const cluster = await this.describeTarget();
    const status = cluster.Status ?? 'unknown';
    if (status !== 'available') {
      return { state: 'pending', detail: `${this.targetId} is the writer, cluster status ${status}` };
    }
    const result: PromotionStatus = { state: 'writable', detail: `${this.targetId} is the writer and available` };
    if (cluster.Endpoint) result.writerEndpoint = cluster.Endpoint;
    return result;
  }

  async writerEndpoint(): Promise<string> {
    const cluster = await this.describeTarget();
    if (!cluster.Endpoint) {
      throw new ResourceBusyError(`${this.targetId} has no endpoint yet (status ${cluster.Status ?? 'unknown'})`);
    }
    return cluster.Endpoint;
  }

  private describeGlobalCluster(): Promise<GlobalCluster> {
    const id = this.globalClusterId;
    return describeOne(`DescribeGlobalClusters ${id}`, async () => {
      const out = await this.rds().send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: id }));
      return out.GlobalClusters;
    });
  }

  private memberOf(global: GlobalCluster) {
    return global.GlobalClusterMembers?.find((m) => m.DBClusterArn === this.targetArn);
  }

  private targetMember(global: GlobalCluster) {
    const member = this.memberOf(global);
    if (!member) {
      // Detached (e.g. a manual detach-and-promote) or never added: waiting will not change it.
      throw new PromotionFailedError(`${this.targetArn} is not a member of global cluster ${this.globalClusterId}`);
    }
    return member;
  }

  private describeTarget(): Promise<DBCluster> {
    return describeOne(`DescribeDBClusters ${this.targetId}`, async () => {
      const out = await this.rds().send(new DescribeDBClustersCommand({ DBClusterIdentifier: this.targetId }));
      return out.DBClusters;
    });
  }

  private rds(): RDSClient {
    return this.deps.rds?.(this.standbyRegion) ?? clientFor(RDSClient, this.standbyRegion);
  }
}
