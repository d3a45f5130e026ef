import { SFNClient } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SchedulerReturn } from '#adapters/way-back/scheduler.js';
import { parseExecutionInput } from '#core/input.js';
import type { Plan } from '#core/plan.js';
import type { FailoverState } from '#core/state.js';
import { notify } from '#core/steps/notify.js';
import { statementsFor } from '#infra/grants.js';
import { loadDefinition } from '#lab/state-machine.js';
import {
  AuroraFailbackWorld,
  type AuroraFailbackWorldOptions,
  auroraFailbackDefaults,
} from '../aws-world/aurora-failback.js';
import { type Clock, onVirtualTime, virtualClock } from '../aws-world/clock.js';
import { CloudWatchWorld } from '../aws-world/cloudwatch.js';
import { StepFunctionsWorld } from '../aws-world/sfn.js';
import {
  ALL_MOCKS,
  execute,
  mutatingCommandsSent,
  notificationDetail,
  notifyWorld,
  ORDERS_UPSERT,
  publishedTypes,
  route53World,
  runInput,
  schedulerWorld,
  sfn,
  upsertedValues,
  upsertVariant,
  wayBackHandlers,
} from '../statemachine/support.js';

const MINUTE = 60_000;
const definition = loadDefinition();

const failbackInput = (dryRun = false) =>
  runInput({ plan: 'orders', mode: 'planned', dryRun, trigger: { kind: 'failback', source: 'dr-failover CLI' } });

/** After a managed unplanned failover to orders-eu; the old primary's region recovers as `options` say. */
const scenario = (options: Partial<AuroraFailbackWorldOptions> = {}) => {
  const clock = virtualClock();
  const world = new AuroraFailbackWorld(clock, new CloudWatchWorld(clock), auroraFailbackDefaults(options));
  notifyWorld();
  route53World({ initial: auroraFailbackDefaults().writer.endpoint });
  return { clock, world };
};

const run = (clock: Clock, executionName: string, dryRun = false, plan: Plan = ORDERS_UPSERT) =>
  execute(failbackInput(dryRun), {
    handlers: onVirtualTime(definition, clock, wayBackHandlers(plan)),
    validate: false,
    executionName,
  });

afterEach(() => {
  for (const m of ALL_MOCKS) m.reset();
  vi.useRealTimers();
});

