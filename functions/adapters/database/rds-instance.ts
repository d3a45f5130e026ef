import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  type DBInstance,
  DescribeDBInstancesCommand,
  ModifyDBParameterGroupCommand,
  PromoteReadReplicaCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { describeOne, hasAwsErrorName, translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { parseArn } from '#core/arn.js';
import {
  ConfigurationError,
  type DrFailoverError,
  FenceFailedError,
  ResourceBusyError,
  ServiceUnavailableError,
} from '#core/errors.js';
import type { FailoverMode } from '#core/input.js';
import type { DatabaseScope } from '#core/plan.js';
import type {
  DatabaseFailover,
  FenceResult,
  LagReading,
  PromoteContext,
  PromoteResult,
  PromotionStatus,
} from '#core/ports.js';
import { checkPlannedFence, PRIMARY_REGION_DEADLINE_MS, replicaLagQuery, withDeadline } from './rds-fence.js';
import { refuseIfFenced } from './rds-replica-fence.js';

/** Injectable clients and clock; by default clients come from the lazy client cache, built on first use. */
export interface AwsDatabaseDeps {
  rds?: (region: string) => RDSClient;
  cloudwatch?: (region: string) => CloudWatchClient;
  now?: () => Date;
}

/**
 * Calls into the primary region may meet a dark region: one attempt, short timeouts, and an overall deadline
 * on top (the SDK's timeouts do not cover every stall, e.g. credential or DNS resolution).
 */
export const PRIMARY_REGION_CLIENT_SETTINGS = { maxAttempts: 1, connectionTimeoutMs: 2000, requestTimeoutMs: 5000 };

/** `InvalidDBInstanceStateFault`: the instance is busy (promoting, modifying, rebooting); the same call succeeds later. */
const INSTANCE_BUSY_CODES = ['InvalidDBInstanceStateFault'] as const;
/**
 * Statuses a read replica passes through while RDS promotes it: it is modified, then rebooted before it is made
 * available. https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html
 */
const PROMOTING_STATES: ReadonlySet<string> = new Set(['modifying', 'rebooting']);
/**
 * Statuses in which a standalone (promoted) instance takes writes. A promotion with backups enabled ends in
 * `backing-up` (the first automated backup) before `available`; the backup can take longer than the plan's status
 * checks, and the instance is the writer during it.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html (DB instance status)
 */
const WRITABLE_STANDALONE_STATES: ReadonlySet<string> = new Set(['available', 'backing-up']);
/** The parameter group is being modified by someone else. */
const PARAMETER_GROUP_BUSY_CODES = ['InvalidDBParameterGroupStateFault'] as const;

/**
 * A read replica whose replication RDS reports as not running (`StatusInfos`, type `read replication`: `error`,
 * `stopped`, `terminated`, or not normal; `replicating` is the healthy one:
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Monitoring.html), described; else undefined.
 */
export const brokenReplication = (instance: DBInstance): string | undefined => {
  if (!instance.ReadReplicaSourceDBInstanceIdentifier) return undefined;
  const info = instance.StatusInfos?.find((s) => s.StatusType === 'read replication');
  if (!info || (info.Normal !== false && !['error', 'stopped', 'terminated'].includes(info.Status ?? ''))) {
    return undefined;
  }
  return `${info.Status ?? 'abnormal'}${info.Message ? `: ${info.Message}` : ''}`;
};

/**
 * DB instance states from which a promotion will not finish by waiting.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html (DB instance status)
 */
export const FAILED_INSTANCE_STATES: ReadonlySet<string> = new Set([
  'failed',
  'incompatible-parameters',
  'incompatible-network',
  'incompatible-option-group',
  'incompatible-restore',
  'incompatible-credentials',
  'inaccessible-encryption-credentials',
  'restore-error',
  'storage-full',
  'deleting',
]);

const LAG_SOURCE = 'cloudwatch:AWS/RDS ReplicaLag';
const PROMOTED_SOURCE = 'rds:DescribeDBInstances already-promoted';

/** The identifier of an RDS ARN whose resource is `<prefix>:<id>` (the plan schema has checked the shape). */
export const rdsResourceId = (arn: string, prefix: 'db' | 'cluster'): string => {
  const resource = parseArn(arn)?.resource ?? '';
  if (!resource.startsWith(`${prefix}:`)) {
    throw new ConfigurationError(`${arn} is not an RDS ${prefix === 'db' ? 'DB instance' : 'DB cluster'} ARN`);
  }
  return resource.slice(prefix.length + 1);
};

/**
 * DatabaseFailover for an RDS for PostgreSQL cross-region read replica: the replica lives in the standby region
 * (where this stack runs), its source in the primary region. Only fencing touches the primary region.
 */
export class RdsInstanceFailover implements DatabaseFailover {
  private readonly primaryRegion: string;
  private readonly standbyRegion: string;
  private readonly replicaId: string;
  private readonly sourceArn: string;
  private readonly fenceParameterGroupName: string | undefined;
  private readonly replicaFenceGroup: string | undefined;
  private readonly deps: AwsDatabaseDeps;
  private readonly now: () => Date;

  constructor(plan: DatabaseScope<'rds-instance'>, deps: AwsDatabaseDeps = {}) {
    this.primaryRegion = plan.regions.primary;
    this.standbyRegion = plan.regions.standby;
    this.replicaId = rdsResourceId(plan.database.replicaInstanceArn, 'db');
    this.sourceArn = plan.database.sourceInstanceArn;
    this.fenceParameterGroupName = plan.database.fenceParameterGroupName;
    this.replicaFenceGroup = plan.database.replicaFenceParameterGroupName;
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * The replica's lag, or that it is already promoted. The promotion state outranks the metric: a promoted replica
   * stops publishing ReplicaLag, and its last datapoint (absent, stale, or still fresh for a few minutes) describes
   * a replication that is over. So the instance is described on every reading, in parallel with the metric query so
   * that it adds no latency: writable by promotionStatus's rule (standalone, available or backing-up) means it is the writer,
   * whatever the metric says.
   */
  async replicationLag(): Promise<LagReading> {
    const now = this.now();
    const lag = await import('./cloudwatch-lag.js');
    const cloudwatch = this.deps.cloudwatch?.(this.standbyRegion) ?? lag.defaultCloudWatch(this.standbyRegion);
    const [instance, latest] = await Promise.all([
      this.describeJudged(),
      lag.latestDatapoints(cloudwatch, [replicaLagQuery(this.replicaId)], now, `ReplicaLag ${this.replicaId}`),
    ]);
    const status = instance.DBInstanceStatus ?? 'unknown';
    if (this.promotionOf(instance).state === 'writable') {
      return {
        status: 'known',
        seconds: 0,
        observedAt: now.toISOString(),
        source: PROMOTED_SOURCE,
        detail:
          `${this.replicaId} in ${this.standbyRegion} has no replication source and is ${status}: it is already ` +
          'promoted and the writer, so nothing further can be lost by this run',
        alreadyPromoted: true,
      };
    }
    // Standalone but not yet available: a promotion is under way. Say so; the metric still decides.
    const promoting = instance.ReadReplicaSourceDBInstanceIdentifier
      ? ''
      : `; ${this.replicaId} has no replication source but is ${status}: a promotion is not finished yet`;
    const point = latest.get('replica_lag');
    const unknown = (detail: string): LagReading => ({
      status: 'unknown',
      observedAt: now.toISOString(),
      source: LAG_SOURCE,
      detail: `${detail}${promoting}`,
    });
    // ReplicaLag is published minutes late: the datapoints of the minutes before replication stopped still look
    // fresh, while the replica receives nothing more and the data at risk grows. `sourceLost` is a judgement: RDS
    // reports `error` or `stopped` for replication that needs someone to act (the monitoring page above), not for a
    // blip, so under `onExceeded: proceed` the RPO guard does not wait for it to come back (core/lag-policy.ts).
    const broken = brokenReplication(instance);
    if (broken) {
      return {
        ...unknown(
          `read replication of ${this.replicaId} is ${broken}: the replica receives no changes, so the lag is unknown ` +
            `(the latest ReplicaLag, ${point ? `${point.value} s at ${point.timestamp.toISOString()}` : 'none'}, describes the time before)`,
        ),
        sourceLost: true,
      };
    }
    if (!point) {
      return unknown(
        `no ReplicaLag datapoint for ${this.replicaId} in ${this.standbyRegion} in the last ${lag.LAG_WINDOW_MS / 60_000} minutes: ` +
          'the lag is unknown (replication stopped, replica unhealthy or metrics delayed), not zero',
      );
    }
    if (lag.isStale(point, now)) {
      return unknown(
        `the latest ReplicaLag datapoint for ${this.replicaId} (${point.value} s) is from ${point.timestamp.toISOString()}, ` +
          `${lag.age(point, now)}: too old to say what the lag is now`,
      );
    }
    // RDS reports -1 when replication is not active (Seconds_Behind_Master = NULL), never a real lag.
    // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_MySQL.Replication.ReadReplicas.Monitor.html
    if (point.value < 0) {
      return unknown(
        `ReplicaLag for ${this.replicaId} is ${point.value} at ${point.timestamp.toISOString()}: replication is not ` +
          'running, so the data the replica is missing cannot be measured',
      );
    }
    return {
      status: 'known',
      seconds: point.value,
      observedAt: point.timestamp.toISOString(),
      source: LAG_SOURCE,
      detail: `ReplicaLag of ${this.replicaId} (maximum over the minute starting ${point.timestamp.toISOString()}, ${lag.age(point, now)})`,
    };
  }

  async fenceOldPrimary(mode: FailoverMode, previous?: FenceResult): Promise<FenceResult> {
    if (!this.fenceParameterGroupName) {
      const detail =
        `cannot fence ${this.sourceArn}: database.fenceParameterGroupName is not set in the plan ` +
        '(the custom DB parameter group of the source, on which default_transaction_read_only is set to 1)';
      if (mode === 'planned')
        throw new FenceFailedError(`${detail}; a planned run never promotes over a writable primary`);
      return { fenced: false, method: 'not-configured', detail };
    }
    // A planned fence asked for earlier is checked, not asked for again.
    if (mode === 'planned' && previous?.pending && previous.requestedAt) return this.plannedFence(previous.requestedAt);
    const group = this.fenceParameterGroupName;
    const requestedAt = this.now().toISOString();
    const what = `ModifyDBParameterGroup ${group} in ${this.primaryRegion}`;
    try {
      await withDeadline(
        (abortSignal) =>
          this.primaryRds().send(
            new ModifyDBParameterGroupCommand({
              DBParameterGroupName: group,
              // A dynamic parameter: with `immediate`, new sessions on the old primary are read-only at once.
              Parameters: [
                { ParameterName: 'default_transaction_read_only', ParameterValue: '1', ApplyMethod: 'immediate' },
              ],
            }),
            { abortSignal },
          ),
        PRIMARY_REGION_DEADLINE_MS,
        what,
      );
    } catch (error) {
      const translated = translateAwsError(error, what, PARAMETER_GROUP_BUSY_CODES);
      if (mode === 'planned') {
        // Throttling, a parameter group busy with another change or a 5xx clear by waiting: the state machine
        // retries them. Anything else fails the same way again, and a planned run never promotes over a writable
        // primary.
        if (translated.retryable) throw translated;
        throw new FenceFailedError(`${translated.message}; a planned run never promotes over a writable primary`, {
          cause: translated,
        });
      }
      return {
        fenced: false,
        method: translated instanceof ServiceUnavailableError ? 'unreachable' : 'failed',
        detail: `${translated.message}; proceeding without fencing ${this.sourceArn} (unplanned run)`,
      };
    }
    // Accepted is not applied: a planned run waits until the source refuses writes and the replica has caught up.
    if (mode === 'planned') return this.plannedFence(requestedAt);
    return {
      fenced: true,
      method: 'read-only-parameter',
      detail:
        `set default_transaction_read_only = 1 (immediate) on parameter group ${group} of ${this.sourceArn}: ` +
        'new sessions are read-only; sessions already open keep their setting until they reconnect',
    };
  }

  private async plannedFence(requestedAt: string): Promise<FenceResult> {
    const lag = await import('./cloudwatch-lag.js');
    const replica = await this.describeReplica();
    const fence = {
      primaryRds: this.primaryRds(),
      cloudwatch: this.deps.cloudwatch?.(this.standbyRegion) ?? lag.defaultCloudWatch(this.standbyRegion),
      sourceArn: this.sourceArn,
      sourceId: rdsResourceId(this.sourceArn, 'db'),
      group: this.fenceParameterGroupName ?? '',
      replicaId: this.replicaId,
      replicaPromoted: !replica.ReadReplicaSourceDBInstanceIdentifier,
      now: this.now(),
    };
    return checkPlannedFence(fence, requestedAt);
  }

  async promote(mode: FailoverMode, context: PromoteContext = {}): Promise<PromoteResult> {
    if (mode === 'planned' && !context.fence?.fenced) {
      throw new FenceFailedError(
        `planned run refuses to promote ${this.replicaId}: its source ${this.sourceArn} is not confirmed fenced`,
      );
    }
    const instance = await this.describeJudged();
    if (!instance.ReadReplicaSourceDBInstanceIdentifier) {
      return {
        outcome: 'already-promoted',
        detail: `${this.replicaId} has no replication source: it is already a standalone instance (status ${instance.DBInstanceStatus ?? 'unknown'})`,
      };
    }
    const source = instance.ReadReplicaSourceDBInstanceIdentifier;
    // Without BackupRetentionPeriod AWS applies its default of 1 day, not the replica's setting
    // (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PromoteReadReplica.html): keep a retention the
    // replica has; one without backups gets the default, so the new writer has backups from its first day.
    const retention = instance.BackupRetentionPeriod ? { BackupRetentionPeriod: instance.BackupRetentionPeriod } : {};
    try {
      await this.standbyRds().send(
        new PromoteReadReplicaCommand({ DBInstanceIdentifier: this.replicaId, ...retention }),
      );
    } catch (error) {
      const translated = translateAwsError(error, `PromoteReadReplica ${this.replicaId}`, INSTANCE_BUSY_CODES);
      if (!hasAwsErrorName(error, ...INSTANCE_BUSY_CODES)) throw translated;
      return this.promotionUnderWay(translated);
    }
    return { outcome: 'started', detail: `PromoteReadReplica accepted for ${this.replicaId} (replica of ${source})` };
  }

  /**
   * PromoteReadReplica refused with InvalidDBInstanceStateFault. A retry after an accepted request whose answer was
   * lost (a 5xx, a Lambda error or timeout after the call) meets its own promotion under way: RDS refuses a second
   * one while the replica is `modifying` or `rebooting`. That is a promotion started, to be polled, not a failure;
   * any other state (e.g. the replica's own `backing-up`) is busy, and the state machine retries.
   */
  private async promotionUnderWay(refused: DrFailoverError): Promise<PromoteResult> {
    const instance = await this.describeReplica();
    const status = instance.DBInstanceStatus ?? 'unknown';
    if (!instance.ReadReplicaSourceDBInstanceIdentifier) {
      return {
        outcome: 'started',
        detail: `${this.replicaId} is already standalone (${status}): the promotion an earlier attempt asked for is under way or done`,
      };
    }
    if (!PROMOTING_STATES.has(status)) throw refused;
    return {
      outcome: 'started',
      detail:
        `PromoteReadReplica refused because ${this.replicaId} is ${status}: a promotion is already under way ` +
        '(an earlier attempt was accepted before its answer was lost); polling it',
    };
  }

  async promotionStatus(): Promise<PromotionStatus> {
    return this.promotionOf(await this.describeJudged());
  }

  /** Where a described replica's promotion stands: one rule for the promotion check and the lag reading. */
  private promotionOf(instance: DBInstance): PromotionStatus {
    const status = instance.DBInstanceStatus ?? 'unknown';
    const source = instance.ReadReplicaSourceDBInstanceIdentifier;
    if (FAILED_INSTANCE_STATES.has(status)) {
      return { state: 'failed', detail: `${this.replicaId} is ${status}` };
    }
    if (!source && WRITABLE_STANDALONE_STATES.has(status)) {
      const result: PromotionStatus = { state: 'writable', detail: `${this.replicaId} is standalone and ${status}` };
      if (instance.Endpoint?.Address) result.writerEndpoint = instance.Endpoint.Address;
      return result;
    }
    return {
      state: 'pending',
      detail: source ? `${status}: still a read replica of ${source}` : `${status}: standalone, not yet available`,
    };
  }

  async writerEndpoint(): Promise<string> {
    const instance = await this.describeReplica();
    const address = instance.Endpoint?.Address;
    if (!address) {
      // An instance has no endpoint while it is being created or modified: waiting clears it.
      throw new ResourceBusyError(
        `${this.replicaId} has no endpoint address yet (status ${instance.DBInstanceStatus ?? 'unknown'})`,
      );
    }
    return address;
  }

  /** The replica described; refused, nothing changed, when its own group fences it read-only (not the writer). */
  private async describeJudged(): Promise<DBInstance> {
    const instance = await this.describeReplica();
    const { replicaId, standbyRegion, primaryRegion, sourceArn: sourceInstanceArn } = this;
    const where = { replicaId, standbyRegion, primaryRegion, sourceInstanceArn };
    await refuseIfFenced(this.standbyRds(), this.replicaFenceGroup, instance, where);
    return instance;
  }

  private describeReplica(): Promise<DBInstance> {
    return describeOne(`DescribeDBInstances ${this.replicaId}`, async () => {
      const out = await this.standbyRds().send(
        new DescribeDBInstancesCommand({ DBInstanceIdentifier: this.replicaId }),
      );
      return out.DBInstances;
    });
  }

  private standbyRds(): RDSClient {
    return this.deps.rds?.(this.standbyRegion) ?? clientFor(RDSClient, this.standbyRegion);
  }

  private primaryRds(): RDSClient {
    return (
      this.deps.rds?.(this.primaryRegion) ?? clientFor(RDSClient, this.primaryRegion, PRIMARY_REGION_CLIENT_SETTINGS)
    );
  }
}
