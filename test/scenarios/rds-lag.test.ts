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
  publishedTypes,
  realHandlers,
  route53World,
  runInput,
} from '../statemachine/support.js';

const MINUTE = 60_000;
const definition = loadDefinition();

/** plans/feature-store.yml, aborting when the lag is not known within the RPO after its checks. */
const abortingFeatureStore = () =>
  preparing(
    planVariant('plans/feature-store.yml', (p) => ({ ...p, rpo: { ...p.rpo, onExceeded: 'abort' } }) as typeof p),
  );

afterEach(() => {
  for (const m of ALL_MOCKS) m.reset();
  vi.useRealTimers();
});

describe('the RPO guard on the simulated RDS and CloudWatch', () => {
  it('does not take the minutes published before replication broke as the lag now: unknown, nothing promoted', async () => {
    // Prepare: replication breaks while the source keeps acknowledging writes; the datapoints of the minutes before
    // the break stay under 3 minutes old for the run's first checks (4 checks, 15 s apart).
    const clock = virtualClock();
    const world = new RdsWorld(clock, rdsWorldDefaults({ replicaBehindMs: 4_000 }));
    notifyWorld();
    route53World({ initial: 'feature-store.abc123.us-west-2.rds.amazonaws.com' });
    world.breakReplication();
    clock.advance(30_000);

    // Act
    const result = await execute(runInput({ plan: 'feature-store', mode: 'unplanned' }), {
      handlers: onVirtualTime(definition, clock, { ...realHandlers(), ...abortingFeatureStore() } as Handlers),
      validate: false,
    });

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ReplicationLagExceededError');
    expect(world.promotionsStarted()).toBe(0);
    expect(publishedTypes()).toContain('Failover Aborted');
  });

  it('judges a replicating replica on its fresh ReplicaLag: within the RPO, promoted', async () => {
    // Prepare
    const clock = virtualClock();
    const world = new RdsWorld(clock, rdsWorldDefaults({ replicaBehindMs: 4_000, writesPerSecond: 5 }));
    notifyWorld();
    route53World({ initial: 'feature-store.abc123.us-west-2.rds.amazonaws.com' });
    clock.advance(MINUTE);

    // Act
    const result = await execute(runInput({ plan: 'feature-store', mode: 'unplanned' }), {
      handlers: onVirtualTime(definition, clock, { ...realHandlers(), ...abortingFeatureStore() } as Handlers),
      validate: false,
    });

    // Assess
    expect(result.error ?? '').toBe('');
    expect(result.status).toBe('SUCCEEDED');
    expect(world.promotionsStarted()).toBe(1);
  });
});
