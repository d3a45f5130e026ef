/**
 * A component database's steps (core/component-database.ts) on a stand-in of its adapters: the gate's judgement, the
 * phases' decisions (wait, fail, time out) and the longest run it adds (core/limits.ts).
 */
import { describe, expect, it } from 'vitest';
import { databaseAction, readDatabaseGate } from '#core/component-database.js';
import type { ComponentDatabaseProgress } from '#core/component-database-progress.js';
import {
  ComponentTimedOutError,
  DatabaseUnreachableError,
  FenceFailedError,
  PromotionFailedError,
  ResourceBusyError,
} from '#core/errors.js';
import { longestRun } from '#core/limits.js';
import type { DatabaseComponent } from '#core/plan-components.js';
import type { DatabaseFailover, PlatformComponents } from '#core/ports.js';
import { planWithFeatureDb } from '../fixtures/component-database.js';

const PLAN = planWithFeatureDb({ maxChecks: 3 });
const COMPONENT = PLAN.components?.[0] as DatabaseComponent;
const RUN = { plan: PLAN.name, regions: PLAN.regions, mode: 'planned' as const, dryRun: false };
const NOW = new Date().toISOString();

/** A platform whose database is `db` (the rest of the port unused here). */
const platformOf = (db: Partial<DatabaseFailover>): PlatformComponents =>
  ({ database: async () => db as DatabaseFailover }) as unknown as PlatformComponents;

describe("a component database's gate", () => {
  it('is unknown, never within, when its standby does not answer; an unnamed failure is not hidden', async () => {
    // Prepare
    const dark = platformOf({
      replicationLag: async () => {
        throw new DatabaseUnreachableError('standby 127.0.0.2:5432 did not answer within 5000 ms');
      },
    });
    const broken = platformOf({
      replicationLag: async () => {
        throw new TypeError('a bug');
      },
    });

    // Act
    const verdict = await readDatabaseGate(COMPONENT, PLAN, dark);

    // Assess
    expect(verdict).toEqual({
      status: 'unknown',
      within: false,
      reason: 'lag unknown (DatabaseUnreachableError: standby 127.0.0.2:5432 did not answer within 5000 ms)',
    });
    await expect(readDatabaseGate(COMPONENT, PLAN, broken)).rejects.toThrow(TypeError);
  });

  it("is within for a standby already the writer, and judged on the plan's RPO when it has none of its own", async () => {
    const promoted = platformOf({
      replicationLag: async () => ({
        status: 'known',
        seconds: 0,
        observedAt: NOW,
        source: 'rds',
        alreadyPromoted: true,
      }),
    });
    const behind = platformOf({
      replicationLag: async () => ({ status: 'known', seconds: 31, observedAt: NOW, source: 'x' }),
    });
    expect((await readDatabaseGate(COMPONENT, PLAN, promoted)).within).toBe(true);
    expect(await readDatabaseGate(COMPONENT, PLAN, behind)).toEqual({
      status: 'known',
      within: false,
      reason: 'lag 31 s exceeds RPO 30 s',
    });
  });
});

describe("a component database's phases", () => {
  const act = (db: Partial<DatabaseFailover>, previous: ComponentDatabaseProgress | undefined, checks = 1) =>
    databaseAction(COMPONENT, RUN, previous, checks, platformOf(db));

  it('planned: waits while its fence is not confirmed, and refuses to promote once its checks are used up', async () => {
    // Prepare
    const pending = {
      fenced: false,
      pending: true,
      method: 'read-only-parameter',
      detail: 'applying',
      requestedAt: NOW,
    };
    const db = {
      promotionStatus: async () => ({ state: 'pending' as const, detail: 'replica' }),
      fenceOldPrimary: async () => pending,
    };

    // Act
    const first = await act(db, undefined);
    const again = act(db, first.database, 2);

    // Assess
    expect(first.status).toBe('pending');
    expect(first.database).toMatchObject({ phase: 'fence', fence: { pending: true, checks: 1 } });
    await expect(
      act(db, { ...(first.database as ComponentDatabaseProgress), fence: { ...pending, checks: 2 } }, 3),
    ).rejects.toThrow(FenceFailedError);
    expect((await again).database?.fence?.checks).toBe(2);
  });

  it('planned PostgreSQL: a standby still replaying the fenced WAL is waited for, not a failure', async () => {
    const busy = {
      promote: async () => {
        throw new ResourceBusyError('standby still catching up: 8192 bytes behind the fenced primary');
      },
    };
    const fence = { fenced: true, method: 'read-only', detail: 'fenced' };
    const out = await act(busy, { phase: 'promote', fence });
    expect(out.status).toBe('pending');
    expect(out.database).toMatchObject({ phase: 'promote', promotion: { state: 'pending' } });
    expect(out.detail).toContain('standby: NOT promoted');
  });

  it('a failed promotion says the world; a promotion still pending after maxChecks times out naming its phase', async () => {
    const failed = {
      promotionStatus: async () => ({ state: 'failed' as const, detail: 'features-replica is failed' }),
    };
    const slow = { promotionStatus: async () => ({ state: 'pending' as const, detail: 'modifying' }) };
    const promoted = { phase: 'status' as const, promote: { outcome: 'started' as const, detail: 'accepted' } };
    await expect(act(failed, promoted)).rejects.toThrow(PromotionFailedError);
    await expect(act(failed, promoted)).rejects.toThrow(/standby: promotion started \(accepted\)/);
    await expect(act(slow, promoted, 3)).rejects.toThrow(ComponentTimedOutError);
    await expect(act(slow, promoted, 3)).rejects.toThrow(/not done after 3 checks \(next: status\)/);
  });
});

describe("a component database's world", () => {
  it('an Aurora switchover asked for but not finished leaves the old primary the writer, and says so', async () => {
    // Prepare
    const switchover = { fenced: true, byPromotion: true, method: 'switchover', detail: 'demotes it as it promotes' };
    const pending = { promotionStatus: async () => ({ state: 'pending' as const, detail: 'switching-over' }) };

    // Act
    const out = await databaseAction(
      COMPONENT,
      RUN,
      {
        phase: 'status',
        fence: switchover,
        promote: { outcome: 'started', detail: 'SwitchoverGlobalCluster accepted' },
      },
      1,
      platformOf(pending),
    );

    // Assess
    expect(out.detail).toMatch(
      /^old primary: NOT fenced, still the writer: the switchover demotes it only as it promotes/,
    );
  });
});

describe('the longest run', () => {
  it("counts a component database's checks and waits in its stage, and its gate in the RPO guard", () => {
    // Act
    const parts = longestRun(planWithFeatureDb({ maxChecks: 12, checkIntervalSeconds: 30 })).parts;

    // Assess: each ComponentAction at worst 607 s (9 attempts of 60 s and the waits between them).
    expect(parts).toContainEqual({ field: 'components.0.maxChecks', seconds: 12 * 607 + 11 * 30 });
    const rpo = parts.find((p) => p.field === 'rpo.maxLagChecks')?.seconds ?? 0;
    const without = longestRun({ ...PLAN, components: [] }).parts.find((p) => p.field === 'rpo.maxLagChecks')?.seconds;
    expect(rpo - (without ?? 0)).toBe(6 * 607 + 5 * 10);
  });
});
