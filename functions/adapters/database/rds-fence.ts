import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeDBInstancesCommand, type RDSClient } from '@aws-sdk/client-rds';
import { describeOne, translateAwsError } from '#adapters/aws-errors.js';
import { DrFailoverError, FenceFailedError } from '#core/errors.js';
import type { FenceResult } from '#core/ports.js';
import type { LagMetricQuery } from './cloudwatch-lag.js';

/** An overall deadline on calls into the primary region, on top of the SDK's own timeouts (see rds-instance.ts). */
export const PRIMARY_REGION_DEADLINE_MS = 8000;

/** Runs a call with a hard deadline, aborting the request when it passes. */
export const withDeadline = async <T>(
  call: (abortSignal: AbortSignal) => Promise<T>,
  ms: number,
  what: string,
): Promise<T> => {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(Object.assign(new Error(`${what} gave no answer within ${ms} ms`), { name: 'TimeoutError' }));
    }, ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([call(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
};

/** The replica's ReplicaLag (seconds), as RDS publishes it in the standby region. */
export const replicaLagQuery = (replicaId: string): LagMetricQuery => ({
  id: 'replica_lag',
  namespace: 'AWS/RDS',
  metricName: 'ReplicaLag',
  dimensions: { DBInstanceIdentifier: replicaId },
});

/** What a planned fence of an RDS source is checked against. */
export interface PlannedFence {
  primaryRds: RDSClient;
  cloudwatch: CloudWatchClient;
  sourceArn: string;
  sourceId: string;
  group: string;
  replicaId: string;
  /** The replica is already standalone: it replays nothing more, and publishes no lag. */
  replicaPromoted: boolean;
  now: Date;
}

const describeSource = (f: PlannedFence) => {
  const what = `DescribeDBInstances ${f.sourceId} in the primary region`;
  return withDeadline(
    (abortSignal) =>
      describeOne(what, async () => {
        const out = await f.primaryRds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: f.sourceId }), {
          abortSignal,
        });
        return out.DBInstances;
      }),
    PRIMARY_REGION_DEADLINE_MS,
    what,
  ).catch((error: unknown) => {
    throw error instanceof DrFailoverError ? error : translateAwsError(error, what);
  });
};

/** Why the fence cannot be trusted yet, or undefined once it can. */
const waitReason = async (f: PlannedFence, requestedAt: string): Promise<string | undefined> => {
  const source = await describeSource(f);
  const status = source.DBParameterGroups?.find((g) => g.DBParameterGroupName === f.group)?.ParameterApplyStatus;
  if (status === undefined) {
    throw new FenceFailedError(
      `${f.group} is not a parameter group of ${f.sourceArn}: setting default_transaction_read_only on it does not ` +
        'make the source read-only (check database.fenceParameterGroupName)',
    );
  }
  // `applying` until RDS has set it on the database, `in-sync` once it has:
  // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBParameterGroupStatus.html
  if (status !== 'in-sync') return `the parameter group is ${status} on ${f.sourceId}, not yet in-sync`;
  if (f.replicaPromoted) return undefined;
  // Transactions open before the parameter applied may still commit: only a replica seen fully caught up over a
  // whole minute that began after the fence has every commit the source acknowledged.
  const lag = await import('./cloudwatch-lag.js');
  const latest = await lag.latestDatapoints(
    f.cloudwatch,
    [replicaLagQuery(f.replicaId)],
    f.now,
    `ReplicaLag ${f.replicaId}`,
  );
  const point = latest.get('replica_lag');
  if (!point || point.timestamp.getTime() < Date.parse(requestedAt)) {
    return `no ReplicaLag datapoint of ${f.replicaId} yet for a minute that began after the fence`;
  }
  if (point.value !== 0) {
    return (
      `ReplicaLag of ${f.replicaId} is ${point.value} s for the minute from ${point.timestamp.toISOString()}: ` +
      'it has not replayed every acknowledged commit yet'
    );
  }
  return undefined;
};

/**
 * A planned fence of an RDS source, asked for at `requestedAt`: confirmed (`fenced`) once RDS reports the read-only
 * parameter in-sync on the source and the replica's lag is 0 for a minute after the fence; until then `pending`,
 * and the state machine checks again. Transient failures are rethrown for the state machine to retry; any other
 * is a FenceFailedError (a planned run never promotes over a writable primary).
 */
export const checkPlannedFence = async (f: PlannedFence, requestedAt: string): Promise<FenceResult> => {
  let reason: string | undefined;
  try {
    reason = await waitReason(f, requestedAt);
  } catch (error) {
    const e = error as DrFailoverError;
    if (e instanceof FenceFailedError || e.retryable) throw e;
    throw new FenceFailedError(`${e.message}; a planned run never promotes over a writable primary`, { cause: e });
  }
  const asked = `set default_transaction_read_only = 1 (immediate) on parameter group ${f.group} of ${f.sourceArn} at ${requestedAt}`;
  if (reason) {
    return {
      fenced: false,
      pending: true,
      method: 'read-only-parameter',
      requestedAt,
      detail: `${asked}; waiting: ${reason}`,
    };
  }
  const caughtUp = f.replicaPromoted
    ? `${f.replicaId} is already promoted`
    : `ReplicaLag of ${f.replicaId} is 0 for a minute after it: the replica has every commit the old primary acknowledged`;
  return {
    fenced: true,
    method: 'read-only-parameter',
    requestedAt,
    detail: `${asked}; RDS reports it in-sync on ${f.sourceId}, and ${caughtUp}`,
  };
};
