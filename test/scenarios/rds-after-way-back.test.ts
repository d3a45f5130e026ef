import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Plan } from '#core/plan.js';
import { type Handlers, loadDefinition } from '#lab/state-machine.js';
import { onVirtualTime, virtualClock } from '../aws-world/clock.js';
import { RdsWorld, rdsWorldDefaults } from '../aws-world/rds.js';
import { RdsFailbackWorld, rdsFailbackDefaults } from '../aws-world/rds-failback.js';
import {
  ALL_MOCKS,
  execute,
  mutatingCommandsSent,
  notificationDetail,
  notifyWorld,
  planVariant,
  publishedTypes,
  route53World,
  runInput,
  upsertedValues,
  wayBackHandlers,
} from '../statemachine/support.js';

const definition = loadDefinition();
const MINUTE = 60_000;
const OLD_PRIMARY_ENDPOINT = 'feature-store.abc123.us-west-2.rds.amazonaws.com';
const REPLICA_ENDPOINT = 'feature-store-replica.abc123.us-east-2.rds.amazonaws.com';
const REBUILT_ENDPOINT = 'feature-store-failback.abc123.us-west-2.rds.amazonaws.com';

/** The shipped feature-store plan (its replica's group named, as the way back needs), unchanged by the way back. */
const plan: Plan = planVariant('plans/feature-store.yml', (p) => p);

/** Prepare as deployed (with the RDS pair observer), on a catalogue of the plan. */
const handlers: Handlers = wayBackHandlers(plan);

afterEach(() => {
  for (const m of ALL_MOCKS) m.reset();
  vi.useRealTimers();
});

describe('an incident run after a completed RDS way back, on the simulated RDS', () => {
  it('is refused (AmbiguousTopologyError) with nothing changed: the plan names a replica that is fenced, stale and no longer the writer', async () => {
    // Prepare, 1: the way out. The primary region's alarm; the replica is promoted and traffic moves to it.
    const clock = virtualClock();
    new RdsWorld(clock, rdsWorldDefaults());
    notifyWorld();
    route53World({ initial: OLD_PRIMARY_ENDPOINT });
    const out = await execute(runInput({ plan: 'feature-store', mode: 'unplanned' }), {
      handlers: onVirtualTime(definition, clock, handlers),
      validate: false,
    });
    expect(out.error ?? '').toBe('');
    expect(out.status).toBe('SUCCEEDED');
    expect(upsertedValues()).toStrictEqual([REPLICA_ENDPOINT]);

    // Prepare, 2: the way back (dr-failover failback), run by the primary region's stack on the world the way out
    // left: the replica the writer, the old primary back and standalone.
    for (const m of ALL_MOCKS) m.reset();
    new RdsFailbackWorld(clock, rdsFailbackDefaults());
    notifyWorld();
    route53World({ initial: REPLICA_ENDPOINT });
    const back = await execute(
      runInput({ plan: 'feature-store', mode: 'planned', trigger: { kind: 'failback', source: 'dr-failover CLI' } }),
      { handlers: onVirtualTime(definition, clock, handlers), validate: false },
    );
    expect(back.error ?? '').toBe('');
    expect(back.status).toBe('SUCCEEDED');
    expect(upsertedValues()).toStrictEqual([REBUILT_ENDPOINT]);

    // Prepare, 3: past the plan's cooldown, the primary region's alarm again; the plan file was not changed.
    clock.advance(plan.trigger.cooldownMinutes * MINUTE + MINUTE);
    for (const m of ALL_MOCKS) m.resetHistory();

    // Act
    const incident = await execute(runInput({ plan: 'feature-store', mode: 'unplanned' }), {
      handlers: onVirtualTime(definition, clock, handlers),
      validate: false,
    });

    // Assess: refused at the RPO guard, before any change; the cause says what was seen and what to do.
    expect(incident.status).toBe('FAILED');
    expect(incident.error).toBe('AmbiguousTopologyError');
    expect(incident.visited).toContain('CheckLag');
    expect(incident.visited).not.toContain('Fence');
    expect(incident.visited).not.toContain('UpdateDns');
    expect(mutatingCommandsSent()).toStrictEqual([]);
    expect(upsertedValues()).toStrictEqual([]);
    expect(incident.cause).toContain('default_transaction_read_only');
    expect(incident.cause).toContain('feature-store-replica-pg');
    expect(incident.cause).toContain('feature-store-failback in us-west-2');
    expect(incident.cause).toMatch(/new cross-region read replica/);
    // People are told, with what to do.
    expect(publishedTypes()).toStrictEqual(['Failover Started', 'Failover Failed']);
    const failed = notificationDetail('Failover Failed') as { message?: string; nextSteps?: string };
    expect(failed.message).toContain('After an RDS way back');
    expect(failed.nextSteps).toMatch(/^Nothing was changed\./);
  });
});
