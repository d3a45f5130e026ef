/**
 * RDS after a failover, for the way back: the promoted replica is the writer in the standby Region, the old primary
 * came back standalone in the primary Region, and nothing replicates between them. Driven by the virtual clock
 * (./clock.ts) behind the SDK mocks of test/statemachine/support.ts, so the real handlers and definition run on it.
 * Each behaviour names the AWS page it is modelled on.
 */
import {
  CreateDBInstanceReadReplicaCommand,
  CreateDBSnapshotCommand,
  type DBInstance,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DBSnapshotAlreadyExistsFault,
  DBSnapshotNotFoundFault,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  InvalidDBInstanceStateFault,
  ModifyDBParameterGroupCommand,
  PromoteReadReplicaCommand,
} from '@aws-sdk/client-rds';
import { rds } from '../statemachine/support.js';
import type { Clock } from './clock.js';
import { CloudWatchWorld } from './cloudwatch.js';
import { answerDescribeParameters, ReadOnlyParameterGroup } from './parameter-group.js';

const MINUTE = 60_000;

export interface RdsFailbackWorldOptions {
  writer: {
    id: string;
    arn: string;
    endpoint: string;
    parameterGroup: string;
    backupRetentionPeriod: number;
    encrypted: boolean;
  };
  oldPrimary: { id: string; arn: string; exists: boolean; status: string };
  rebuilt: { id: string; arn: string; endpoint: string };
  /** CreateDBInstanceReadReplica: how long the new replica is `creating` before it is `available` and replicating. */
  creatingMs: number;
  /** CreateDBSnapshot: how long the snapshot is `creating`. */
  snapshotMs: number;
  /** How far the rebuilt replica's replay runs behind the writer while it replicates. */
  replicaBehindMs: number;
  writesPerSecond: number;
  parameterApplyMs: number;
  openTransactionMs: number;
  promotion: { modifyingMs: number; rebootingMs: number };
}

export const rdsFailbackDefaults = (over: Partial<RdsFailbackWorldOptions> = {}): RdsFailbackWorldOptions => ({
  writer: {
    id: 'feature-store-replica',
    arn: 'arn:aws:rds:us-east-2:111122223333:db:feature-store-replica',
    endpoint: 'feature-store-replica.abc123.us-east-2.rds.amazonaws.com',
    parameterGroup: 'feature-store-replica-pg',
    backupRetentionPeriod: 1,
    encrypted: false,
  },
  oldPrimary: {
    id: 'feature-store',
    arn: 'arn:aws:rds:us-west-2:111122223333:db:feature-store',
    exists: true,
    status: 'available',
  },
  rebuilt: {
    id: 'feature-store-failback',
    arn: 'arn:aws:rds:us-west-2:111122223333:db:feature-store-failback',
    endpoint: 'feature-store-failback.abc123.us-west-2.rds.amazonaws.com',
  },
  creatingMs: 25 * MINUTE,
  snapshotMs: 10 * MINUTE,
  replicaBehindMs: 500,
  writesPerSecond: 5,
  parameterApplyMs: 30_000,
  openTransactionMs: 15_000,
  promotion: { modifyingMs: 2 * MINUTE, rebootingMs: MINUTE },
  ...over,
});

const notFound = (id: string) => new DBInstanceNotFoundFault({ $metadata: {}, message: `DBInstance ${id} not found.` });
const stateFault = (message: string) => new InvalidDBInstanceStateFault({ $metadata: {}, message });

export class RdsFailbackWorld {
  readonly #clock: Clock;
  readonly #o: RdsFailbackWorldOptions;
  readonly #start: number;
  #replicaCreatedAt: number | undefined;
  #replicaRequests: { SourceDBInstanceIdentifier?: string; KmsKeyId?: string }[] = [];
  #promotedAt: number | undefined;
  readonly #group: ReadOnlyParameterGroup;
  readonly #snapshots = new Map<string, { instance: string; at: number }>();

