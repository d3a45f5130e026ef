import { describe, expect, it } from 'vitest';
import { orientPlan } from '#core/direction.js';
import { AmbiguousTopologyError, InvalidInputError, RebuildFailedError, RebuildTimedOutError } from '#core/errors.js';
import {
  type InstanceView,
  preservedSnapshotId,
  type RdsPairView,
  rdsWayBack,
  rebuiltReplicaId,
} from '#core/failback.js';
import { REBUILD_MAX_CHECKS } from '#core/limits.js';
import { type PlanWithDatabase, parsePlan } from '#core/plan.js';
import type { FailbackRebuilder } from '#core/ports.js';
import type { FailoverState } from '#core/state.js';
import { rebuildStatus } from '#core/steps/failback-steps.js';
import { prepare } from '#core/steps/prepare.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const WRITER = 'arn:aws:rds:us-east-2:111122223333:db:feature-store-replica';
const plan = parsePlan(
  { ...(loadPlanFile('plans/feature-store.yml') as object), name: 'feature-store' },
  'test',
) as PlanWithDatabase<'rds-instance'>;
const { replicaFenceParameterGroupName: _group, ...ungrouped } = plan.database;
const withoutGroup = { ...plan, database: ungrouped } as PlanWithDatabase<'rds-instance'>;
const withGroup = {
  ...plan,
  database: { ...plan.database, replicaFenceParameterGroupName: 'feature-store-replica-pg' },
} as PlanWithDatabase<'rds-instance'>;

const at = (id: string, over: Partial<InstanceView> = {}): InstanceView => ({
  id,
  reachable: true,
  exists: true,
  status: 'available',
  ...over,
});
const world = (over: Partial<RdsPairView> = {}): RdsPairView => ({
  source: at('feature-store'),
  replica: at('feature-store-replica'),
  rebuilt: at('feature-store-failback', { exists: false }),
  ...over,
});

describe('names of the way back', () => {
  it('derives the rebuilt replica from the old primary, within 63 characters and ending in no hyphen', () => {
    expect(rebuiltReplicaId('arn:aws:rds:us-west-2:111122223333:db:feature-store')).toBe('feature-store-failback');
    const long = rebuiltReplicaId(`arn:aws:rds:us-west-2:111122223333:db:a${'-b'.repeat(40)}`);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).not.toMatch(/--/);
  });

  it('names the snapshot after the run: a letter first, no two hyphens, at most 255', () => {
    const id = preservedSnapshotId(
      'arn:aws:rds:us-west-2:111122223333:db:feature-store',
      'arn:aws:states:us-west-2:111122223333:execution:dr-failover-dev:feature-store-failback-20261207T1600Z',
    );
    expect(id).toBe('feature-store-preserved-feature-store-failback-20261207T1600Z');
    expect(preservedSnapshotId('arn:aws:rds:r:1:db:x', `e:${'_'.repeat(300)}`)).toMatch(/^x-preserved$/);
  });
});

describe('rdsWayBack', () => {
  it.each([
    ['needed', world()],
    ['under-way', world({ rebuilt: at('feature-store-failback', { status: 'creating', replicaOf: WRITER }) })],
    [
      'replicating',
      world({
        rebuilt: at('feature-store-failback', { replicaOf: 'feature-store-replica', replication: 'replicating' }),
      }),
    ],
  ])('finds the way back %s', (stage, view) => {
    expect(rdsWayBack(plan, view).stage).toBe(stage);
  });

  it.each([
    ['two writers', world({ rebuilt: at('feature-store-failback') })],
    ['replicates from', world({ rebuilt: at('feature-store-failback', { replicaOf: 'someone-else' }) })],
    ['no writer', world({ replica: at('feature-store-replica', { exists: false }) })],
    ['could not be observed', world({ rebuilt: at('feature-store-failback', { reachable: false }) })],
  ])('refuses a world with %s (AmbiguousTopologyError)', (why, view) => {
    expect(() => rdsWayBack(plan, view)).toThrow(AmbiguousTopologyError);
    expect(() => rdsWayBack(plan, view)).toThrow(why);
  });

  it('refuses a pair that stands as the plan is written (InvalidInputError)', () => {
    const view = world({ replica: at('feature-store-replica', { replicaOf: plan.database.sourceInstanceArn }) });
    expect(() => rdsWayBack(plan, view)).toThrow(InvalidInputError);
  });

  it('turns the plan round towards the rebuilt replica, fencing through the replica group', () => {
    const back = orientPlan(withGroup, 'standby');
    expect(back.regions).toStrictEqual({ primary: 'us-east-2', standby: 'us-west-2' });
    expect(back.database).toStrictEqual({
      kind: 'rds-instance',
      replicaInstanceArn: 'arn:aws:rds:us-west-2:111122223333:db:feature-store-failback',
      sourceInstanceArn: WRITER,
      fenceParameterGroupName: 'feature-store-replica-pg',
    });
  });
});

