/**
 * A stateful simulation of one RDS for PostgreSQL source DB instance and its cross-region read replica, driven by
 * the virtual clock (./clock.ts) and plugged behind the SDK mocks of test/statemachine/support.ts, so the real
 * clients, handlers and definition run against it. Each behaviour names the AWS page it is modelled on.
 */
import {
  type DBInstance,
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  InvalidDBInstanceStateFault,
  ModifyDBParameterGroupCommand,
  PromoteReadReplicaCommand,
} from '@aws-sdk/client-rds';
import { rds } from '../statemachine/support.js';
import type { Clock } from './clock.js';
import { CloudWatchWorld } from './cloudwatch.js';
import { answerDescribeParameters, ReadOnlyParameterGroup } from './parameter-group.js';

const MINUTE = 60_000;

export interface RdsWorldOptions {
  source: { id: string; arn: string; parameterGroup: string };
  /** `parameterGroup`: the replica's own custom group (the plan's `replicaFenceParameterGroupName`). */
  replica: { id: string; arn: string; endpoint: string; backupRetentionPeriod: number; parameterGroup?: string };
  /** How far the replica's replay runs behind the source's acknowledged commits while it replicates. */
  replicaBehindMs: number;
  /** Commits the applications get acknowledged on the source per second while it accepts writes. */
  writesPerSecond: number;
  /** How long a promotion spends in each status. */
  promotion: { modifyingMs: number; rebootingMs: number; backingUpMs: number };
  /** ModifyDBParameterGroup: how long the change stays `applying` before it is `in-sync`. */
  parameterApplyMs: number;
  /** The longest write transaction already open on the source when read-only applies: it still commits. */
  openTransactionMs: number;
}

export const rdsWorldDefaults = (
  over: Partial<Omit<RdsWorldOptions, 'promotion'>> & { promotion?: Partial<RdsWorldOptions['promotion']> } = {},
): RdsWorldOptions => ({
  source: {
    id: 'feature-store',
    arn: 'arn:aws:rds:us-west-2:111122223333:db:feature-store',
    parameterGroup: 'feature-store-pg',
  },
  replica: {
    id: 'feature-store-replica',
    arn: 'arn:aws:rds:us-east-2:111122223333:db:feature-store-replica',
    endpoint: 'feature-store-replica.abc123.us-east-2.rds.amazonaws.com',
    backupRetentionPeriod: 0,
    parameterGroup: 'feature-store-replica-pg',
  },
  replicaBehindMs: 4_000,
  writesPerSecond: 5,
  parameterApplyMs: 30_000,
  openTransactionMs: 15_000,
  ...over,
  promotion: { modifyingMs: 2 * MINUTE, rebootingMs: MINUTE, backingUpMs: 0, ...over.promotion },
});

const stateFault = (message: string) => new InvalidDBInstanceStateFault({ $metadata: {}, message });

export class RdsWorld {
  readonly #clock: Clock;
  readonly #o: RdsWorldOptions;
  readonly #start: number;
  #promotion: { at: number; retentionDays: number } | undefined;
  #promotionRequests = 0;
  #replicationBrokenAt: number | undefined;
  readonly #group: ReadOnlyParameterGroup;
  readonly #answerAfterAccept: Error[] = [];

