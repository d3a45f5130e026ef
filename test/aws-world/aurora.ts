/**
 * A stateful simulation of an Aurora Global Database of two clusters (a primary and one secondary in the standby
 * region), driven by the virtual clock (./clock.ts) and plugged behind the SDK mocks of test/statemachine/support.ts,
 * so the real clients, handlers and definition run against it. Its lag metrics go through the CloudWatch world
 * (./cloudwatch.ts). Each behaviour names the AWS page it is modelled on.
 */
import {
  DBClusterNotFoundFault,
  DescribeDBClustersCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  type FailoverState,
  type GlobalCluster,
  GlobalClusterNotFoundFault,
  InvalidGlobalClusterStateFault,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { rds } from '../statemachine/support.js';
import type { Clock } from './clock.js';
import type { CloudWatchWorld } from './cloudwatch.js';

const MINUTE = 60_000;

interface ClusterSpec {
  id: string;
  arn: string;
  region: string;
  endpoint: string;
}

export interface AuroraWorldOptions {
  globalClusterId: string;
  primary: ClusterSpec;
  secondary: ClusterSpec;
  /** Whether the secondary is a member of the global cluster (false: detached, or never added). */
  secondaryIsMember: boolean;
  /** How far the secondary's storage runs behind the primary's commits while it replicates (its RPO lag). */
  replicaBehindMs: number;
  /** Commits the applications get acknowledged on the primary per second while it accepts writes. */
  writesPerSecond: number;
  /** How long an operation is `pending` (verification), then `switching-over` / `failing-over`. */
  switchover: { pendingMs: number; operationMs: number };
  failover: { pendingMs: number; operationMs: number };
  /** Older Aurora MySQL minor versions publish AuroraGlobalDBReplicationLag only. */
  publishesRpoLag: boolean;
}

export const auroraWorldDefaults = (over: Partial<AuroraWorldOptions> = {}): AuroraWorldOptions => ({
  globalClusterId: 'orders-global',
  primary: {
    id: 'orders-us',
    arn: 'arn:aws:rds:us-east-1:111122223333:cluster:orders-us',
    region: 'us-east-1',
    endpoint: 'orders-us.cluster-abc123.us-east-1.rds.amazonaws.com',
  },
  secondary: {
    id: 'orders-eu',
    arn: 'arn:aws:rds:eu-west-1:111122223333:cluster:orders-eu',
    region: 'eu-west-1',
    endpoint: 'orders-eu.cluster-abc123.eu-west-1.rds.amazonaws.com',
  },
  secondaryIsMember: true,
  replicaBehindMs: 2_000,
  writesPerSecond: 5,
  switchover: { pendingMs: 30_000, operationMs: 2 * MINUTE },
  failover: { pendingMs: 15_000, operationMs: MINUTE },
  publishesRpoLag: true,
  ...over,
});

interface Operation {
  kind: 'switchover' | 'failover';
  from: string;
  to: string;
  at: number;
  /** When it ends: the writer moves then (unless it was cancelled). */
  endsAt: number;
  cancel?: { at: number; endsAt: number };
}

const globalStateFault = (message: string) => new InvalidGlobalClusterStateFault({ $metadata: {}, message });

export class AuroraWorld {
  readonly #clock: Clock;
  readonly #o: AuroraWorldOptions;
  readonly #start: number;
  #writer: string;
  #operation: Operation | undefined;
  readonly #done: Operation[] = [];
  #cancelNext: { afterMs: number; cancellingMs: number } | undefined;
  readonly #answerAfterAccept: Error[] = [];
  #primaryRegionDownAt: number | undefined;
  #primaryRegionBackAt: number | undefined;

  constructor(clock: Clock, metrics: CloudWatchWorld, options: AuroraWorldOptions) {
    this.#clock = clock;
    this.#o = options;
    this.#writer = options.primary.arn;
    // Writes and replication have been going on for an hour when the test starts.
    this.#start = clock.now() - 60 * MINUTE;
    rds.on(DescribeGlobalClustersCommand).callsFake((input: { GlobalClusterIdentifier?: string }) => ({
      GlobalClusters: [this.#describeGlobal(input.GlobalClusterIdentifier)],
    }));
    rds.on(DescribeDBClustersCommand).callsFake((input: { DBClusterIdentifier?: string }) => ({
      DBClusters: [this.#describeCluster(input.DBClusterIdentifier ?? '')],
    }));
    rds.on(SwitchoverGlobalClusterCommand).callsFake((input) => this.#request('switchover', input));
    rds.on(FailoverGlobalClusterCommand).callsFake((input) => this.#request('failover', input));
    this.#publishLagMetrics(metrics);
  }

  // ---------------------------------------------------------------- what a test does to the world

  /** The primary's region goes dark: nothing more is written there, and nothing more replicates from it. */
  primaryRegionDown(): void {
    this.#primaryRegionDownAt ??= this.#clock.now();
  }

  /** The primary's region is back. */
  primaryRegionRecovers(): void {
    this.#primaryRegionBackAt = this.#clock.now();
  }

  /** The next operation is accepted (it starts), then the request is answered with `error` (a 5xx). */
  answerNextOperationWith(error: Error): void {
    this.#answerAfterAccept.push(error);
  }

  /** The next operation is cancelled `afterMs` after it was accepted, and is `cancelling` for `cancellingMs`. */
  cancelNextOperation(afterMs: number, cancellingMs: number): void {
    this.#cancelNext = { afterMs, cancellingMs };
  }

  // ---------------------------------------------------------------- what a test reads back

  /** Switchovers and failovers Aurora accepted (started), not counting refused requests. */
  operationsStarted(): number {
    return this.#done.length + (this.#operation ? 1 : 0);
  }

  writerArn(): string {
    this.#settle();
    return this.#writer;
  }

  /** The operation in progress, as DescribeGlobalClusters shows it. */
  failoverState(): FailoverState | undefined {
    return this.#describeGlobal().FailoverState;
  }

  /** The global cluster's members as DescribeGlobalClusters lists them. */
  members(): NonNullable<GlobalCluster['GlobalClusterMembers']> {
    return this.#describeGlobal().GlobalClusterMembers ?? [];
  }

  /** Commits the original primary acknowledged to applications so far. */
  acknowledgedCommits(at = this.#clock.now()): number {
    const until = Math.min(at, this.#writesEndAt());
    return Math.max(0, Math.floor(((until - this.#start) / 1000) * this.#o.writesPerSecond));
  }

  /** Commits of the original primary the secondary holds: all it had replicated when its replication ended. */
  replicatedCommits(at = this.#clock.now()): number {
    return this.acknowledgedCommits(Math.min(at, this.#replicationStopsAt()) - this.#o.replicaBehindMs);
  }

  /** Acknowledged commits the new writer never received: lost by the failover. */
  lostCommits(): number {
    return this.acknowledgedCommits() - this.replicatedCommits();
  }

  // ---------------------------------------------------------------- the global cluster's life

  /** Ends the operation whose time has come: the writer moves (or stays, when it was cancelled). */
  #settle(): void {
    const op = this.#operation;
    const now = this.#clock.now();
    if (!op) return;
    if (op.cancel && now >= op.cancel.endsAt) {
      this.#operation = undefined;
      return;
    }
    if (!op.cancel && now >= op.endsAt) {
      this.#writer = op.to;
      this.#done.push(op);
      this.#operation = undefined;
    }
  }

  /**
   * The primary stops acknowledging writes when its region goes dark, when a switchover demotes it (Aurora
   * synchronizes the secondaries first and keeps the database unavailable while the roles change:
   * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_SwitchoverGlobalCluster.html), or when a failover
   * demotes it (FailoverState's FromDbClusterArn is "the cluster being demoted"). Both demote it once the request is
   * verified (`pending` over); the modelling choice is that no write is acknowledged on it after that.
   */
  #writesEndAt(): number {
    const down = this.#primaryRegionDownAt ?? Infinity;
    const op = this.#operation ?? this.#done.find((d) => d.from === this.#o.primary.arn);
    if (!op || op.cancel) return down;
    const pendingMs = op.kind === 'switchover' ? this.#o.switchover.pendingMs : this.#o.failover.pendingMs;
    return Math.min(down, op.at + pendingMs);
  }

  /**
   * The secondary replicates until the primary's region is dark or its promotion starts: a failover promotes it
   * with what it has ("Failing over can result in a loss of write transaction data that wasn't replicated to the
   * chosen secondary", https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverGlobalCluster.html);
   * a switchover keeps replicating until it has everything and then swaps the roles.
   */
  #replicationStopsAt(): number {
    const down = this.#primaryRegionDownAt ?? Infinity;
    const op = this.#operation ?? this.#done.find((d) => d.to === this.#o.secondary.arn);
    if (!op || op.cancel) return down;
    return Math.min(down, op.kind === 'failover' ? op.at + this.#o.failover.pendingMs : op.endsAt);
  }

  /**
   * FailoverState (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverState.html): empty unless
   * an operation is in progress; `pending` while Aurora verifies the clusters, then `switching-over` or
   * `failing-over`, or `cancelling` while a cancelled request returns both clusters to their previous states.
   */
  #failoverState(): FailoverState | undefined {
    this.#settle();
    const op = this.#operation;
    if (!op) return undefined;
    const now = this.#clock.now();
    const pendingMs = op.kind === 'switchover' ? this.#o.switchover.pendingMs : this.#o.failover.pendingMs;
    let status = now < op.at + pendingMs ? 'pending' : op.kind === 'switchover' ? 'switching-over' : 'failing-over';
    if (op.cancel && now >= op.cancel.at) status = 'cancelling';
    return {
      Status: status as FailoverState['Status'],
      FromDbClusterArn: op.from,
      ToDbClusterArn: op.to,
      IsDataLossAllowed: op.kind === 'failover',
    };
  }

  /**
   * DescribeGlobalClusters (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_GlobalClusterMember.html):
   * each member cluster with IsWriter. After a failover the old primary stays a member; Aurora rebuilds it as a
   * secondary of the new writer when its region is back (AWS Database Blog, "Introducing – Aurora Global Database
   * Failover", https://aws.amazon.com/blogs/database/introducing-aurora-global-database-failover/).
   */
  #describeGlobal(id = this.#o.globalClusterId): GlobalCluster {
    if (id !== this.#o.globalClusterId) {
      throw new GlobalClusterNotFoundFault({ $metadata: {}, message: `Global cluster ${id} not found.` });
    }
    const failoverState = this.#failoverState();
    const members = [this.#o.primary.arn, ...(this.#o.secondaryIsMember ? [this.#o.secondary.arn] : [])];
    return {
      GlobalClusterIdentifier: id,
      GlobalClusterArn: `arn:aws:rds::111122223333:global-cluster:${id}`,
      Status: 'available',
      Engine: 'aurora-postgresql',
      GlobalClusterMembers: members.map((arn) => ({
        DBClusterArn: arn,
        IsWriter: arn === this.#writer,
        Readers: arn === this.#writer ? members.filter((m) => m !== arn) : [],
        ...(arn !== this.#writer ? { SynchronizationStatus: this.#synchronization(arn) } : {}),
      })),
      ...(failoverState ? { FailoverState: failoverState } : {}),
    };
  }

  /** A secondary that cannot replicate (the old primary while its region is dark) awaits a resync. */
  #synchronization(arn: string): 'connected' | 'pending-resync' {
    const primaryDark = this.#primaryRegionDownAt !== undefined && this.#primaryRegionBackAt === undefined;
    return arn === this.#o.primary.arn && primaryDark ? 'pending-resync' : 'connected';
  }

  /** DescribeDBClusters in the secondary's region: its status and its (cluster) writer endpoint. */
  #describeCluster(id: string) {
    const { secondary } = this.#o;
    if (id !== secondary.id && id !== secondary.arn) {
      throw new DBClusterNotFoundFault({ $metadata: {}, message: `DBCluster ${id} not found.` });
    }
    this.#settle();
    return {
      DBClusterIdentifier: secondary.id,
      DBClusterArn: secondary.arn,
      Status: 'available',
      Endpoint: secondary.endpoint,
      Port: 5432,
      ...(this.#o.secondaryIsMember ? { GlobalClusterIdentifier: this.#o.globalClusterId } : {}),
    };
  }

  /**
   * SwitchoverGlobalCluster / FailoverGlobalCluster (API references above; errors: DBClusterNotFoundFault,
   * GlobalClusterNotFoundFault, InvalidDBClusterStateFault, InvalidGlobalClusterStateFault). Refused while another
   * operation is in progress or for a target that is not a secondary member; a switchover needs a healthy global
   * database, both regions up (https://aws.amazon.com/blogs/database/managed-planned-failovers-with-amazon-aurora-global-database/:
   * it "can only be performed on a healthy Aurora Global Database"). Accepted, it runs for minutes and is answered
   * at once with the global cluster showing its FailoverState.
   */
  #request(
    kind: Operation['kind'],
    input: { GlobalClusterIdentifier?: string; TargetDbClusterIdentifier?: string; AllowDataLoss?: boolean },
  ) {
    const now = this.#clock.now();
    this.#describeGlobal(input.GlobalClusterIdentifier);
    const target = input.TargetDbClusterIdentifier;
    const member = [this.#o.primary, ...(this.#o.secondaryIsMember ? [this.#o.secondary] : [])].find(
      (c) => c.arn === target,
    );
    if (!member) throw new DBClusterNotFoundFault({ $metadata: {}, message: `DBCluster ${target} not found.` });
    if (this.#failoverState()) throw globalStateFault(`Global cluster ${this.#o.globalClusterId} is not available.`);
    if (member.arn === this.#writer) throw globalStateFault(`${target} is already the primary cluster.`);
    if (kind === 'switchover' && this.#primaryRegionDownAt !== undefined && this.#primaryRegionBackAt === undefined) {
      throw globalStateFault(`The primary cluster of ${this.#o.globalClusterId} is not available.`);
    }
    const timing = kind === 'switchover' ? this.#o.switchover : this.#o.failover;
    // A switchover first brings the secondary level with the primary, however far behind it is.
    const catchUp = kind === 'switchover' ? this.#o.replicaBehindMs : 0;
    const op: Operation = {
      kind,
      from: this.#writer,
      to: member.arn,
      at: now,
      endsAt: now + timing.pendingMs + Math.max(timing.operationMs, catchUp),
    };
    const cancel = this.#cancelNext;
    this.#cancelNext = undefined;
    if (cancel) op.cancel = { at: now + cancel.afterMs, endsAt: now + cancel.afterMs + cancel.cancellingMs };
    this.#operation = op;
    // Accepted, then answered with a server error: InternalFailure, HTTP 500, is common to every AWS API
    // (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonErrors.html); the operation goes on.
    const lost = this.#answerAfterAccept.shift();
    if (lost) throw lost;
    return { GlobalCluster: this.#describeGlobal() };
  }

  // ---------------------------------------------------------------- CloudWatch

  /**
   * AuroraGlobalDBRPOLag and AuroraGlobalDBReplicationLag, in milliseconds, published by a secondary cluster in its
   * own region under DBClusterIdentifier and SourceRegion
   * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html); one sample
   * a minute, readable a minute late. Nothing while it does not replicate (the primary's region dark) nor once it is
   * the writer. The lag is 0 once the secondary holds every commit the primary acknowledged.
   */
  #publishLagMetrics(metrics: CloudWatchWorld): void {
    const { secondary, primary } = this.#o;
    const sampleAt = (t: number): number | undefined => {
      if (t >= this.#replicationStopsAt() || t > this.#clock.now()) return undefined;
      const caughtUp = t - this.#o.replicaBehindMs >= this.#writesEndAt();
      return caughtUp ? 0 : this.#o.replicaBehindMs;
    };
    const names = this.#o.publishesRpoLag
      ? ['AuroraGlobalDBRPOLag', 'AuroraGlobalDBReplicationLag']
      : ['AuroraGlobalDBReplicationLag'];
    for (const metricName of names) {
      metrics.add({
        namespace: 'AWS/RDS',
        metricName,
        dimensions: { DBClusterIdentifier: secondary.id, SourceRegion: primary.region },
        sampleAt,
        sampleEveryMs: MINUTE,
        publishDelayMs: MINUTE,
      });
    }
  }
}
