import {
  CreateDBInstanceReadReplicaCommand,
  CreateDBSnapshotCommand,
  type DBInstance,
  type DBSnapshot,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { describeFirst, hasAwsErrorName, translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { parseArn } from '#core/arn.js';
import { AmbiguousTopologyError, ConfigurationError, RebuildFailedError } from '#core/errors.js';
import type { PreservedCopy, RebuildProgress } from '#core/failback.js';
import type { FailbackRebuilder } from '#core/ports.js';
import type { FailoverState } from '#core/state.js';
import { FAILED_INSTANCE_STATES, PRIMARY_REGION_CLIENT_SETTINGS, rdsResourceId } from './rds-instance.js';

/** Injectable client (tests); by default the lazy client cache. */
export interface RdsFailbackDeps {
  rds?: (region: string) => RDSClient;
}

/** Where the way back acts: the old primary, the current writer and the replica built of it. */
export interface RdsFailbackTarget {
  oldPrimaryArn: string;
  writerArn: string;
  rebuiltArn: string;
  kmsKeyArn?: string;
}

/** The instance is busy (rebooting after its Region came back, a backup): the same call succeeds later. */
const BUSY = ['InvalidDBInstanceStateFault'] as const;
/**
 * Snapshot statuses that will not become `available` by waiting (DBSnapshot.Status:
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBSnapshot.html).
 */
const FAILED_SNAPSHOT_STATES: ReadonlySet<string> = new Set(['failed', 'error', 'deleting']);

const regionOf = (arn: string) => parseArn(arn)?.region ?? '';
const sameInstance = (ref: string | undefined, arn: string) =>
  ref !== undefined && (ref === arn || ref === rdsResourceId(arn, 'db'));

const copyOf = (id: string, snapshot: DBSnapshot): PreservedCopy => {
  const status = snapshot.Status ?? 'unknown';
  const word = status === 'available' ? 'available' : FAILED_SNAPSHOT_STATES.has(status) ? 'failed' : 'creating';
  return { id, status: word, detail: `snapshot ${id} of ${snapshot.DBInstanceIdentifier ?? '?'} is ${status}` };
};

/**
 * The way back for an RDS plan: a DB snapshot of the old primary (CreateDBSnapshot, the old primary's Region), and a
 * cross-Region read replica of the current writer in the old primary's Region (CreateDBInstanceReadReplica with the
 * writer's ARN as its source, https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.XRgn.html).
 */
export class RdsFailback implements FailbackRebuilder {
  readonly #t: RdsFailbackTarget;
  readonly #deps: RdsFailbackDeps;

  constructor(target: RdsFailbackTarget, deps: RdsFailbackDeps = {}) {
    this.#t = target;
    this.#deps = deps;
  }

  /** From a failback run's state: its plan is oriented, so the plan's `source` is the writer, `replica` the rebuilt. */
  static of(state: FailoverState & { failback: NonNullable<FailoverState['failback']> }, deps: RdsFailbackDeps = {}) {
    const db = state.plan.database;
    if (db.kind !== 'rds-instance') {
      throw new ConfigurationError(`plan ${state.plan.name}: the way back rebuilds rds-instance plans only`);
    }
    const { oldPrimaryArn, kmsKeyArn } = state.failback;
    return new RdsFailback(
      {
        oldPrimaryArn,
        writerArn: db.sourceInstanceArn,
        rebuiltArn: db.replicaInstanceArn,
        ...(kmsKeyArn ? { kmsKeyArn } : {}),
      },
      deps,
    );
  }

  /**
   * CreateDBSnapshot of the old primary. DBSnapshotAlreadyExists (this run asked before) is success when the snapshot
   * is of the old primary; DBInstanceNotFound means there is nothing to preserve; InvalidDBInstanceState (not
   * `available`) is retried (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSnapshot.html).
   */
  async preserve(id: string): Promise<PreservedCopy> {
    const oldId = rdsResourceId(this.#t.oldPrimaryArn, 'db');
    const what = `CreateDBSnapshot ${id} of ${oldId}`;
    try {
      const out = await this.#rds(this.#t.oldPrimaryArn).send(
        new CreateDBSnapshotCommand({ DBSnapshotIdentifier: id, DBInstanceIdentifier: oldId }),
      );
      return out.DBSnapshot ? copyOf(id, out.DBSnapshot) : { id, status: 'creating', detail: `${what} accepted` };
    } catch (error) {
      if (hasAwsErrorName(error, 'DBInstanceNotFoundFault')) {
        return {
          id,
          status: 'absent',
          detail: `the old primary ${oldId} does not exist: there is nothing to preserve`,
        };
      }
      if (!hasAwsErrorName(error, 'DBSnapshotAlreadyExistsFault')) throw translateAwsError(error, what, BUSY);
    }
    const existing = await this.#snapshot(id);
    if (existing?.DBInstanceIdentifier !== oldId) {
      throw new RebuildFailedError(
        `snapshot ${id} exists but is of ${existing?.DBInstanceIdentifier ?? 'nothing'}, not of the old primary ${oldId}`,
      );
    }
    return copyOf(id, existing);
  }

  async preserved(id: string): Promise<PreservedCopy> {
    const snapshot = await this.#snapshot(id);
    return snapshot ? copyOf(id, snapshot) : { id, status: 'failed', detail: `snapshot ${id} does not exist` };
  }

  #snapshot(id: string): Promise<DBSnapshot | undefined> {
    return describeFirst(
      `DescribeDBSnapshots ${id}`,
      async () =>
        (await this.#rds(this.#t.oldPrimaryArn).send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id })))
          .DBSnapshots,
      ['DBSnapshotNotFoundFault'],
    );
  }

  /**
   * CreateDBInstanceReadReplica in the old primary's Region, its source the writer's ARN. The writer must keep
   * automated backups (a replica's source needs them) and, when encrypted, the plan must name a key of the replica's
   * Region (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html).
   * DBInstanceAlreadyExists is success when the instance follows the writer.
   */
  async rebuild(): Promise<{ outcome: 'started' | 'exists'; detail: string }> {
    const writer = await this.#describe(this.#t.writerArn);
    const writerId = rdsResourceId(this.#t.writerArn, 'db');
    const rebuiltId = rdsResourceId(this.#t.rebuiltArn, 'db');
    if (!writer) throw new RebuildFailedError(`the writer ${this.#t.writerArn} does not exist`);
    if (writer.StorageEncrypted && !this.#t.kmsKeyArn) {
      throw new ConfigurationError(
        `${writerId} is encrypted: a cross-Region read replica needs a KMS key of ${regionOf(this.#t.rebuiltArn)}; ` +
          'set database.rebuildKmsKeyArn in the plan',
      );
    }
    if (!writer.BackupRetentionPeriod) {
      throw new ConfigurationError(
        `${writerId} has automated backups off (BackupRetentionPeriod 0): RDS makes no read replica of it; enable them first`,
      );
    }
    const what = `CreateDBInstanceReadReplica ${rebuiltId} of ${this.#t.writerArn}`;
    try {
      await this.#rds(this.#t.rebuiltArn).send(
        new CreateDBInstanceReadReplicaCommand({
          DBInstanceIdentifier: rebuiltId,
          SourceDBInstanceIdentifier: this.#t.writerArn,
          ...(writer.StorageEncrypted && this.#t.kmsKeyArn ? { KmsKeyId: this.#t.kmsKeyArn } : {}),
        }),
      );
      return { outcome: 'started', detail: `${what} accepted` };
    } catch (error) {
      if (!hasAwsErrorName(error, 'DBInstanceAlreadyExistsFault')) throw translateAwsError(error, what, BUSY);
    }
    const existing = await this.#describe(this.#t.rebuiltArn);
    if (!sameInstance(existing?.ReadReplicaSourceDBInstanceIdentifier, this.#t.writerArn)) {
      throw new AmbiguousTopologyError(
        `${rebuiltId} exists and is not a read replica of ${this.#t.writerArn} ` +
          `(${existing?.ReadReplicaSourceDBInstanceIdentifier ? `it follows ${existing.ReadReplicaSourceDBInstanceIdentifier}` : 'standalone'})`,
      );
    }
    return { outcome: 'exists', detail: `${rebuiltId} already exists as a read replica of ${writerId}` };
  }

  /** Replicating once `available` with read replication `replicating`; a failed status will not clear by waiting. */
  async rebuildStatus(): Promise<RebuildProgress> {
    const rebuiltId = rdsResourceId(this.#t.rebuiltArn, 'db');
    const instance = await this.#describe(this.#t.rebuiltArn);
    if (!instance) return { state: 'failed', detail: `${rebuiltId} does not exist (deleted while being built?)` };
    const status = instance.DBInstanceStatus ?? 'unknown';
    const replication = instance.StatusInfos?.find((s) => s.StatusType === 'read replication');
    const detail = `${rebuiltId} is ${status}${replication?.Status ? `, read replication ${replication.Status}` : ''}`;
    if (FAILED_INSTANCE_STATES.has(status)) return { state: 'failed', detail };
    if (!sameInstance(instance.ReadReplicaSourceDBInstanceIdentifier, this.#t.writerArn)) {
      return { state: 'failed', detail: `${detail}, not a read replica of ${this.#t.writerArn}` };
    }
    if (replication?.Status === 'error' || replication?.Status === 'terminated') return { state: 'failed', detail };
    const replicating = status === 'available' && replication?.Status === 'replicating';
    return { state: replicating ? 'replicating' : 'pending', detail };
  }

  #describe(arn: string): Promise<DBInstance | undefined> {
    const id = rdsResourceId(arn, 'db');
    return describeFirst(
      `DescribeDBInstances ${id}`,
      async () => (await this.#rds(arn).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances,
      ['DBInstanceNotFoundFault'],
    );
  }

  /** The client of the Region an ARN names: the writer's is across Regions, bounded as calls to a far Region are. */
  #rds(arn: string): RDSClient {
    const region = regionOf(arn);
    const far = arn === this.#t.writerArn ? PRIMARY_REGION_CLIENT_SETTINGS : {};
    return this.#deps.rds?.(region) ?? clientFor(RDSClient, region, far);
  }
}
