/**
 * An Aurora Global Database after a managed unplanned failover (FailoverGlobalCluster with AllowDataLoss), for the way
 * back: the old secondary (orders-eu) is the writer, the old primary's region (us-east-1) is dark, then recovers.
 * Driven by the virtual clock (./clock.ts) behind the SDK mocks of test/statemachine/support.ts, so the real clients,
 * handlers and definition run on it; its lag metrics go through the CloudWatch world (./cloudwatch.ts). Each behaviour
 * names the AWS page it is modelled on. The main one is the Aurora User Guide, "Using switchover or failover in Amazon
 * Aurora Global Database" (GUIDE below: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html),
 * sections "Performing managed failovers" and "Performing switchovers".
 */
import {
  CopyDBClusterSnapshotCommand,
  DBClusterNotFoundFault,
  type DBClusterSnapshot,
  DBClusterSnapshotAlreadyExistsFault,
  DBClusterSnapshotNotFoundFault,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeGlobalClustersCommand,
  type FailoverState,
  type GlobalCluster,
  GlobalClusterNotFoundFault,
  InvalidDBClusterSnapshotStateFault,
  InvalidGlobalClusterStateFault,
  KMSKeyNotAccessibleFault,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { rds } from '../statemachine/support.js';
import type { Clock } from './clock.js';
import type { CloudWatchWorld } from './cloudwatch.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

interface ClusterSpec {
  id: string;
  arn: string;
  region: string;
  endpoint: string;
}

export interface AuroraFailbackWorldOptions {
  globalClusterId: string;
  /** The plan's primary: the writer until the failover, dark until `recoversAfterMs`. */
  oldPrimary: ClusterSpec;
  /** The plan's target: promoted by the failover, the writer now. */
  writer: ClusterSpec;
  /** When the old primary's region is healthy again, from the world's start (Infinity: it stays dark). */
  recoversAfterMs: number;
  /** Whether the old primary is still listed as a member while its region is dark (then `pending-resync`). */
  memberWhileDark: boolean;
  /** Whether Aurora adds the old primary back when its region recovers (false: it stays out, e.g. removed by hand). */
  rejoins: boolean;
  /** Whether Aurora's attempt to snapshot the old storage volume succeeds, and how long the snapshot is `creating`. */
  snapshot: { taken: boolean; creatingMs: number };
  /** From the recovery until the old primary's new volume is rebuilt and it is `connected`. */
  resyncMs: number;
  /** The old primary cluster's backup retention: Aurora's snapshot is deleted when it runs out. */
  oldPrimaryRetentionDays: number;
  /** CopyDBClusterSnapshot: how long the copy is `copying`. */
  copyMs: number;
  /** The customer managed KMS key that encrypts the old primary, and so Aurora's snapshot of it (none: unencrypted). */
  storageKmsKeyArn?: string;
  /**
   * The keys RDS may use on the caller's behalf: those the caller's role may kms:CreateGrant and kms:DescribeKey
   * through RDS (its IAM policy, and a key policy that defers to IAM).
   */
  callerKeys: readonly string[];
  /** How far the rejoined old primary runs behind the writer while writes go on (its RPO lag). */
  rejoinedBehindMs: number;
  writesPerSecond: number;
  switchover: { pendingMs: number; operationMs: number };
}

export const auroraFailbackDefaults = (over: Partial<AuroraFailbackWorldOptions> = {}): AuroraFailbackWorldOptions => ({
  globalClusterId: 'orders-global',
  oldPrimary: {
    id: 'orders-us',
    arn: 'arn:aws:rds:us-east-1:111122223333:cluster:orders-us',
    region: 'us-east-1',
    endpoint: 'orders-us.cluster-abc123.us-east-1.rds.amazonaws.com',
  },
  writer: {
    id: 'orders-eu',
    arn: 'arn:aws:rds:eu-west-1:111122223333:cluster:orders-eu',
    region: 'eu-west-1',
    endpoint: 'orders-eu.cluster-abc123.eu-west-1.rds.amazonaws.com',
  },
  recoversAfterMs: 5 * MINUTE,
  memberWhileDark: true,
  rejoins: true,
  snapshot: { taken: true, creatingMs: 3 * MINUTE },
  resyncMs: 20 * MINUTE,
  oldPrimaryRetentionDays: 7,
  copyMs: 4 * MINUTE,
  callerKeys: [],
  rejoinedBehindMs: 0,
  writesPerSecond: 5,
  switchover: { pendingMs: 30_000, operationMs: 2 * MINUTE },
  ...over,
});

interface Switchover {
  at: number;
  endsAt: number;
}

interface Snapshot {
  id: string;
  arn: string;
  cluster: string;
  at: number;
  readyAt: number;
  expiresAt: number;
  source?: string;
  /** The KMS key it is encrypted with. */
  key?: string;
}

type CopyInput = {
  SourceDBClusterSnapshotIdentifier?: string;
  TargetDBClusterSnapshotIdentifier?: string;
  KmsKeyId?: string;
};

const globalStateFault = (message: string) => new InvalidGlobalClusterStateFault({ $metadata: {}, message });

export class AuroraFailbackWorld {
  readonly #clock: Clock;
  readonly #o: AuroraFailbackWorldOptions;
  readonly #start: number;
  #switchover: Switchover | undefined;
  readonly #copies = new Map<string, Snapshot>();
  readonly #copyRequests: CopyInput[] = [];
  readonly #refusals: string[] = [];

  constructor(clock: Clock, metrics: CloudWatchWorld, options: AuroraFailbackWorldOptions) {
    this.#clock = clock;
    this.#o = options;
    this.#start = clock.now();
    rds
      .on(DescribeGlobalClustersCommand)
      .callsFake((i) => ({ GlobalClusters: [this.#global(i.GlobalClusterIdentifier)] }));
    rds.on(DescribeDBClustersCommand).callsFake((i) => ({ DBClusters: [this.#cluster(i.DBClusterIdentifier ?? '')] }));
    rds.on(DescribeDBClusterSnapshotsCommand).callsFake((i) => ({ DBClusterSnapshots: this.#describeSnapshots(i) }));
    rds.on(CopyDBClusterSnapshotCommand).callsFake((i) => this.#copy(i));
    rds.on(SwitchoverGlobalClusterCommand).callsFake((i) => this.#requestSwitchover(i));
    this.#publishLag(metrics);
  }

  // ---------------------------------------------------------------- what a test reads back

  /** The CopyDBClusterSnapshot requests Aurora accepted. */
  copyRequests() {
    return [...this.#copyRequests];
  }

  /** Requests refused, by the error's name and message. */
  refusals(): string[] {
    return [...this.#refusals];
  }

  /** Manual snapshots, by identifier, with the snapshot each is a copy of. */
  copies(): Record<string, string> {
    return Object.fromEntries([...this.#copies].map(([id, s]) => [id, s.source ?? '']));
  }

  /** Manual snapshots, by identifier, with the KMS key each is encrypted with ('' for none). */
  copyKeys(): Record<string, string> {
    return Object.fromEntries([...this.#copies].map(([id, s]) => [id, s.key ?? '']));
  }

  /** Aurora's own snapshot of the old storage volume, when it took one and it has not expired. */
  unplannedSnapshotId(): string | undefined {
    return this.#unplanned()?.id;
  }

  writerArn(): string {
    return this.#switchedBack() ? this.#o.oldPrimary.arn : this.#o.writer.arn;
  }

  /** Switchovers Aurora accepted. */
  switchoversStarted(): number {
    return this.#switchover ? 1 : 0;
  }

  /** Commits the new writer (orders-eu) acknowledged, from the world's start. */
  acknowledgedCommits(at = this.#clock.now()): number {
    const until = Math.min(at, this.#writesEndAt());
    return Math.max(0, Math.floor(((until - this.#start) / 1000) * this.#o.writesPerSecond));
  }

  /**
   * Commits of the new writer the old primary does not hold when it becomes the writer again: none, since a
   * switchover "waits for the target secondary Region clusters to be fully synchronized" before it demotes the
   * writer (GUIDE, "Performing switchovers"). Before the switchover ends: all it has not replicated yet.
   */
  lostCommits(): number {
    if (!this.#switchedBack()) return this.acknowledgedCommits() - this.#replicated(this.#clock.now());
    return this.acknowledgedCommits() - this.#replicated(this.#switchover?.endsAt ?? 0);
  }

  // ---------------------------------------------------------------- the old primary's return

  #recoveredAt(): number {
    return this.#start + this.#o.recoversAfterMs;
  }

  #recovered(at = this.#clock.now()): boolean {
    return at >= this.#recoveredAt();
  }

  /**
   * The old primary's membership: "As soon as that Region is healthy and available again, Aurora automatically adds
   * it back to the global cluster as a secondary Region" (GUIDE, "Performing managed failovers"). While dark it is
   * listed `pending-resync` (as test/aws-world/aurora.ts models it) unless `memberWhileDark` is false.
   */
  #oldMember(at = this.#clock.now()): { member: boolean; sync?: 'connected' | 'pending-resync' } {
    if (!this.#recovered(at))
      return this.#o.memberWhileDark ? { member: true, sync: 'pending-resync' } : { member: false };
    if (!this.#o.rejoins) return { member: false };
    // "Aurora creates a new storage volume for the old primary Region after it recovers": replication starts
    // over, "a few minutes to several hours, depending on the size of the storage volume" (GUIDE).
    return { member: true, sync: this.#connected(at) ? 'connected' : 'pending-resync' };
  }

  #connected(at: number): boolean {
    return this.#o.rejoins && this.#recovered(at) && at >= this.#recoveredAt() + this.#o.resyncMs;
  }

  /**
   * Aurora's snapshot: "Before creating the new storage volume in the old primary Region, Aurora tries to take a
   * snapshot of the old storage volume at the point of failure ... named
   * rds:unplanned-global-failover-name-of-old-primary-DB-cluster-timestamp", "a system snapshot that's subject to
   * the backup retention period configured on the old primary cluster" (GUIDE, "Performing managed failovers").
   */
  #unplanned(): Snapshot | undefined {
    if (!this.#o.snapshot.taken || !this.#recovered()) return undefined;
    const at = this.#recoveredAt();
    const stamp = new Date(at).toISOString().slice(0, 16).replace(/[T:]/g, '-');
    const id = `rds:unplanned-global-failover-${this.#o.oldPrimary.id}-${stamp}`;
    const snapshot = {
      id,
      arn: `arn:aws:rds:${this.#o.oldPrimary.region}:111122223333:cluster-snapshot:${id}`,
      cluster: this.#o.oldPrimary.id,
      at,
      readyAt: at + this.#o.snapshot.creatingMs,
      expiresAt: at + this.#o.oldPrimaryRetentionDays * DAY,
      ...(this.#o.storageKmsKeyArn ? { key: this.#o.storageKmsKeyArn } : {}),
    };
    return this.#clock.now() < snapshot.expiresAt ? snapshot : undefined;
  }

  // ---------------------------------------------------------------- the API

  /**
   * DescribeGlobalClusters (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_GlobalClusterMember.html):
   * IsWriter, and SynchronizationStatus `connected | pending-resync` of each secondary; FailoverState
   * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverState.html) while a switchover runs.
   */
  #global(id = this.#o.globalClusterId): GlobalCluster {
    if (id !== this.#o.globalClusterId) {
      throw new GlobalClusterNotFoundFault({ $metadata: {}, message: `Global cluster ${id} not found.` });
    }
    const old = this.#oldMember();
    const writer = this.writerArn();
    const members = [
      { arn: this.#o.writer.arn, sync: 'connected' as const },
      ...(old.member ? [{ arn: this.#o.oldPrimary.arn, sync: old.sync }] : []),
    ];
    return {
      GlobalClusterIdentifier: id,
      Status: 'available',
      Engine: 'aurora-postgresql',
      GlobalClusterMembers: members.map((m) => ({
        DBClusterArn: m.arn,
        IsWriter: m.arn === writer,
        Readers: m.arn === writer ? members.filter((x) => x.arn !== writer).map((x) => x.arn) : [],
        ...(m.arn !== writer && m.sync ? { SynchronizationStatus: m.sync } : {}),
      })),
      ...(this.#failoverState() ? { FailoverState: this.#failoverState() } : {}),
    };
  }

  #failoverState(): FailoverState | undefined {
    const op = this.#switchover;
    const now = this.#clock.now();
    if (!op || now >= op.endsAt) return undefined;
    return {
      Status: (now < op.at + this.#o.switchover.pendingMs ? 'pending' : 'switching-over') as FailoverState['Status'],
      FromDbClusterArn: this.#o.writer.arn,
      ToDbClusterArn: this.#o.oldPrimary.arn,
      IsDataLossAllowed: false,
    };
  }

  #switchedBack(): boolean {
    return this.#switchover !== undefined && this.#clock.now() >= this.#switchover.endsAt;
  }

  /** DescribeDBClusters: each cluster `available` (the old primary once its region answers) and its endpoint. */
  #cluster(id: string) {
    const spec = [this.#o.writer, this.#o.oldPrimary].find((c) => c.id === id || c.arn === id);
    if (!spec || (spec === this.#o.oldPrimary && !this.#recovered())) {
      throw new DBClusterNotFoundFault({ $metadata: {}, message: `DBCluster ${id} not found.` });
    }
    return { DBClusterIdentifier: spec.id, DBClusterArn: spec.arn, Status: 'available', Endpoint: spec.endpoint };
  }

  /**
   * DescribeDBClusterSnapshots (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBClusterSnapshots.html):
   * by DBClusterIdentifier, its automated and manual snapshots; by DBClusterSnapshotIdentifier, that one, else
   * DBClusterSnapshotNotFoundFault. Status `creating` / `copying`, then `available`; SourceDBClusterSnapshotArn on a
   * copy (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBClusterSnapshot.html).
   */
  #describeSnapshots(input: { DBClusterIdentifier?: string; DBClusterSnapshotIdentifier?: string }) {
    const all = [...(this.#unplanned() ? [this.#unplanned() as Snapshot] : []), ...this.#copies.values()];
    if (input.DBClusterSnapshotIdentifier) {
      const one = all.find((s) => s.id === input.DBClusterSnapshotIdentifier);
      if (!one) {
        const message = `DBClusterSnapshot ${input.DBClusterSnapshotIdentifier} not found.`;
        throw new DBClusterSnapshotNotFoundFault({ $metadata: {}, message });
      }
      return [this.#view(one)];
    }
    return all
      .filter((s) => !input.DBClusterIdentifier || s.cluster === input.DBClusterIdentifier)
      .map((s) => this.#view(s));
  }

  #view(s: Snapshot): DBClusterSnapshot {
    const ready = this.#clock.now() >= s.readyAt;
    return {
      DBClusterSnapshotIdentifier: s.id,
      DBClusterSnapshotArn: s.arn,
      DBClusterIdentifier: s.cluster,
      SnapshotCreateTime: new Date(s.at),
      SnapshotType: s.source ? 'manual' : 'automated',
      Status: ready ? 'available' : s.source ? 'copying' : 'creating',
      ...(s.source ? { SourceDBClusterSnapshotArn: s.source } : {}),
      StorageEncrypted: s.key !== undefined,
      ...(s.key ? { KmsKeyId: s.key } : {}),
    };
  }

  /**
   * CopyDBClusterSnapshot (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBClusterSnapshot.html):
   * the source must exist (DBClusterSnapshotNotFoundFault) and be `available` (InvalidDBClusterSnapshotStateFault);
   * a target identifier in use is DBClusterSnapshotAlreadyExistsFault. The copy is manual: no retention deletes it.
   * An encrypted source is copied with its own key unless KmsKeyId names another (Aurora User Guide, "Copying an
   * encrypted DB cluster snapshot by using the AWS CLI or Amazon RDS API",
   * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_CopyDBClusterSnapshot.Encrypted.CrossRegion.html);
   * creating an RDS resource with a customer managed key needs the caller's kms:CreateGrant and kms:DescribeKey on
   * it (RDS User Guide, "Authorizing use of a customer managed key",
   * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html), else KMSKeyNotAccessibleFault,
   * "An error occurred accessing an AWS KMS key" (the API reference's Errors), and nothing is copied.
   */
  #copy(input: CopyInput) {
    const source = this.#unplanned();
    const target = input.TargetDBClusterSnapshotIdentifier ?? '';
    const refuse = (e: Error): never => {
      this.#refusals.push(`${e.name}: ${e.message}`);
      throw e;
    };
    if (!source || source.id !== input.SourceDBClusterSnapshotIdentifier) {
      const message = `DBClusterSnapshot ${input.SourceDBClusterSnapshotIdentifier} not found.`;
      return refuse(new DBClusterSnapshotNotFoundFault({ $metadata: {}, message }));
    }
    if (this.#clock.now() < source.readyAt) {
      return refuse(
        new InvalidDBClusterSnapshotStateFault({ $metadata: {}, message: `${source.id} is not available.` }),
      );
    }
    if (this.#copies.has(target)) {
      return refuse(new DBClusterSnapshotAlreadyExistsFault({ $metadata: {}, message: `${target} already exists.` }));
    }
    const key = input.KmsKeyId ?? source.key;
    const denied = [source.key, key].find((k) => k !== undefined && !this.#o.callerKeys.includes(k));
    if (denied) {
      const message = `The caller is not authorized to use the KMS key ${denied}.`;
      return refuse(new KMSKeyNotAccessibleFault({ $metadata: {}, message }));
    }
    const now = this.#clock.now();
    const copy: Snapshot = {
      id: target,
      arn: `arn:aws:rds:${this.#o.oldPrimary.region}:111122223333:cluster-snapshot:${target}`,
      cluster: source.cluster,
      at: now,
      readyAt: now + this.#o.copyMs,
      expiresAt: Infinity,
      source: source.arn,
      ...(key ? { key } : {}),
    };
    this.#copies.set(target, copy);
    this.#copyRequests.push(input);
    return { DBClusterSnapshot: this.#view(copy) };
  }

  /**
   * SwitchoverGlobalCluster (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_SwitchoverGlobalCluster.html):
   * refused while another operation runs, for a target that is not a secondary member, and while a member is not
   * synchronized: switchovers "are designed to be used on an Aurora global database where all the Aurora clusters
   * ... are in a healthy state" (GUIDE, "Performing switchovers"). Accepted, it waits until the target holds every
   * commit, the writer becomes read-only, and the target is promoted.
   */
  #requestSwitchover(input: { GlobalClusterIdentifier?: string; TargetDbClusterIdentifier?: string }) {
    const global = this.#global(input.GlobalClusterIdentifier);
    const refuse = (e: Error): never => {
      this.#refusals.push(`${e.name}: ${e.message}`);
      throw e;
    };
    const member = global.GlobalClusterMembers?.find((m) => m.DBClusterArn === input.TargetDbClusterIdentifier);
    if (global.FailoverState) return refuse(globalStateFault(`${this.#o.globalClusterId} is not available.`));
    if (!member) {
      return refuse(
        new DBClusterNotFoundFault({ $metadata: {}, message: `${input.TargetDbClusterIdentifier} not found.` }),
      );
    }
    if (member.IsWriter) return refuse(globalStateFault(`${member.DBClusterArn} is already the primary cluster.`));
    if (global.GlobalClusterMembers?.some((m) => !m.IsWriter && m.SynchronizationStatus !== 'connected')) {
      return refuse(globalStateFault(`A member of ${this.#o.globalClusterId} is not synchronized.`));
    }
    const now = this.#clock.now();
    const { pendingMs, operationMs } = this.#o.switchover;
    this.#switchover = { at: now, endsAt: now + pendingMs + Math.max(operationMs, this.#o.rejoinedBehindMs) };
    return { GlobalCluster: this.#global() };
  }

  // ---------------------------------------------------------------- replication and its metric

  /** The writer stops acknowledging writes once the switchover's verification is over (it becomes read-only). */
  #writesEndAt(): number {
    return this.#switchover ? this.#switchover.at + this.#o.switchover.pendingMs : Infinity;
  }

  /** Commits of the writer the old primary holds at `at`: none before it is connected, then all but its lag. */
  #replicated(at: number): number {
    if (!this.#connected(at)) return 0;
    return this.acknowledgedCommits(at - this.#o.rejoinedBehindMs);
  }

  /**
   * AuroraGlobalDBRPOLag / AuroraGlobalDBReplicationLag (ms), published by a secondary in its own region under
   * DBClusterIdentifier and SourceRegion (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html),
   * one sample a minute, readable a minute late; nothing before the old primary replicates nor once it writes.
   */
  #publishLag(metrics: CloudWatchWorld): void {
    const sampleAt = (t: number): number | undefined => {
      if (!this.#connected(t) || (this.#switchover && t >= this.#switchover.endsAt) || t > this.#clock.now()) {
        return undefined;
      }
      return t - this.#o.rejoinedBehindMs >= this.#writesEndAt() ? 0 : this.#o.rejoinedBehindMs;
    };
    for (const metricName of ['AuroraGlobalDBRPOLag', 'AuroraGlobalDBReplicationLag']) {
      metrics.add({
        namespace: 'AWS/RDS',
        metricName,
        dimensions: { DBClusterIdentifier: this.#o.oldPrimary.id, SourceRegion: this.#o.writer.region },
        sampleAt,
        sampleEveryMs: MINUTE,
        publishDelayMs: MINUTE,
      });
    }
  }
}