describe('Aurora failback through the state machine, on the simulated Aurora Global Database', () => {
  it("preserves Aurora's unplanned-failover snapshot, waits for the old primary to rejoin synchronized, then switches over back, losing nothing", async () => {
    // Prepare: orders-eu writes since the failover; us-east-1 recovers after 5 minutes, resyncs for 20.
    const { clock, world } = scenario();
    const started = clock.now();

    // Act
    const result = await run(clock, 'orders-failback-20261207T1000Z');

    // Assess: the snapshot copied under the run's name, the switchover back, DNS on the old primary, nothing lost.
    expect(result.error ?? '').toBe('');
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited.indexOf('Preserve')).toBeGreaterThan(result.visited.indexOf('NotifyStarted'));
    expect(world.copyRequests()).toStrictEqual([
      {
        SourceDBClusterSnapshotIdentifier: 'rds:unplanned-global-failover-orders-us-2026-12-07-10-05',
        TargetDBClusterSnapshotIdentifier: 'orders-us-preserved-orders-failback-20261207T1000Z',
        CopyTags: true,
      },
    ]);
    expect(world.writerArn()).toBe('arn:aws:rds:us-east-1:111122223333:cluster:orders-us');
    expect(world.switchoversStarted()).toBe(1);
    expect(world.lostCommits()).toBe(0);
    expect(world.acknowledgedCommits()).toBeGreaterThan(0);
    expect(world.refusals()).toStrictEqual([]);
    expect(clock.now() - started).toBeGreaterThanOrEqual(25 * MINUTE);
    expect(upsertedValues()).toStrictEqual(['orders-us.cluster-abc123.us-east-1.rds.amazonaws.com']);
    const state = result.output as { failback: { preserved: { status: string }; rebuilt: { state: string } } };
    expect(state.failback.preserved.status).toBe('available');
    expect(state.failback.rebuilt.state).toBe('replicating');
    const wayBack = notificationDetail('Failover Succeeded').wayBack as { preserved: string; rebuilt: string };
    expect(wayBack.preserved).toContain(
      'snapshot orders-us-preserved-orders-failback-20261207T1000Z (available); a manual copy',
    );
    expect(wayBack.rebuilt).toMatch(
      /^arn:aws:rds:us-east-1:111122223333:cluster:orders-us: replicating \(exists\) after 2\d checks/,
    );
  });

  it('refuses the way back while the rejoined old primary lags (ReplicationLagExceededError), switching nothing', async () => {
    // Prepare: the old primary rejoined but replays 3 s behind the writer while writes go on.
    const { clock, world } = scenario({ rejoinedBehindMs: 3_000 });

    // Act
    const result = await run(clock, 'orders-failback-lagging');

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ReplicationLagExceededError');
    expect(world.switchoversStarted()).toBe(0);
    expect(world.writerArn()).toBe('arn:aws:rds:eu-west-1:111122223333:cluster:orders-eu');
    expect(mutatingCommandsSent()).not.toContain('SwitchoverGlobalClusterCommand');
  });

  it('waits for an old primary that does not rejoin, then ends RebuildTimedOutError with the snapshot preserved and nothing switched', async () => {
    // Prepare: us-east-1 recovers, but the old primary is never added back (removed from the global database).
    const { clock, world } = scenario({ memberWhileDark: false, rejoins: false });
    const started = clock.now();

    // Act
    const result = await run(clock, 'orders-failback-no-rejoin');

    // Assess: an hour of checks, a clear error, Aurora's snapshot still copied, no switchover.
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RebuildTimedOutError');
    expect(result.visited).toContain('Rebuild');
    expect(clock.now() - started).toBeGreaterThanOrEqual(59 * MINUTE);
    expect(Object.keys(world.copies())).toStrictEqual(['orders-us-preserved-orders-failback-no-rejoin']);
    expect(world.switchoversStarted()).toBe(0);
    expect(mutatingCommandsSent()).not.toContain('SwitchoverGlobalClusterCommand');
  });

  it('re-runs idempotently: a run after a timed-out one reuses its copy, and a run after the way back changes nothing', async () => {
    // Prepare: the old primary takes two hours to resynchronize: the first run's checks run out first.
    const { clock, world } = scenario({ resyncMs: 120 * MINUTE });
    const first = await run(clock, 'orders-failback-first');
    expect(first.error).toBe('RebuildTimedOutError');
    clock.advance(60 * MINUTE);

    // Act
    const second = await run(clock, 'orders-failback-second');
    const third = await run(clock, 'orders-failback-third');

    // Assess: one copy in all (the second run, still waiting for the resync, found the first run's copy); the third
    // found nothing to fail back.
    expect(second.status).toBe('SUCCEEDED');
    expect(second.visited).toContain('Preserve');
    expect(world.copyRequests()).toHaveLength(1);
    const preserved = (second.output as { failback: { preserved: { id: string } } }).failback.preserved;
    expect(preserved.id).toBe('orders-us-preserved-orders-failback-first');
    expect(world.switchoversStarted()).toBe(1);
    expect(world.lostCommits()).toBe(0);
    expect(third.status).toBe('FAILED');
    expect(third.error).toBe('InvalidInputError');
    expect(third.visited).not.toContain('Preserve');
    expect(world.switchoversStarted()).toBe(1);
  });

  it('rehearses the way back as a dry run: every read made, nothing copied, switched or moved', async () => {
    // Prepare: the old primary came back an hour ago and is connected; Aurora's snapshot is not copied yet.
    const { clock, world } = scenario({ recoversAfterMs: -60 * MINUTE });

    // Act
    const result = await run(clock, 'orders-failback-rehearsal', true);

    // Assess
    expect(result.error ?? '').toBe('');
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited).toEqual(expect.arrayContaining(['Preserve', 'Rebuild', 'RebuildStatus', 'Promote']));
    expect(world.copyRequests()).toStrictEqual([]);
    expect(world.switchoversStarted()).toBe(0);
    expect(mutatingCommandsSent()).toStrictEqual([]);
    const timeline = (result.output as { timeline: { step: string; outcome: string }[] }).timeline;
    expect(timeline.find((t) => t.step === 'Preserve')?.outcome).toMatch(
      /^dry run: would copy Aurora's unplanned-failover snapshot of the old primary .*orders-us as orders-us-preserved-orders-failback-rehearsal$/,
    );
    expect(timeline.find((t) => t.step === 'Rebuild')?.outcome).toContain('would wait for Aurora to add');
  });
});

