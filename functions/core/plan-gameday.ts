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

/**
 * What the plan schema refuses of a round trip (plan.ts calls it): a way back the failback would refuse every time.
 * Self-managed PostgreSQL and Aurora come back: after the way out's switchover Aurora's old primary is a
 * synchronized secondary at once, so the failback finds it replicating and switches back. RDS does not yet: its way
 * back ends on a new instance the plan does not name, which the plan must then be changed for by hand (runbook
 * "After an RDS way back"), not on a schedule. A plan with components cannot be failed back (Prepare refuses it), nor
 * can an Aurora plan whose traffic moves by a take-over health check (its alarm moves traffic to the standby only).
 */
export const roundTripIssues = (plan: {
  gameday?: { dryRun: boolean; mode: string; roundTrip?: unknown } | undefined;
  database: { kind: string };
  traffic: { kind: string };
  components?: readonly unknown[] | undefined;
}): { path: (string | number)[]; message: string }[] => {
  const g = plan.gameday;
  if (!g?.roundTrip) return [];
  const path = ['gameday', 'roundTrip'];
  const issues: { path: (string | number)[]; message: string }[] = [];
  if (g.dryRun)
    issues.push({ path, message: 'needs gameday.dryRun: false: a dry run changes nothing to come back from' });
  if (g.mode !== 'planned')
    issues.push({ path, message: 'needs gameday.mode: planned: a game day fails over planned' });
  if (plan.database.kind === 'rds-instance') {
    issues.push({
      path,
      message:
        'an RDS plan cannot come back on a schedule yet: its way back ends on a new instance that the plan must ' +
        'then be changed to name; run `dr-failover failback` by hand',
    });
  }
  if (plan.database.kind === 'aurora-global' && plan.traffic.kind === 'health-check') {
    issues.push({
      path,
      message:
        'needs traffic.kind routing-control or upsert: a take-over health check only moves traffic to the standby',
    });
  }
  if (plan.components) {
    issues.push({ path, message: 'a plan with components cannot be failed back yet (each names the way out only)' });
  }
  return issues;
};
