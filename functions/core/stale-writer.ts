/**
 * A standalone RDS replica is the writer only if nothing fenced it. After a way back (dr-failover failback) the plan
 * is unchanged, but the world is not: the writer is `<source id>-failback` in the primary region, and the plan's
 * replica is standalone, stale, and read-only through its own parameter group (the way back fenced it there, with
 * `default_transaction_read_only = 1`). Read as "already promoted", it would take traffic. So, when the plan names
 * the replica's group (`database.replicaFenceParameterGroupName`) and that group is the instance's, a read-only
 * setting in it means the pair the plan names is not the pair that exists: a run refuses before changing anything.
 *
 * Pure: what the adapter read of the group, judged. The reads are functions/adapters/database/rds-replica-fence.ts.
 */
import { AmbiguousTopologyError } from './errors.js';
import { rebuiltReplicaId } from './failback.js';

/** What the replica's own parameter group said, read only when the replica is standalone. */
export interface ReplicaFenceReading {
  /** The plan's `database.replicaFenceParameterGroupName`, one of the instance's DBParameterGroups (else not read). */
  group: string;
  /** The instance's ParameterApplyStatus for the group (`in-sync`, `applying` ...). */
  applyStatus?: string;
  /** `default_transaction_read_only` as set in the group (Source `user`); absent: never set, the engine's default. */
  readOnlyValue?: string;
}

/** What the judgement needs to name: the plan's pair and where each side is. */
export interface StaleWriterContext {
  replicaId: string;
  standbyRegion: string;
  primaryRegion: string;
  sourceInstanceArn: string;
  /** DBInstanceStatus of the replica. */
  status: string;
}

/** PostgreSQL's spellings of a true boolean (it also takes unique prefixes of `true`, `yes`, `on`). */
const TRUE_WORDS = ['1', 'on', 'true', 'yes', 't', 'y', 'tr', 'tru', 'ye'];

/** True when the reading shows the replica read-only by its own group: it is not the writer. */
export const fencedByItsGroup = (reading: ReplicaFenceReading): boolean =>
  TRUE_WORDS.includes((reading.readOnlyValue ?? '').trim().toLowerCase());

/**
 * What was seen and what to do, for a refused run and for readiness alike: the replica, its group, the likely
 * writer (not read: that would call the primary region, maybe the dark one, in every run), and the operator's way out.
 */
const explain = (ctx: StaleWriterContext, reading: ReplicaFenceReading): string => {
  const writer = rebuiltReplicaId(ctx.sourceInstanceArn);
  return (
    `${ctx.replicaId} in ${ctx.standbyRegion} is standalone (${ctx.status}) but its parameter group ${reading.group} ` +
    `(${reading.applyStatus ?? 'apply status unknown'}) sets default_transaction_read_only = ${reading.readOnlyValue}: ` +
    'it is fenced read-only, so it is not the writer and its data may be stale. ' +
    `The writer is probably ${writer} in ${ctx.primaryRegion}, made by a way back (dr-failover failback), which ` +
    'fences this replica through that group (or a way back stopped after its fence). The plan no longer names a real ' +
    `pair: create a new cross-region read replica of the current writer in ${ctx.standbyRegion} and update the plan ` +
    '(database.sourceInstanceArn, replicaInstanceArn, fenceParameterGroupName, replicaFenceParameterGroupName) so ' +
    'that it names the current pair, or run a plan without a way back (docs/runbook.md, "After an RDS way back")'
  );
};

/** The explanation when the reading shows the replica fenced by its own group; undefined when not (or not read). */
export const staleWriterExplanation = (
  ctx: StaleWriterContext,
  reading: ReplicaFenceReading | undefined,
): string | undefined => (reading && fencedByItsGroup(reading) ? explain(ctx, reading) : undefined);

/** Throws AmbiguousTopologyError (this step changes nothing) when the replica is fenced by its own group; else returns. */
export const refuseStaleWriter = (ctx: StaleWriterContext, reading: ReplicaFenceReading | undefined): void => {
  const why = staleWriterExplanation(ctx, reading);
  if (why) throw new AmbiguousTopologyError(`run refused, this step changed nothing: ${why}`);
};
