import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Handlers, loadDefinition } from '#lab/state-machine.js';
import { onVirtualTime, virtualClock } from '../aws-world/clock.js';
import { RdsWorld, rdsWorldDefaults } from '../aws-world/rds.js';
import {
  ALL_MOCKS,
  execute,
  notifyWorld,
  planVariant,
  preparing,
  realHandlers,
  route53World,
  runInput,
} from '../statemachine/support.js';

const definition = loadDefinition();

afterEach(() => {
  for (const m of ALL_MOCKS) m.reset();
  vi.useRealTimers();
});

describe('planned RDS switchover, on the simulated RDS', () => {
  it('loses no acknowledged commit: writes in flight, replica 20 s behind', async () => {
    // Prepare: applications commit 5 transactions a second; the read-only parameter takes 30 s to apply and a
    // transaction open when it applies may still commit 15 s later.
    const clock = virtualClock();
    const world = new RdsWorld(
      clock,
      rdsWorldDefaults({ replicaBehindMs: 20_000, parameterApplyMs: 30_000, openTransactionMs: 15_000 }),
    );
    notifyWorld();
    route53World({ initial: 'feature-store.abc123.us-west-2.rds.amazonaws.com' });

    // Act
    const result = await execute(runInput({ plan: 'feature-store', mode: 'planned' }), {
      handlers: onVirtualTime(definition, clock, realHandlers()),
      validate: false,
    });

    // Assess
    expect(result.error ?? '').toBe('');
    expect(result.status).toBe('SUCCEEDED');
    expect(world.acknowledgedCommits()).toBeGreaterThan(0);
    expect(world.lostCommits()).toBe(0);
    expect(world.promotionsStarted()).toBe(1);
  });

  it('refuses to promote when the replica cannot be seen caught up (replication broken): FenceFailedError, nothing promoted', async () => {
    // Prepare
    const clock = virtualClock();
    const world = new RdsWorld(clock, rdsWorldDefaults({ replicaBehindMs: 20_000 }));
    notifyWorld();
    route53World({ initial: 'feature-store.abc123.us-west-2.rds.amazonaws.com' });
    const started = clock.now();
    clock.advance(3 * 60_000);
    world.breakReplication();

    // Act: the lag is unknown (RDS reports the replication broken), and this plan goes on to the fence regardless.
    const proceeding = planVariant(
      'plans/feature-store.yml',
      (p) => ({ ...p, rpo: { ...p.rpo, onExceeded: 'proceed' } }) as typeof p,
    );
    const result = await execute(runInput({ plan: 'feature-store', mode: 'planned' }), {
      handlers: onVirtualTime(definition, clock, { ...realHandlers(), ...preparing(proceeding) } as Handlers),
      validate: false,
    });

    // Assess: 90 checks 10 s apart, then the run stops with the source read-only and the replica not promoted.
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('FenceFailedError');
    expect(result.cause).toContain('not confirmed after 90 checks');
    expect(world.promotionsStarted()).toBe(0);
    expect(clock.now() - started).toBeGreaterThanOrEqual(3 * 60_000 + 89 * 10_000);
  });
});
