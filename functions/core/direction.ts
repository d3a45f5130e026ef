/**
 * Which way a run goes, from the observed world rather than the plan file. A plan names a pair of nodes (`primary`
 * and `standby` are the names they had when it was written); after a failover the pair is the other way round, and
 * the same plan serves the way back. A run goes from the node that is the writer now to the one streaming from it.
 *
 * The observation is read once, before anything changes (after a run has promoted, both sides look different);
 * when it does not show one writer and one standby that follows it, the run is refused with AmbiguousTopologyError
 * rather than guessed.
 */
import { AmbiguousTopologyError, ConfigurationError } from './errors.js';
import type { Plan } from './plan.js';

/** A node by the name the plan gives it. */
export type PlanSide = 'primary' | 'standby';

/** What one node of the pair showed (self-managed PostgreSQL: its own view of itself). */
export interface NodeView {
  /** The host the plan names for it. */
  host: string;
  /** False when it did not answer (the region may be dark). */
  reachable: boolean;
  /** `pg_is_in_recovery()`: true for a standby. */
  inRecovery?: boolean;
  /** For a standby: the host it replicates from (its WAL receiver's sender, else its `primary_conninfo`). */
  upstreamHost?: string;
}

const other = (side: PlanSide): PlanSide => (side === 'primary' ? 'standby' : 'primary');

const describe = (side: PlanSide, v: NodeView): string => {
  if (!v.reachable) return `${side} ${v.host} did not answer`;
  if (!v.inRecovery) return `${side} ${v.host} is a writer`;
  return `${side} ${v.host} is a standby${v.upstreamHost ? ` following ${v.upstreamHost}` : ' following nobody'}`;
};

/**
 * The side that is the writer now. A standby vouches for its upstream even when that upstream is dark (an
 * unplanned failover), a writer is one only when its peer is not a writer too (two writers), and a standby that
 * follows neither node leaves the direction unknown.
 */
export const observedWriter = (views: Record<PlanSide, NodeView>): PlanSide => {
  const world = `${describe('primary', views.primary)}; ${describe('standby', views.standby)}`;
  const refuse = (why: string): never => {
    throw new AmbiguousTopologyError(`${why}: ${world}. Establish one writer streaming to one standby, then re-run`);
  };
  const writers = (['primary', 'standby'] as const).filter((s) => views[s].reachable && views[s].inRecovery === false);
  if (writers.length === 2) return refuse('two writers (split brain)');
  const follows = (s: PlanSide) => views[s].reachable && views[s].inRecovery === true && views[s].upstreamHost;
  for (const side of ['primary', 'standby'] as const) {
    const follower = other(side);
    if (follows(follower) && views[follower].upstreamHost !== views[side].host) {
      return refuse(`the ${follower} does not replicate from the ${side}`);
    }
  }
  const [writer] = writers;
  if (writer) return writer;
  // No writer answered: the one a standby follows is the writer that went dark.
  for (const side of ['primary', 'standby'] as const) {
    if (!views[side].reachable && follows(other(side))) return side;
  }
  return refuse('no writer');
};

/**
 * The plan as a run from `writer` sees it: unchanged from its primary; from its standby, the pair and the regions
 * the other way round. Self-managed PostgreSQL only: the managed kinds name different resources for each direction.
 */
export const orientPlan = (plan: Plan, writer: PlanSide): Plan => {
  if (writer === 'primary') return plan;
  const db = plan.database;
  if (db.kind !== 'postgres') {
    throw new ConfigurationError(`plan ${plan.name}: a run the other way round is supported for postgres plans only`);
  }
  // writerAddress names where clients reach the plan's standby once promoted: it does not apply the other way.
  const { writerAddress: _unused, ...rest } = db;
  return {
    ...plan,
    regions: { primary: plan.regions.standby, standby: plan.regions.primary },
    database: { ...rest, primary: db.standby, standby: db.primary },
  };
};
