import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Plan } from '#core/plan.js';
import { loadDefinition } from '#lab/state-machine.js';
import { onVirtualTime, virtualClock } from '../aws-world/clock.js';
import { RdsFailbackWorld, rdsFailbackDefaults } from '../aws-world/rds-failback.js';
import {
  ALL_MOCKS,
  execute,
  mutatingCommandsSent,
  notificationDetail,
  notifyWorld,
  planVariant,
  route53World,
  runInput,
  upsertedValues,
  wayBackHandlers,
} from '../statemachine/support.js';

const definition = loadDefinition();
const WRITER_ENDPOINT = 'feature-store-replica.abc123.us-east-2.rds.amazonaws.com';

/** The shipped feature-store plan, with the replica's parameter group the way back fences the writer through. */
const featureStore = (changes: (db: Record<string, unknown>) => Record<string, unknown> = (db) => db): Plan =>
  planVariant(
    'plans/feature-store.yml',
    (p) =>
      ({
        ...p,
        database: changes({
          ...(p.database as Record<string, unknown>),
          replicaFenceParameterGroupName: 'feature-store-replica-pg',
        }),
      }) as typeof p,
  );

const failbackInput = (overrides: Record<string, unknown> = {}) =>
  runInput({
    plan: 'feature-store',
    mode: 'planned',
    trigger: { kind: 'failback', source: 'dr-failover CLI' },
    ...overrides,
  });

afterEach(() => {
  for (const m of ALL_MOCKS) m.reset();
  vi.useRealTimers();
});

describe('RDS failback through the state machine, on the simulated RDS', () => {
  it('preserves the old primary, rebuilds a replica of the writer in its region, waits for lag 0, then fails back planned, losing nothing', async () => {
    // Prepare: the replica was promoted by an earlier failover; the old primary came back standalone; writes go on.
    const clock = virtualClock();
    const world = new RdsFailbackWorld(clock, rdsFailbackDefaults());
    notifyWorld();
    route53World({ initial: WRITER_ENDPOINT });
    const started = clock.now();

    // Act
    const result = await execute(failbackInput(), {
      handlers: onVirtualTime(definition, clock, wayBackHandlers(featureStore())),
      validate: false,
      executionName: 'feature-store-failback-20261207T1600Z',
    });

    // Assess: the old primary snapshotted under the run's name, the replica built from the writer's ARN, promoted.
    expect(result.error ?? '').toBe('');
    expect(result.status).toBe('SUCCEEDED');
    // People hear of the run before the rebuild changes anything (it takes half an hour): Failover Started first.
    expect(result.visited.indexOf('Preserve')).toBeGreaterThan(result.visited.indexOf('NotifyStarted'));
    expect(result.visited.indexOf('NotifyStarted')).toBeGreaterThan(0);
    expect(world.snapshots()).toStrictEqual({
      'feature-store-preserved-feature-store-failback-20261207T1600Z': 'feature-store',
    });
    expect(world.replicaRequests()).toStrictEqual([
      {
        DBInstanceIdentifier: 'feature-store-failback',
        SourceDBInstanceIdentifier: 'arn:aws:rds:us-east-2:111122223333:db:feature-store-replica',
      },
    ]);
    expect(world.promoted()).toBe(true);
    expect(world.lostCommits()).toBe(0);
    // The replica takes 25 minutes to build; the run waited for it, not longer than its checks allow.
    expect(clock.now() - started).toBeGreaterThanOrEqual(25 * 60_000);
    const state = result.output as { failback: { preserved: { status: string }; rebuilt: { state: string } } };
    expect(state.failback.preserved.status).toBe('available');
    expect(state.failback.rebuilt.state).toBe('replicating');
    // Traffic follows the rebuilt replica, now the writer; the old primary keeps its own (unused) endpoint.
    expect(upsertedValues()).toStrictEqual(['feature-store-failback.abc123.us-west-2.rds.amazonaws.com']);
    // The notification says what was preserved and what was rebuilt.
    const wayBack = notificationDetail('Failover Succeeded').wayBack as { preserved: string; rebuilt: string };
    expect(wayBack.preserved).toContain(
      'snapshot feature-store-preserved-feature-store-failback-20261207T1600Z (available)',
    );
    expect(wayBack.rebuilt).toMatch(
      /^arn:aws:rds:us-west-2:111122223333:db:feature-store-failback: replicating \(started\) after 2\d checks/,
    );
  });

  it('refuses the way back while the rebuilt replica lags (ReplicationLagExceededError), having promoted nothing', async () => {
    // Prepare: the rebuilt replica replays 3 s behind the writer while writes go on.
    const clock = virtualClock();
    const world = new RdsFailbackWorld(clock, rdsFailbackDefaults({ replicaBehindMs: 3_000 }));
    notifyWorld();
    route53World({ initial: WRITER_ENDPOINT });

    // Act
    const result = await execute(failbackInput(), {
      handlers: onVirtualTime(definition, clock, wayBackHandlers(featureStore())),
      validate: false,
    });

    // Assess: built and replicating, but a failback needs lag 0: aborted before the fence, nothing promoted.
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ReplicationLagExceededError');
    expect(world.replicaRequests()).toHaveLength(1);
    expect(world.promoted()).toBe(false);
    expect(mutatingCommandsSent()).not.toContain('ModifyDBParameterGroupCommand');
  });
});