  constructor(clock: Clock, options: RdsFailbackWorldOptions, metrics = new CloudWatchWorld(clock)) {
    this.#clock = clock;
    this.#o = options;
    this.#group = new ReadOnlyParameterGroup(clock, options.writer.parameterGroup, options);
    answerDescribeParameters(this.#group);
    this.#start = clock.now();
    rds.on(DescribeDBInstancesCommand).callsFake((i) => ({ DBInstances: [this.#describe(i.DBInstanceIdentifier)] }));
    rds
      .on(CreateDBSnapshotCommand)
      .callsFake((i) => this.#createSnapshot(i.DBSnapshotIdentifier, i.DBInstanceIdentifier));
    rds.on(DescribeDBSnapshotsCommand).callsFake((i) => ({ DBSnapshots: [this.#snapshot(i.DBSnapshotIdentifier)] }));
    rds.on(CreateDBInstanceReadReplicaCommand).callsFake((i) => this.#createReplica(i));
    rds.on(PromoteReadReplicaCommand).callsFake((i) => this.#promote(i.DBInstanceIdentifier));
    rds
      .on(ModifyDBParameterGroupCommand)
      .callsFake((i) => this.#group.modify(i.DBParameterGroupName, i.Parameters ?? []));
    this.#publishReplicaLag(metrics);
  }

  /** The CreateDBInstanceReadReplica requests RDS accepted. */
  replicaRequests() {
    return [...this.#replicaRequests];
  }

  /** Snapshots made, by identifier, with the instance each is of. */
  snapshots(): Record<string, string> {
    return Object.fromEntries([...this.#snapshots].map(([id, s]) => [id, s.instance]));
  }

  /** The rebuilt replica was promoted (the run back reached its promotion). */
  promoted(): boolean {
    return this.#promotedAt !== undefined;
  }

  /** Commits the writer acknowledged that the rebuilt replica had not replayed when it was promoted. */
  lostCommits(): number {
    if (this.#promotedAt === undefined) return 0;
    return this.#acknowledged(this.#promotedAt) - this.#acknowledged(this.#promotedAt - this.#o.replicaBehindMs);
  }

  // ---------------------------------------------------------------- instances

  #describe(id: string | undefined): DBInstance {
    const { writer, oldPrimary, rebuilt } = this.#o;
    if (id === writer.id || id === writer.arn) {
      return {
        DBInstanceIdentifier: writer.id,
        DBInstanceArn: writer.arn,
        DBInstanceStatus: 'available',
        Endpoint: { Address: writer.endpoint, Port: 5432 },
        BackupRetentionPeriod: writer.backupRetentionPeriod,
        StorageEncrypted: writer.encrypted,
        DBParameterGroups: [
          { DBParameterGroupName: writer.parameterGroup, ParameterApplyStatus: this.#group.applyStatus() },
        ],
        ...(this.#replicaCreatedAt !== undefined && !this.#promotedAt
          ? { ReadReplicaDBInstanceIdentifiers: [rebuilt.arn] }
          : {}),
      };
    }
    if ((id === oldPrimary.id || id === oldPrimary.arn) && oldPrimary.exists) {
      return {
        DBInstanceIdentifier: oldPrimary.id,
        DBInstanceArn: oldPrimary.arn,
        DBInstanceStatus: oldPrimary.status,
      };
    }
    if ((id === rebuilt.id || id === rebuilt.arn) && this.#replicaCreatedAt !== undefined) return this.#rebuilt();
    throw notFound(id ?? '');
  }

  /**
   * A new read replica is `creating` until RDS has restored it from a snapshot of the source and started
   * replication, then `available` with read replication `replicating`
   * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Create.html,
   * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Monitoring.html). Promoted: `modifying`,
   * `rebooting`, then standalone and `available`
   * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html).
   */
  #rebuilt(): DBInstance {
    const { rebuilt, writer, promotion } = this.#o;
    const now = this.#clock.now();
    const base = { DBInstanceIdentifier: rebuilt.id, DBInstanceArn: rebuilt.arn };
    if (this.#promotedAt !== undefined) {
      const t = now - this.#promotedAt;
      const status =
        t < promotion.modifyingMs
          ? 'modifying'
          : t < promotion.modifyingMs + promotion.rebootingMs
            ? 'rebooting'
            : 'available';
      return {
        ...base,
        DBInstanceStatus: status,
        Endpoint: { Address: rebuilt.endpoint, Port: 5432 },
        ...(t < promotion.modifyingMs ? { ReadReplicaSourceDBInstanceIdentifier: writer.arn } : {}),
      };
    }
    const creating = now < (this.#replicaCreatedAt ?? now) + this.#o.creatingMs;
    return {
      ...base,
      DBInstanceStatus: creating ? 'creating' : 'available',
      ReadReplicaSourceDBInstanceIdentifier: writer.arn,
      ...(creating
        ? {}
        : {
            Endpoint: { Address: rebuilt.endpoint, Port: 5432 },
            StatusInfos: [{ StatusType: 'read replication', Normal: true, Status: 'replicating' }],
          }),
    };
  }

  /**
   * CreateDBInstanceReadReplica (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html):
   * DBInstanceAlreadyExists for a taken identifier; the source must have automated backups on
   * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Create.html); an encrypted source in
   * another Region needs KmsKeyId of the replica's Region.
   */
  #createReplica(input: { DBInstanceIdentifier?: string; SourceDBInstanceIdentifier?: string; KmsKeyId?: string }) {
    const { writer, rebuilt } = this.#o;
    if (input.DBInstanceIdentifier !== rebuilt.id) throw new Error(`unexpected replica ${input.DBInstanceIdentifier}`);
    if (this.#replicaCreatedAt !== undefined) {
      throw new DBInstanceAlreadyExistsFault({ $metadata: {}, message: 'DB instance already exists' });
    }
    if (input.SourceDBInstanceIdentifier !== writer.arn) throw notFound(input.SourceDBInstanceIdentifier ?? '');
    if (!writer.backupRetentionPeriod)
      throw stateFault('Automated backups are not enabled for this database instance.');
    if (writer.encrypted && !input.KmsKeyId)
      throw stateFault('KmsKeyId is required for a cross-Region encrypted replica.');
    this.#replicaCreatedAt = this.#clock.now();
    this.#replicaRequests.push(input);
    return { DBInstance: this.#rebuilt() };
  }

  #promote(id: string | undefined) {
    if (id !== this.#o.rebuilt.id) throw notFound(id ?? '');
    const instance = this.#rebuilt();
    if (instance.DBInstanceStatus !== 'available' || !instance.ReadReplicaSourceDBInstanceIdentifier) {
      throw stateFault(`DB instance ${id} is ${instance.DBInstanceStatus}, not an available read replica.`);
    }
    this.#promotedAt = this.#clock.now();
    return { DBInstance: this.#rebuilt() };
  }

  // ---------------------------------------------------------------- snapshots

  /**
   * CreateDBSnapshot (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSnapshot.html): the
   * instance must be `available`; DBSnapshotAlreadyExists for a taken identifier; DBInstanceNotFound.
   */
  #createSnapshot(id: string | undefined, instance: string | undefined) {
    const { oldPrimary } = this.#o;
    if (instance !== oldPrimary.id || !oldPrimary.exists) throw notFound(instance ?? '');
    if (this.#snapshots.has(id ?? '')) {
      throw new DBSnapshotAlreadyExistsFault({ $metadata: {}, message: `Cannot create the snapshot ${id}: exists` });
    }
    if (oldPrimary.status !== 'available') throw stateFault(`DB instance ${instance} is ${oldPrimary.status}.`);
    this.#snapshots.set(id ?? '', { instance, at: this.#clock.now() });
    return { DBSnapshot: this.#snapshot(id) };
  }

  /** DescribeDBSnapshots: `creating`, then `available` (DBSnapshot.Status); DBSnapshotNotFound. */
  #snapshot(id: string | undefined) {
    const found = this.#snapshots.get(id ?? '');
    if (!found) throw new DBSnapshotNotFoundFault({ $metadata: {}, message: `DBSnapshot ${id} not found.` });
    const status = this.#clock.now() < found.at + this.#o.snapshotMs ? 'creating' : 'available';
    return { DBSnapshotIdentifier: id, DBInstanceIdentifier: found.instance, Status: status };
  }

  // ---------------------------------------------------------------- the writer's fence and its writes

  #acknowledged(at: number): number {
    return Math.max(
      0,
      Math.floor(((Math.min(at, this.#group.writesEndAt()) - this.#start) / 1000) * this.#o.writesPerSecond),
    );
  }

  /**
   * ReplicaLag of the rebuilt replica, once it replicates (one datapoint a minute, published late:
   * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html); 0 once it has replayed every commit.
   */
  #publishReplicaLag(metrics: CloudWatchWorld): void {
    metrics.add({
      namespace: 'AWS/RDS',
      metricName: 'ReplicaLag',
      dimensions: { DBInstanceIdentifier: this.#o.rebuilt.id },
      sampleAt: (m) => {
        const replicatingFrom = (this.#replicaCreatedAt ?? Infinity) + this.#o.creatingMs;
        if (m < replicatingFrom || (this.#promotedAt !== undefined && m >= this.#promotedAt)) return undefined;
        // Whole seconds: a replay less than a second behind reads 0 while writes go on.
        return m - this.#o.replicaBehindMs >= this.#group.writesEndAt()
          ? 0
          : Math.floor(this.#o.replicaBehindMs / 1000);
      },
      sampleEveryMs: MINUTE,
      publishDelayMs: 2 * MINUTE,
    });
  }
}
