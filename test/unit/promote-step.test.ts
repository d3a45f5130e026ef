import { describe, expect, it } from 'vitest';
import { parseExecutionInput } from '#core/input.js';
import type { DatabaseFailover, PromoteResult } from '#core/ports.js';
import type { FailoverState } from '#core/state.js';
import { promote } from '#core/steps/database-steps.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const plan = loadPlanFile('plans/orders.yml');
const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-dev:orders-manual-1';
const NOW = new Date('2026-12-07T03:20:00.000Z');

const state: FailoverState = {
  input: parseExecutionInput({
    plan: 'orders',
    mode: 'unplanned',
    reason: 'r',
    requestedBy: 'oncall:ana',
    incidentStartedAt: '2026-12-07T03:15:00Z',
  }),
  plan,
  run: { executionId: EXECUTION, startedAt: '2026-12-07T03:19:00Z', approvalRequired: false },
  timeline: [],
};
const promoting = (result: PromoteResult) => async () =>
  ({ promote: async () => result }) as unknown as DatabaseFailover;
const run = (result: PromoteResult) =>
  promote({ step: 'Promote', executionId: EXECUTION, state }, { now: () => NOW, database: promoting(result) });

describe('Promote', () => {
  it("records a writability the adapter confirmed as the run's promotion status, for the state machine to skip the check", async () => {
    // Act
    const after = await run({
      outcome: 'started',
      writable: true,
      detail: 'pg_promote finished in 120 ms',
      status: { state: 'writable', detail: 'a write transaction (xid 812) committed', writerEndpoint: '10.30.1.15' },
    });

    // Assess
    expect(after.promotion).toEqual({
      state: 'writable',
      detail: 'a write transaction (xid 812) committed',
      writerEndpoint: '10.30.1.15',
      checks: 0,
      writableAt: NOW.toISOString(),
    });
    expect(after.promote).toEqual({
      outcome: 'started',
      writable: true,
      detail: 'pg_promote finished in 120 ms',
      at: NOW.toISOString(),
    });
  });

  it('leaves the promotion status to PromotionStatus when the adapter did not confirm it', async () => {
    // Act
    const seen = await run({ outcome: 'started', writable: true, detail: 'pg_promote returned' });
    const notYet = await run({
      outcome: 'started',
      writable: true,
      detail: 'pg_promote returned',
      status: { state: 'pending', detail: 'not yet writable' },
    });

    // Assess
    expect(seen.promotion).toBeUndefined();
    expect(notYet.promotion).toBeUndefined();
  });
});
