import * as z from 'zod';

/**
 * A round-trip game day (`gameday.roundTrip`): the plan's schedule starts the way out (a planned failover); when it
 * succeeds, its Failover Succeeded notification first arms the way back: a one-time EventBridge Scheduler schedule
 * in the plan's primary region, where the failback runs, that starts the failback there `returnAfterMinutes` later.
 */
export const roundTripConfig = z
  .object({
    /**
     * Minutes between the way out's success and the way back's start: by then the old primary must be rebuilt as the
     * new writer's standby and caught up, or the failback refuses, changing nothing. At most 12 h: the failback's
     * incident time is its start, and Prepare accepts one at most 24 h old.
     */
    returnAfterMinutes: z.number().int().min(5).max(720).default(60),
  })
  .strict();

/** What the plan schema refuses of a round trip (plan.ts calls it). */
export const roundTripIssues = (plan: {
  gameday?: { dryRun: boolean; mode: string; roundTrip?: unknown } | undefined;
  database: { kind: string };
}): { path: (string | number)[]; message: string }[] => {
  const g = plan.gameday;
  if (!g?.roundTrip) return [];
  const path = ['gameday', 'roundTrip'];
  const issues: { path: (string | number)[]; message: string }[] = [];
  if (g.dryRun)
    issues.push({ path, message: 'needs gameday.dryRun: false: a dry run changes nothing to come back from' });
  if (g.mode !== 'planned')
    issues.push({ path, message: 'needs gameday.mode: planned: a game day fails over planned' });
  if (plan.database.kind !== 'postgres') {
    issues.push({ path, message: 'only a self-managed PostgreSQL plan can fail back yet (RDS and Aurora cannot)' });
  }
  return issues;
};