describe('Prepare of an RDS failback', () => {
  const input = {
    plan: 'feature-store',
    mode: 'planned',
    dryRun: false,
    reason: 'back home',
    requestedBy: 'ana',
    incidentStartedAt: new Date().toISOString(),
    trigger: { kind: 'failback', source: 'test' },
  };
  const deps = (p: PlanWithDatabase<'rds-instance'>, view: RdsPairView) => ({
    now: () => new Date(),
    plans: () => new Map([[p.name, p]]),
    rdsPair: async () => ({ observe: async () => view }),
    runs: () => ({ recentExecutions: async () => [], describeExecution: async () => ({}) }),
    sleep: async () => undefined,
  });
  const payload = {
    step: 'Prepare',
    executionId: 'arn:aws:states:us-west-2:111122223333:execution:dr-failover-dev:run',
    state: input,
  };

  it('orients the plan, asks for lag 0 and records the way back to do', async () => {
    const state = await prepare(payload, deps(withGroup, world()));
    expect(state.failback).toStrictEqual({ rebuild: 'needed', oldPrimaryArn: plan.database.sourceInstanceArn });
    expect(state.plan.rpo).toMatchObject({ maxLagSeconds: 0, onExceeded: 'abort' });
    expect(state.plan.regions.standby).toBe('us-west-2');
  });

  it('refuses a plan without the replica parameter group (InvalidInputError), before observing', async () => {
    await expect(prepare(payload, deps(withoutGroup, world()))).rejects.toThrow(/replicaFenceParameterGroupName/);
  });

  it('refuses a plan with components (InvalidInputError), before observing: each component names the way out only', async () => {
    const withComponents = {
      ...withGroup,
      components: [{ name: 'features', kind: 'dynamodb-global-table', stage: 1 }],
    } as unknown as PlanWithDatabase<'rds-instance'>;
    let observed = false;
    const watching = {
      ...deps(withComponents, world()),
      rdsPair: async () => ({
        observe: async () => {
          observed = true;
          return world();
        },
      }),
    };
    await expect(prepare(payload, watching)).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('a plan with components cannot be failed back yet'),
    });
    expect(observed).toBe(false);
  });
});

describe('RebuildStatus', () => {
  const state = (checks: number) =>
    ({
      input: { dryRun: false },
      plan: orientPlan(withGroup, 'standby'),
      timeline: [],
      failback: {
        rebuild: 'needed',
        oldPrimaryArn: plan.database.sourceInstanceArn,
        preserved: { id: 's', status: 'creating', detail: '' },
        rebuilt: { state: 'pending', detail: '', checks },
      },
    }) as unknown as FailoverState;
  const rebuilder = (progress: 'pending' | 'replicating' | 'failed', snapshot: 'creating' | 'available') => ({
    now: () => new Date(),
    rebuilder: async (): Promise<FailbackRebuilder> => ({
      preserve: async () => ({ id: 's', status: snapshot, detail: '' }),
      preserved: async () => ({ id: 's', status: snapshot, detail: '' }),
      rebuild: async () => ({ outcome: 'started', detail: '' }),
      rebuildStatus: async () => ({ state: progress, detail: progress }),
    }),
  });
  const run = (checks: number, deps: ReturnType<typeof rebuilder>) =>
    rebuildStatus({ step: 'RebuildStatus', executionId: 'e', state: state(checks) }, deps);

  it('is ready only once the replica replicates and the snapshot is available', async () => {
    expect((await run(0, rebuilder('replicating', 'creating'))).failback?.ready).toBe(false);
    expect((await run(0, rebuilder('replicating', 'available'))).failback?.ready).toBe(true);
  });

  it('throws RebuildFailedError for a failed replica and RebuildTimedOutError past its checks', async () => {
    await expect(run(0, rebuilder('failed', 'available'))).rejects.toThrow(RebuildFailedError);
    await expect(run(REBUILD_MAX_CHECKS - 1, rebuilder('pending', 'available'))).rejects.toThrow(RebuildTimedOutError);
  });
});