describe('Aurora failback of an encrypted cluster (a customer managed KMS key)', () => {
  const KEY = 'arn:aws:kms:us-east-1:111122223333:key/6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
  const OTHER_KEY = 'arn:aws:kms:us-east-1:111122223333:key/00000000-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
  /** The orders plan (UPSERT) naming `key` as its preserveKmsKeyArn, or no key. */
  const planWith = (key?: string) =>
    upsertVariant('plans/orders.yml', (p) => {
      const { preserveKmsKeyArn: _, ...database } = p.database as Record<string, unknown>;
      return { ...p, database: { ...database, ...(key ? { preserveKmsKeyArn: key } : {}) } } as typeof p;
    });
  /** The keys the failback function's role may use through RDS, as infra/grants.ts grants them for `plan`'s stack. */
  const grantedKeys = (plan: Plan) =>
    statementsFor('failback', [], 'ci', [plan as never])
      .filter((st) => st.Action.includes('kms:CreateGrant') && st.Action.includes('kms:DescribeKey'))
      .flatMap((st) => st.Resource.filter((r): r is string => typeof r === 'string'));

  it("copies Aurora's snapshot with the plan's key, the one key the way back is granted, and switches back", async () => {
    // Prepare: orders-us is encrypted with KEY; the failback function may use exactly the keys its grants name.
    const plan = planWith(KEY);
    const { clock, world } = scenario({ storageKmsKeyArn: KEY, callerKeys: grantedKeys(plan) });

    // Act
    const result = await run(clock, 'orders-failback-encrypted', false, plan);

    // Assess: the copy names the key (the source's own), is encrypted with it, and the way back ends as usual.
    expect(grantedKeys(plan)).toStrictEqual([KEY]);
    expect(result.error ?? '').toBe('');
    expect(result.status).toBe('SUCCEEDED');
    expect(world.copyRequests()).toStrictEqual([
      expect.objectContaining({
        TargetDBClusterSnapshotIdentifier: 'orders-us-preserved-orders-failback-encrypted',
        KmsKeyId: KEY,
      }),
    ]);
    expect(world.copyKeys()).toStrictEqual({ 'orders-us-preserved-orders-failback-encrypted': KEY });
    expect(world.refusals()).toStrictEqual([]);
    expect(world.switchoversStarted()).toBe(1);
    const state = result.output as { failback: { preserved: { detail: string } } };
    expect(state.failback.preserved.detail).toContain(`encrypted with ${KEY}`);
  });

  it('ends ConfigurationError, nothing copied or switched, when the plan names no key and RDS may not use it (KMSKeyNotAccessibleFault)', async () => {
    // Prepare: the plan names no key, so the way back is granted none.
    const plan = planWith();
    const { clock, world } = scenario({ storageKmsKeyArn: KEY, callerKeys: grantedKeys(plan) });

    // Act
    const result = await run(clock, 'orders-failback-no-key', false, plan);

    // Assess: Aurora refused the copy; the run says what to set, and notifies its failure.
    expect(grantedKeys(plan)).toStrictEqual([]);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ConfigurationError');
    expect(result.cause).toContain('database.preserveKmsKeyArn');
    expect(world.refusals()).toStrictEqual([
      `KMSKeyNotAccessibleFault: The caller is not authorized to use the KMS key ${KEY}.`,
    ]);
    expect(world.copies()).toStrictEqual({});
    expect(world.switchoversStarted()).toBe(0);
    expect(mutatingCommandsSent()).not.toContain('SwitchoverGlobalClusterCommand');
    expect(publishedTypes()).toContain('Failover Failed');
  });

  it("refuses a plan whose key is not the cluster's before asking Aurora (ConfigurationError), copying nothing", async () => {
    // Prepare: the plan names OTHER_KEY, and is granted it; the cluster is encrypted with KEY.
    const plan = planWith(OTHER_KEY);
    const { clock, world } = scenario({ storageKmsKeyArn: KEY, callerKeys: grantedKeys(plan) });

    // Act
    const result = await run(clock, 'orders-failback-wrong-key', false, plan);

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ConfigurationError');
    expect(result.cause).toContain(`is encrypted with ${KEY}, not with the plan's database.preserveKmsKeyArn`);
    expect(world.copyRequests()).toStrictEqual([]);
    expect(world.refusals()).toStrictEqual([]);
    expect(world.switchoversStarted()).toBe(0);
  });
});