  constructor(clock: Clock, options: RdsWorldOptions, metrics = new CloudWatchWorld(clock)) {
    this.#clock = clock;
    this.#o = options;
    this.#group = new ReadOnlyParameterGroup(clock, options.source.parameterGroup, options);
    const replicaGroup = options.replica.parameterGroup;
    answerDescribeParameters(
      this.#group,
      ...(replicaGroup ? [new ReadOnlyParameterGroup(clock, replicaGroup, options)] : []),
    );
    // Writes and replication have been going on for an hour when the test starts.
    this.#start = clock.now() - 60 * MINUTE;
    rds.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier?: string }) => ({
      DBInstances: [this.#describe(input.DBInstanceIdentifier ?? '')],
    }));
    rds.on(PromoteReadReplicaCommand).callsFake((input) => this.#promote(input));
    rds
      .on(ModifyDBParameterGroupCommand)
      .callsFake((input) => this.#group.modify(input.DBParameterGroupName, input.Parameters ?? []));
    this.#publishReplicaLag(metrics);
  }

  /** The next PromoteReadReplica is accepted (the promotion starts), then answered with `error` (a 5xx). */
  answerNextPromotionWith(error: Error): void {
    this.#answerAfterAccept.push(error);
  }

  /** Replication stops (network, WAL gone): the replica replays nothing more and ReplicaLag stops being published. */
  breakReplication(): void {
    this.#replicationBrokenAt = this.#clock.now();
  }

  /** PromoteReadReplica requests RDS accepted (a promotion started), not counting refused ones. */
  promotionsStarted(): number {
    return this.#promotionRequests;
  }

  /** Commits the source acknowledged to applications so far. */
  acknowledgedCommits(at = this.#clock.now()): number {
    const until = Math.min(at, this.#group.writesEndAt());
    return Math.max(0, Math.floor(((until - this.#start) / 1000) * this.#o.writesPerSecond));
  }

  /** Commits the replica replayed before its replication stopped (or so far). */
  replayedCommits(at = this.#clock.now()): number {
    return this.acknowledgedCommits(Math.min(at, this.#replicationStopsAt()) - this.#o.replicaBehindMs);
  }

  /** Acknowledged commits the promoted replica never received: lost by the failover. */
  lostCommits(): number {
    return this.acknowledgedCommits() - this.replayedCommits();
  }

  replicaStatus(at = this.#clock.now()): string {
    return this.#replicaStatus(at);
  }

  // ---------------------------------------------------------------- the replica's life

  #replicationStopsAt(): number {
    return Math.min(this.#promotion?.at ?? Infinity, this.#replicationBrokenAt ?? Infinity);
  }

  /**
   * Promotion: RDS reboots the DB instance before making it available, and it takes several minutes
   * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html). While the request is
   * processed the instance is `modifying`, then `rebooting`, then `backing-up` when backups are enabled, then
   * `available` (statuses: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html).
   * The replica stays linked to its source until the reboot.
   */
  #replicaStatus(at: number): string {
    if (!this.#promotion) return 'available';
    const { modifyingMs, rebootingMs, backingUpMs } = this.#o.promotion;
    const t = at - this.#promotion.at;
    if (t < modifyingMs) return 'modifying';
    if (t < modifyingMs + rebootingMs) return 'rebooting';
    // BackupRetentionPeriod > 0 enables automated backups: the first one starts once the instance is standalone.
    if (this.#promotion.retentionDays > 0 && t < modifyingMs + rebootingMs + backingUpMs) return 'backing-up';
    return 'available';
  }

  #isReplica(at: number): boolean {
    return !this.#promotion || at - this.#promotion.at < this.#o.promotion.modifyingMs;
  }

  #describe(id: string): DBInstance {
    const now = this.#clock.now();
    const { source, replica } = this.#o;
    if (id === replica.id || id === replica.arn) {
      const broken = this.#replicationBrokenAt !== undefined;
      return {
        DBInstanceIdentifier: replica.id,
        DBInstanceArn: replica.arn,
        DBInstanceStatus: this.#replicaStatus(now),
        Endpoint: { Address: replica.endpoint, Port: 5432 },
        BackupRetentionPeriod: this.#promotion?.retentionDays ?? replica.backupRetentionPeriod,
        // A promotion keeps the replica's parameter group (USER_ReadRepl.Promote.html names no change to it).
        ...(replica.parameterGroup
          ? { DBParameterGroups: [{ DBParameterGroupName: replica.parameterGroup, ParameterApplyStatus: 'in-sync' }] }
          : {}),
        ...(this.#isReplica(now)
          ? {
              ReadReplicaSourceDBInstanceIdentifier: source.arn,
              // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Monitoring.html
              StatusInfos: [
                { StatusType: 'read replication', Normal: !broken, Status: broken ? 'error' : 'replicating' },
              ],
            }
          : {}),
      };
    }
    if (id === source.id || id === source.arn) {
      return {
        DBInstanceIdentifier: source.id,
        DBInstanceArn: source.arn,
        DBInstanceStatus: 'available',
        DBParameterGroups: [
          { DBParameterGroupName: source.parameterGroup, ParameterApplyStatus: this.#group.applyStatus() },
        ],
        ...(this.#isReplica(now) ? { ReadReplicaDBInstanceIdentifiers: [replica.arn] } : {}),
      };
    }
    throw new DBInstanceNotFoundFault({ $metadata: {}, message: `DBInstance ${id} not found.` });
  }

  /**
   * PromoteReadReplica (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PromoteReadReplica.html):
   * InvalidDBInstanceStateFault when the instance is not in a state that allows it (not `available`, e.g. a
   * promotion already under way or `backing-up`, or no longer a read replica); BackupRetentionPeriod defaults to 1.
   */
  #promote(input: { DBInstanceIdentifier?: string; BackupRetentionPeriod?: number }) {
    const now = this.#clock.now();
    const id = input.DBInstanceIdentifier;
    if (id !== this.#o.replica.id && id !== this.#o.replica.arn) {
      throw new DBInstanceNotFoundFault({ $metadata: {}, message: `DBInstance ${id} not found.` });
    }
    if (!this.#isReplica(now)) throw stateFault(`DB Instance ${id} is not a read replica.`);
    const status = this.#replicaStatus(now);
    if (status !== 'available') throw stateFault(`DB instance ${id} is not in available state (it is ${status}).`);
    this.#promotion = { at: now, retentionDays: input.BackupRetentionPeriod ?? 1 };
    this.#promotionRequests += 1;
    // Accepted, then answered with a server error: InternalFailure, HTTP 500, is common to every AWS API
    // (https://docs.aws.amazon.com/emr/latest/APIReference/CommonErrors.html); nothing says RDS undoes the change.
    const lost = this.#answerAfterAccept.shift();
    if (lost) throw lost;
    return { DBInstance: this.#describe(this.#o.replica.id) };
  }

  // ---------------------------------------------------------------- CloudWatch

  /**
   * ReplicaLag (seconds, one datapoint a minute, Maximum): how far the replica's replay is behind its source
   * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PostgreSQL.Replication.ReadReplicas.Monitor.html,
   * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html). A minute is published a minute
   * after it ends; no datapoint for a minute in which the replica was not replicating.
   */
  #publishReplicaLag(metrics: CloudWatchWorld): void {
    metrics.add({
      namespace: 'AWS/RDS',
      metricName: 'ReplicaLag',
      dimensions: { DBInstanceIdentifier: this.#o.replica.id },
      sampleAt: (m) => (m >= this.#replicationStopsAt() ? undefined : this.#lagSecondsDuring(m)),
      sampleEveryMs: MINUTE,
      publishDelayMs: 2 * MINUTE,
    });
  }

  /** The worst lag in the minute starting at `m`: 0 once the replica has replayed every acknowledged commit. */
  #lagSecondsDuring(m: number): number {
    const caughtUp = m - this.#o.replicaBehindMs >= this.#group.writesEndAt();
    return caughtUp ? 0 : this.#o.replicaBehindMs / 1000;
  }
}
