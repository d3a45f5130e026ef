import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { orientPlan } from '#core/direction.js';
import { type PlanWithDatabase, parsePlan } from '#core/plan.js';
import type { FailoverState } from '#core/state.js';
import { createHandler } from '#functions/failback.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const plan = parsePlan(loadPlanFile('plans/feature-store.yml'), 'test') as PlanWithDatabase<'rds-instance'>;
const context = { getRemainingTimeInMillis: () => 30_000 } as Context;
const state = (dryRun: boolean) =>
  ({
    input: { plan: plan.name, mode: 'planned', dryRun, reason: 'r', requestedBy: 'ana' },
    plan: orientPlan(plan, 'standby'),
    run: { executionId: 'e', startedAt: new Date().toISOString(), approvalRequired: false },
    timeline: [],
    failback: { rebuild: 'needed', oldPrimaryArn: plan.database.sourceInstanceArn },
  }) as unknown as FailoverState;
/** A handler whose adapter must never be reached (dry runs, refused steps). */
const handler = createHandler({
  now: () => new Date(),
  rebuilder: async () => {
    throw new Error('no AWS call expected');
  },
});
const executionId = 'arn:aws:states:us-west-2:111122223333:execution:dr-failover-dev:feature-store-failback-1';

describe('the failback function', () => {
  it('refuses a step it does not run (InvalidInputError), calling nothing', async () => {
    await expect(handler({ step: 'Promote', executionId, state: state(false) }, context)).rejects.toThrow(
      /the failback function runs Preserve, Rebuild, RebuildStatus/,
    );
  });

  it('runs a dry-run way back through its three steps without calling AWS, and says what it would do', async () => {
    // Act
    const preserved = (await handler({ step: 'Preserve', executionId, state: state(true) }, context)) as FailoverState;
    const rebuilt = (await handler({ step: 'Rebuild', executionId, state: preserved }, context)) as FailoverState;
    const status = (await handler({ step: 'RebuildStatus', executionId, state: rebuilt }, context)) as FailoverState;

    // Assess
    expect(preserved.timeline[0]?.outcome).toBe(
      `dry run: would snapshot the old primary ${plan.database.sourceInstanceArn} as feature-store-preserved-feature-store-failback-1`,
    );
    expect(preserved.failback?.preserved).toBeUndefined();
    expect(rebuilt.failback?.rebuilt?.detail).toBe(
      'would create arn:aws:rds:us-west-2:111122223333:db:feature-store-failback, a read replica of ' +
        plan.database.replicaInstanceArn,
    );
    expect(status.failback?.ready).toBe(true);
    expect(status.timeline.map((t) => t.step)).toStrictEqual(['Preserve', 'Rebuild', 'RebuildStatus']);
  });

  it('refuses a failback step without the way back Prepare recorded (ConfigurationError)', async () => {
    const { failback: _none, ...without } = state(false);
    await expect(handler({ step: 'Preserve', executionId, state: without as FailoverState }, context)).rejects.toThrow(
      /without the failback Prepare observed/,
    );
  });
});
