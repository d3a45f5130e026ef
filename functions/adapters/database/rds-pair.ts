import { type DBInstance, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { hasAwsErrorName } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { parseArn } from '#core/arn.js';
import { type InstanceView, type RdsPairView, rebuiltReplicaArn } from '#core/failback.js';
import type { PlanWithDatabase } from '#core/plan.js';
import type { RdsPairObserver } from '#core/ports.js';
import { PRIMARY_REGION_DEADLINE_MS, withDeadline } from './rds-fence.js';
import { PRIMARY_REGION_CLIENT_SETTINGS, rdsResourceId } from './rds-instance.js';

/** Injectable client (tests); by default the lazy client cache, bounded like every call that may meet a dark region. */
export interface RdsPairDeps {
  rds?: (region: string) => RDSClient;
}

/** An instance as the way back reads it: replication and status from DescribeDBInstances. */
export const instanceView = (id: string, instance: DBInstance): InstanceView => {
  const replication = instance.StatusInfos?.find((s) => s.StatusType === 'read replication')?.Status;
  return {
    id,
    reachable: true,
    exists: true,
    ...(instance.DBInstanceStatus ? { status: instance.DBInstanceStatus } : {}),
    ...(instance.ReadReplicaSourceDBInstanceIdentifier
      ? { replicaOf: instance.ReadReplicaSourceDBInstanceIdentifier }
      : {}),
    ...(replication ? { replication } : {}),
  };
};

/**
 * Reads an RDS plan's pair for the way back, all three instances at once, each in its own Region with one attempt
 * and a deadline: the plan's replica (the writer once promoted), the replica the way back builds and the old primary
 * (both in the primary region). DBInstanceNotFound is `exists: false`; any other failure `reachable: false`.
 */
export class RdsPair implements RdsPairObserver {
  readonly #plan: PlanWithDatabase<'rds-instance'>;
  readonly #deps: RdsPairDeps;

  constructor(plan: PlanWithDatabase<'rds-instance'>, deps: RdsPairDeps = {}) {
    this.#plan = plan;
    this.#deps = deps;
  }

  async observe(): Promise<RdsPairView> {
    const db = this.#plan.database;
    const [source, replica, rebuilt] = await Promise.all(
      [db.sourceInstanceArn, db.replicaInstanceArn, rebuiltReplicaArn(this.#plan)].map((arn) => this.#view(arn)),
    );
    return { source, replica, rebuilt } as RdsPairView;
  }

  async #view(arn: string): Promise<InstanceView> {
    const id = rdsResourceId(arn, 'db');
    const region = parseArn(arn)?.region ?? this.#plan.regions.primary;
    const rds = this.#deps.rds?.(region) ?? clientFor(RDSClient, region, PRIMARY_REGION_CLIENT_SETTINGS);
    try {
      const out = await withDeadline(
        (abortSignal) => rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }), { abortSignal }),
        PRIMARY_REGION_DEADLINE_MS,
        `DescribeDBInstances ${id} in ${region}`,
      );
      const instance = out.DBInstances?.[0];
      return instance ? instanceView(id, instance) : { id, reachable: true, exists: false };
    } catch (error) {
      if (hasAwsErrorName(error, 'DBInstanceNotFoundFault', 'DBInstanceNotFound')) {
        return { id, reachable: true, exists: false };
      }
      return { id, reachable: false, exists: false };
    }
  }
}
