/**
 * Reads whether a standalone RDS replica is fenced read-only by its own parameter group (core/stale-writer.ts says
 * why that matters). Cheap by construction: nothing is read unless the plan names the replica's group and the
 * instance, as already described, is standalone and uses that group; then one DescribeDBParameters of the group's
 * user-set parameters (one page in practice; `Marker` followed, bounded).
 */
import { type DBInstance, DescribeDBParametersCommand, type RDSClient } from '@aws-sdk/client-rds';
import { translateAwsError } from '#adapters/aws-errors.js';
import {
  type ReplicaFenceReading,
  refuseStaleWriter,
  type StaleWriterContext,
  staleWriterExplanation,
} from '#core/stale-writer.js';

const PARAMETER = 'default_transaction_read_only';
/** Pages of 100; a PostgreSQL group has a few hundred parameters in all, far fewer set by a user. */
const MAX_PAGES = 10;

/**
 * `default_transaction_read_only` as set in `group` (Source `user`: set by ModifyDBParameterGroup), or undefined
 * when it was never set there. `Source` and `Marker` are documented for every version of the API; the
 * `parameter-name` filter only in recent ones, so it is not relied on
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBParameters.html).
 */
const userValue = async (rds: RDSClient, group: string): Promise<string | undefined> => {
  let marker: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const out = await rds.send(
      new DescribeDBParametersCommand({
        DBParameterGroupName: group,
        Source: 'user',
        ...(marker ? { Marker: marker } : {}),
      }),
    );
    const found = out.Parameters?.find((p) => p.ParameterName === PARAMETER);
    if (found) return found.ParameterValue;
    marker = out.Marker;
    if (!marker) return undefined;
  }
  return undefined;
};

/**
 * The reading of a described replica, or undefined when there is nothing to read: no group in the plan, the
 * instance still a read replica, or the group not the instance's. A failed read is a named error (retryable when
 * throttled or 5xx): which instance is the writer is not guessed.
 */
const readReplicaFence = async (
  rds: RDSClient,
  group: string | undefined,
  instance: DBInstance,
): Promise<ReplicaFenceReading | undefined> => {
  if (!group || instance.ReadReplicaSourceDBInstanceIdentifier) return undefined;
  const attached = instance.DBParameterGroups?.find((g) => g.DBParameterGroupName === group);
  if (!attached) return undefined;
  try {
    const value = await userValue(rds, group);
    return {
      group,
      ...(attached.ParameterApplyStatus ? { applyStatus: attached.ParameterApplyStatus } : {}),
      ...(value !== undefined ? { readOnlyValue: value } : {}),
    };
  } catch (error) {
    throw translateAwsError(error, `DescribeDBParameters ${group}`);
  }
};

/** The stale-writer context of a described replica: the plan's pair, and the instance's status. */
const contextOf = (where: Omit<StaleWriterContext, 'status'>, instance: DBInstance): StaleWriterContext => ({
  ...where,
  status: instance.DBInstanceStatus ?? 'unknown',
});

/**
 * Refuses (AmbiguousTopologyError, from core/stale-writer.ts) a described replica that is standalone and read-only by
 * its own parameter group: the one rule for the lag reading, the promotion and its status.
 */
export const refuseIfFenced = async (
  rds: RDSClient,
  group: string | undefined,
  instance: DBInstance,
  where: Omit<StaleWriterContext, 'status'>,
): Promise<void> => refuseStaleWriter(contextOf(where, instance), await readReplicaFence(rds, group, instance));

/** Readiness: the same observation, explained (the `standby` check is then CRITICAL); undefined when not fenced. */
export const fencedReplicaExplanation = async (
  rds: RDSClient,
  group: string | undefined,
  instance: DBInstance,
  where: Omit<StaleWriterContext, 'status'>,
): Promise<string | undefined> =>
  staleWriterExplanation(contextOf(where, instance), await readReplicaFence(rds, group, instance));
