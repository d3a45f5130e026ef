import type { DatabaseScope, Plan } from '#core/plan.js';
import type {
  AuroraPairObserver,
  DatabaseFailover,
  FailbackRebuilder,
  PairObserver,
  RdsPairObserver,
} from '#core/ports.js';
import type { FailoverState } from '#core/state.js';

/**
 * Maps a database section's `kind` (the plan's, or a component database's) to its adapter. Adapters are imported on
 * first use, so a step pays at cold start only for the SDK client its plan needs (esbuild inlines them, evaluated
 * lazily). `promoteWaitSeconds`: how long PostgreSQL's `pg_promote` may wait, where the caller's timeout is shorter.
 */
export const databaseFor = async (
  plan: DatabaseScope,
  options: { promoteWaitSeconds?: number } = {},
): Promise<DatabaseFailover> => {
  switch (plan.database.kind) {
    case 'aurora-global': {
      const { AuroraGlobalFailover } = await import('./aurora-global.js');
      return new AuroraGlobalFailover({ ...plan, database: plan.database });
    }
    case 'rds-instance': {
      const { RdsInstanceFailover } = await import('./rds-instance.js');
      return new RdsInstanceFailover({ ...plan, database: plan.database });
    }
    case 'postgres': {
      const { PostgresFailover } = await import('./postgres.js');
      return new PostgresFailover({ ...plan, database: plan.database }, options);
    }
  }
};

/** The observer of a plan's pair, for the kinds whose direction is observed (self-managed PostgreSQL); else none. */
export const pairFor = async (plan: Plan): Promise<PairObserver | undefined> => {
  if (plan.database.kind !== 'postgres') return undefined;
  const { PostgresPair } = await import('./postgres-pair.js');
  return new PostgresPair({ ...plan, database: plan.database });
};

/** The observer of an RDS pair for the way back (Prepare, failback runs only); none for the other kinds. */
export const rdsPairFor = async (plan: Plan): Promise<RdsPairObserver | undefined> => {
  if (plan.database.kind !== 'rds-instance') return undefined;
  const { RdsPair } = await import('./rds-pair.js');
  return new RdsPair({ ...plan, database: plan.database });
};

/** The observer of an Aurora global database for the way back (Prepare, failback runs only); none for other kinds. */
export const auroraPairFor = async (plan: Plan): Promise<AuroraPairObserver | undefined> => {
  if (plan.database.kind !== 'aurora-global') return undefined;
  const { AuroraPair } = await import('./aurora-pair.js');
  return new AuroraPair({ ...plan, database: plan.database });
};

/** The way back's actions for a failback run's state (its plan oriented from the current writer). */
export const failbackFor = async (
  state: FailoverState & { failback: NonNullable<FailoverState['failback']> },
): Promise<FailbackRebuilder> => {
  if (state.plan.database.kind === 'aurora-global') {
    const { AuroraFailback } = await import('./aurora-failback.js');
    return AuroraFailback.of(state);
  }
  const { RdsFailback } = await import('./rds-failback.js');
  return RdsFailback.of(state);
};
