import {
  CopyDBClusterSnapshotCommand,
  type DBClusterSnapshot,
  DescribeDBClusterSnapshotsCommand,
  DescribeGlobalClustersCommand,
  type GlobalCluster,
  RDSClient,
} from '@aws-sdk/client-rds';
import { describeFirst, describeOne, hasAwsErrorName, translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { parseArn } from '#core/arn.js';
import { clusterId } from '#core/aurora-failback.js';
import { AmbiguousTopologyError, ConfigurationError, RebuildFailedError } from '#core/errors.js';
import type { PreservedCopy, RebuildOutcome, RebuildProgress } from '#core/failback.js';
import type { FailbackRebuilder } from '#core/ports.js';
import type { FailoverState } from '#core/state.js';
import { globalView, unplannedSnapshots } from './aurora-pair.js';

/** Injectable client (tests); by default the lazy client cache. */
export interface AuroraFailbackDeps {
  rds?: (region: string) => RDSClient;
}

/** Where the way back acts: the global cluster, the writer now, and the old primary (in this stack's region). */
export interface AuroraFailbackTarget {
  globalClusterId: string;
  writerArn: string;
  oldPrimaryArn: string;
  region: string;
  /** The plan's `preserveKmsKeyArn`: the customer managed key that encrypts the old primary and its snapshots. */
  kmsKeyArn?: string;
}

/** The source snapshot is not `available` yet (CopyDBClusterSnapshot's InvalidDBClusterSnapshotStateFault). */
const BUSY = ['InvalidDBClusterSnapshotStateFault'] as const;
/** DBClusterSnapshot.Status values that waiting will not turn into `available`. */
const FAILED_SNAPSHOT_STATES: ReadonlySet<string> = new Set(['failed', 'error', 'deleting', 'incompatible-restore']);

const copyOf = (snapshot: DBClusterSnapshot, of: string): PreservedCopy => {
  const id = snapshot.DBClusterSnapshotIdentifier ?? '?';
  const status = snapshot.Status ?? 'unknown';
  const word = status === 'available' ? 'available' : FAILED_SNAPSHOT_STATES.has(status) ? 'failed' : 'creating';
  const key = snapshot.StorageEncrypted ? `, encrypted with ${snapshot.KmsKeyId ?? 'its source key'}` : '';
  return { id, status: word, detail: `manual snapshot ${id}, a copy of ${of}${key}, is ${status}` };
};

/**
 * The way back for an Aurora plan. Aurora re-adds the old primary by itself and takes a snapshot of its old storage
 * volume first (Aurora User Guide, "Recovering an Amazon Aurora global database from an unplanned outage",
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html):
 * this copies that system snapshot to a manual one (CopyDBClusterSnapshot, same Region: the copy keeps the source's
 * key; it is never deleted, and outlives the old cluster's backup retention) and watches the rejoin.
 */
export class AuroraFailback implements FailbackRebuilder {
  readonly #t: AuroraFailbackTarget;
  readonly #deps: AuroraFailbackDeps;

  constructor(target: AuroraFailbackTarget, deps: AuroraFailbackDeps = {}) {
    this.#t = target;
    this.#deps = deps;
  }

  /** From a failback run's state: its plan is oriented, so the plan's primary is the writer, its target the old one. */
  static of(
    state: FailoverState & { failback: NonNullable<FailoverState['failback']> },
    deps: AuroraFailbackDeps = {},
  ) {
    const db = state.plan.database;
    if (db.kind !== 'aurora-global') {
      throw new ConfigurationError(`plan ${state.plan.name}: AuroraFailback serves aurora-global plans only`);
    }
    const target = {
      globalClusterId: db.globalClusterIdentifier,
      writerArn: db.primaryClusterArn,
      oldPrimaryArn: state.failback.oldPrimaryArn,
      region: state.plan.regions.standby,
      ...(state.failback.kmsKeyArn ? { kmsKeyArn: state.failback.kmsKeyArn } : {}),
    };
    return new AuroraFailback(target, deps);
  }

  /**
   * A manual copy `id` of Aurora's unplanned-failover snapshot of the old primary, once that snapshot exists and is
   * `available`: `creating` until then (Aurora takes it when the old primary's region recovers), `absent` when the
   * old primary rejoined without one (Aurora only "attempts" it). A copy made before, under any name, is reused.
   */
  async preserve(id: string): Promise<PreservedCopy> {
    const old = clusterId(this.#t.oldPrimaryArn);
    const { unplanned, copy } = unplannedSnapshots(await this.#snapshots(), this.#t.oldPrimaryArn);
    if (copy && unplanned) return copyOf(copy, unplanned.DBClusterSnapshotIdentifier ?? '?');
    if (!unplanned) {
      const { oldPrimary } = globalView(await this.#global(), this.#t.oldPrimaryArn);
      if (oldPrimary.member && oldPrimary.synchronization === 'connected') {
        const detail = `${old} rejoined with no rds:unplanned-global-failover snapshot: Aurora took none, nothing to copy`;
        return { id, status: 'absent', detail };
      }
      return {
        id,
        status: 'creating',
        detail: `waiting for Aurora's snapshot of ${old} (taken as its region recovers)`,
      };
    }
    const source = unplanned.DBClusterSnapshotIdentifier ?? '';
    if (unplanned.Status !== 'available') {
      return { id, status: 'creating', detail: `Aurora's snapshot ${source} is ${unplanned.Status ?? 'unknown'}` };
    }
    return this.#copy(id, unplanned);
  }

  /** The same as preserve: a copy not made yet (Aurora's snapshot still to come) is made as soon as it can be. */
  preserved(id: string): Promise<PreservedCopy> {
    return this.preserve(id);
  }

  /**
   * CopyDBClusterSnapshot (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBClusterSnapshot.html):
   * DBClusterSnapshotAlreadyExists is success when that snapshot is a copy of the same source; a source no longer
   * there (expired with the old cluster's retention) fails: waiting cannot bring it back. A key RDS may not use for
   * the caller (KMSKeyNotAccessibleFault) is the plan's to fix: ConfigurationError, nothing copied.
   */
  async #copy(id: string, source: DBClusterSnapshot): Promise<PreservedCopy> {
    const from = source.DBClusterSnapshotIdentifier ?? '';
    const what = `CopyDBClusterSnapshot ${from} to ${id}`;
    const kmsKeyId = this.#keyFor(source);
    try {
      const out = await this.#rds().send(
        new CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: from,
          TargetDBClusterSnapshotIdentifier: id,
          CopyTags: true,
          ...(kmsKeyId ? { KmsKeyId: kmsKeyId } : {}),
        }),
      );
      return out.DBClusterSnapshot
        ? copyOf(out.DBClusterSnapshot, from)
        : { id, status: 'creating', detail: `${what} accepted` };
    } catch (error) {
      if (hasAwsErrorName(error, 'DBClusterSnapshotNotFoundFault')) {
        return { id, status: 'failed', detail: `${what}: the source is gone (past the old cluster's retention?)` };
      }
      if (hasAwsErrorName(error, 'KMSKeyNotAccessibleFault')) {
        // Named already, the grant is there: what is left is the key's own policy.
        const fix = this.#t.kmsKeyArn
          ? 'The plan names it (database.preserveKmsKeyArn) and the way back is granted kms:CreateGrant and ' +
            "kms:DescribeKey on it, through RDS: the key's policy must let the account's IAM policies decide (the " +
            'default key policy does)'
          : 'Name that key in database.preserveKmsKeyArn (the way back is then granted kms:CreateGrant and ' +
            'kms:DescribeKey on it, through RDS)';
        throw new ConfigurationError(
          `${what}: RDS may not use the KMS key ${source.KmsKeyId ?? '(unnamed)'} that encrypts it for this ` +
            `function (KMSKeyNotAccessibleFault); nothing was copied. ${fix}, and run the failback again`,
          { cause: error },
        );
      }
      if (!hasAwsErrorName(error, 'DBClusterSnapshotAlreadyExistsFault')) throw translateAwsError(error, what, BUSY);
    }
    const existing = await describeFirst(
      `DescribeDBClusterSnapshots ${id}`,
      async () =>
        (await this.#rds().send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id })))
          .DBClusterSnapshots,
      ['DBClusterSnapshotNotFoundFault'],
    );
    if (!existing || existing.SourceDBClusterSnapshotArn !== source.DBClusterSnapshotArn) {
      throw new RebuildFailedError(`snapshot ${id} exists but is not a copy of ${from}`);
    }
    return copyOf(existing, from);
  }

  /**
   * The key the copy names. A same-Region copy of an encrypted snapshot is encrypted with the source's key unless
   * KmsKeyId names another (Aurora User Guide, "Copying an encrypted DB cluster snapshot by using the AWS CLI or
   * Amazon RDS API", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_CopyDBClusterSnapshot.Encrypted.CrossRegion.html):
   * the plan's key is named, and must be the source's (the grant is on that key only; another key would re-encrypt).
   * An unencrypted source takes none: "If you copy an unencrypted DB cluster snapshot and specify a value for the
   * KmsKeyId parameter, an error is returned" (API reference, KmsKeyId).
   */
  #keyFor(source: DBClusterSnapshot): string | undefined {
    const key = this.#t.kmsKeyArn;
    if (!source.StorageEncrypted || !key) return undefined;
    const theirs = source.KmsKeyId;
    if (theirs && theirs !== key && theirs !== parseArn(key)?.resource.replace(/^key\//, '')) {
      throw new ConfigurationError(
        `snapshot ${source.DBClusterSnapshotIdentifier ?? '?'} is encrypted with ${theirs}, not with the plan's ` +
          `database.preserveKmsKeyArn ${key}: name the key that encrypts the old primary; nothing was copied`,
      );
    }
    return key;
  }

  /** Nothing to create: Aurora re-adds the old primary by itself (`waiting`), or already did (`exists`). */
  async rebuild(): Promise<{ outcome: RebuildOutcome; detail: string }> {
    const view = globalView(await this.#global(), this.#t.oldPrimaryArn);
    if (view.writerArn !== this.#t.writerArn) {
      throw new AmbiguousTopologyError(
        `${this.#t.globalClusterId}: the writer is ${view.writerArn ?? 'none'}, not ${this.#t.writerArn}`,
      );
    }
    const old = clusterId(this.#t.oldPrimaryArn);
    return view.oldPrimary.member
      ? { outcome: 'exists', detail: `${old} is a secondary of ${this.#t.globalClusterId} again` }
      : { outcome: 'waiting', detail: `Aurora adds ${old} back as a secondary once its region is healthy` };
  }

  /** Replicating once the old primary is a member, `connected`, with no operation in progress. */
  async rebuildStatus(): Promise<RebuildProgress> {
    const view = globalView(await this.#global(), this.#t.oldPrimaryArn);
    const old = clusterId(this.#t.oldPrimaryArn);
    if (view.writerArn !== this.#t.writerArn) {
      return { state: 'failed', detail: `the writer of ${this.#t.globalClusterId} is ${view.writerArn ?? 'none'}` };
    }
    if (!view.oldPrimary.member) return { state: 'pending', detail: `${old} is not a member yet` };
    const sync = view.oldPrimary.synchronization ?? 'unknown';
    const detail = `${old} is a member, ${sync}${view.operation ? `; ${view.operation} in progress` : ''}`;
    return { state: sync === 'connected' && !view.operation ? 'replicating' : 'pending', detail };
  }

  #global(): Promise<GlobalCluster> {
    const id = this.#t.globalClusterId;
    return describeOne(
      `DescribeGlobalClusters ${id}`,
      async () =>
        (await this.#rds().send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: id }))).GlobalClusters,
    );
  }

  async #snapshots(): Promise<DBClusterSnapshot[]> {
    const old = clusterId(this.#t.oldPrimaryArn);
    try {
      const out = await this.#rds().send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: old }));
      return out.DBClusterSnapshots ?? [];
    } catch (error) {
      throw translateAwsError(error, `DescribeDBClusterSnapshots ${old}`);
    }
  }

  #rds(): RDSClient {
    return this.#deps.rds?.(this.#t.region) ?? clientFor(RDSClient, this.#t.region);
  }
}