describe("an Aurora plan's round-trip game day, its way back started by its schedule", () => {
  const OUT = 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-prod:orders-gameday-20261207T1000Z';
  const BACK_MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:dr-failover-prod';
  const GROUP = 'dr-failover-prod-way-back';
  const gameDay = upsertVariant('plans/orders.yml', (p) => ({
    ...p,
    gameday: {
      schedule: 'cron(0 10 ? * MON#1 *)',
      dryRun: false,
      mode: 'planned',
      roundTrip: { returnAfterMinutes: 30 },
    },
  }));
  /** The way out, through Verify: switched over to orders-eu, the record on it. */
  const wayOut = (): FailoverState => ({
    input: parseExecutionInput({
      plan: 'orders',
      mode: 'planned',
      dryRun: false,
      reason: 'scheduled game day (cron(0 10 ? * MON#1 *))',
      requestedBy: 'schedule:gameday',
      incidentStartedAt: new Date().toISOString(),
      trigger: { kind: 'schedule', source: 'cron(0 10 ? * MON#1 *)' },
    }),
    plan: gameDay,
    run: { executionId: OUT, startedAt: new Date().toISOString(), approvalRequired: false },
    timeline: [],
    promotion: { state: 'writable', detail: 'switched over', checks: 1, writableAt: new Date().toISOString() },
    dns: {
      recordName: 'db.orders.example.internal',
      target: auroraFailbackDefaults().writer.endpoint,
      ttl: 30,
      status: 'insync',
      checks: 1,
    },
  });

  it('arms the way back on success; fired, the failback finds the old primary synchronized and switches back, losing nothing', async () => {
    // Prepare: after the way out's switchover the old primary is at once a synchronized secondary (Aurora User
    // Guide, "Performing switchovers"): connected from the start, and no unplanned-failover snapshot to copy.
    const { clock, world } = scenario({
      recoversAfterMs: -MINUTE,
      resyncMs: 0,
      snapshot: { taken: false, creatingMs: 0 },
    });
    const scheduler = schedulerWorld({ groups: [GROUP] });
    const stepFunctions = new StepFunctionsWorld(clock, BACK_MACHINE, 0);
    const returnScheduler = async () =>
      new SchedulerReturn({
        groupName: GROUP,
        roleArn: 'arn:aws:iam::111122223333:role/way-back',
        region: 'us-east-1',
      });
    const deps = {
      now: () => new Date(),
      notifier: async () => ({ publish: async () => undefined }),
      approvalTimer: async () => {
        throw new Error('no approval in this run');
      },
      returnScheduler,
    };

    // Act: the way out's success arms the way back; 30 minutes later its schedule starts the failback in us-east-1,
    // which then runs on the primary region's state machine.
    await notify({ step: 'NotifySucceeded', executionId: OUT, state: wayOut() }, deps);
    clock.advance(30 * MINUTE + 1_000);
    await scheduler.startDue(new Date(), new SFNClient({ region: 'us-east-1' }));
    const [started] = stepFunctions.executions();
    sfn.reset();
    const input = JSON.parse(started?.input ?? '{}') as Record<string, unknown>;
    const result = await execute(input, {
      handlers: onVirtualTime(definition, clock, wayBackHandlers(gameDay)),
      validate: false,
      executionName: 'orders-failback-20261207T1000Z',
    });

    // Assess
    expect(started?.executionArn).toBe(
      'arn:aws:states:us-east-1:111122223333:execution:dr-failover-prod:orders-failback-20261207T1000Z',
    );
    expect(input).toMatchObject({
      mode: 'planned',
      trigger: { kind: 'failback', source: `gameday:${OUT.split(':').at(-1)}` },
    });
    expect(result.error ?? '').toBe('');
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited).not.toContain('Preserve');
    expect(world.copyRequests()).toStrictEqual([]);
    expect(world.switchoversStarted()).toBe(1);
    expect(world.writerArn()).toBe('arn:aws:rds:us-east-1:111122223333:cluster:orders-us');
    expect(world.lostCommits()).toBe(0);
    expect(upsertedValues()).toStrictEqual(['orders-us.cluster-abc123.us-east-1.rds.amazonaws.com']);
  });
});
