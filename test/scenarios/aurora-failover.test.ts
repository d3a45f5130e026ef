import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Handlers, type LambdaHandler, loadDefinition } from '#lab/state-machine.js';
import { AuroraWorld, type AuroraWorldOptions, auroraWorldDefaults } from '../aws-world/aurora.js';
import { onVirtualTime, virtualClock } from '../aws-world/clock.js';
import { CloudWatchWorld } from '../aws-world/cloudwatch.js';
import { NotificationWorld } from '../aws-world/notification.js';
import { lambdaError, serverError } from '../statemachine/fault-kit.js';
import {
  ALL_MOCKS,
  execute,
  preparing,
  publishedTypes,
  realHandlers,
  route53World,
  runInput,
  upsertedValues,
  upsertVariant,
} from '../statemachine/support.js';

const MINUTE = 60_000;
const definition = loadDefinition();

/** plans/orders.yml run by the real definition and handlers against the Aurora world on the virtual clock. */
const scenario = (options: Partial<AuroraWorldOptions> = {}) => {
  const clock = virtualClock();
  const settings = auroraWorldDefaults(options);
  const metrics = new CloudWatchWorld(clock);
  const world = new AuroraWorld(clock, metrics, settings);
  const notifications = new NotificationWorld();
  route53World({ initial: settings.primary.endpoint });
  const run = (overrides: Record<string, unknown> = {}, handlers: Partial<Handlers> = {}) =>
    execute(runInput({ plan: 'orders', ...overrides }), {
      handlers: onVirtualTime(definition, clock, { ...realHandlers(), ...handlers } as Handlers),
      validate: false,
    });
  const upserted = upsertedValues;
  /** What the last notification on the bus says of where the run left the world. */
  const lastStateOfTheWorld = () => {
    const last = JSON.parse(notifications.events.at(-1)?.Detail ?? '{}') as { detail?: { stateOfTheWorld?: string[] } };
    return last.detail?.stateOfTheWorld ?? [];
  };
  return { clock, world, settings, run, upserted, notifications, lastStateOfTheWorld };
};

/** The function runs to the end (its AWS calls are made), then the invocation fails with `name`, once. */
const failOnceAfterRunning = (handler: LambdaHandler | undefined, name: string): LambdaHandler => {
  let failed = false;
  return async (event, context) => {
    const result = await handler?.(event, context);
    if (failed) return result;
    failed = true;
    throw lambdaError(name);
  };
};

/** plans/orders.yml with the record UPSERT (the Route 53 world), failing over whatever the lag (onExceeded: proceed). */
const proceedingOrders = () =>
  preparing(upsertVariant('plans/orders.yml', (p) => ({ ...p, rpo: { ...p.rpo, onExceeded: 'proceed' } }) as typeof p));

afterEach(() => {
  for (const m of ALL_MOCKS) m.reset();
  vi.useRealTimers();
});

/** The old primary's line of a notification's state of the world. */
const oldPrimary = (lines: string[]) => lines.find((l) => l.startsWith('Old primary')) ?? '';

describe('Aurora Global Database failover, on the simulated Aurora', () => {
  it('fails over (AllowDataLoss) to the secondary, moves the writer and DNS, losing at most the lag', async () => {
    // Prepare: the primary region is failing but still replicating, 2 s behind.
    const { world, settings, run, upserted, notifications } = scenario({ replicaBehindMs: 2_000 });

    // Act
    const result = await run({ mode: 'unplanned' });
    expect(notifications.refused).toEqual([]);

    // Assess
    expect(result.error ?? '').toBe('');
    expect(result.status).toBe('SUCCEEDED');
    expect(world.operationsStarted()).toBe(1);
    expect(world.writerArn()).toBe(settings.secondary.arn);
    expect(world.failoverState()).toBeUndefined();
    expect(upserted()).toEqual([settings.secondary.endpoint]);
    expect(world.lostCommits()).toBeGreaterThan(0);
    expect(world.lostCommits()).toBeLessThanOrEqual((settings.replicaBehindMs / 1000) * settings.writesPerSecond);
    expect(publishedTypes()).toContain('Failover Succeeded');
  });

  it('switches over (planned) with no acknowledged commit lost, the old primary left a secondary', async () => {
    // Prepare: 20 s behind; the switchover brings the secondary level before it swaps the roles.
    const { world, settings, run, upserted } = scenario({ replicaBehindMs: 20_000 });

    // Act
    const result = await run({ mode: 'planned' });

    // Assess
    expect(result.error ?? '').toBe('');
    expect(result.status).toBe('SUCCEEDED');
    expect(world.operationsStarted()).toBe(1);
    expect(world.writerArn()).toBe(settings.secondary.arn);
    expect(world.acknowledgedCommits()).toBeGreaterThan(0);
    expect(world.lostCommits()).toBe(0);
    expect(upserted()).toEqual([settings.secondary.endpoint]);
  });

  it.each([
    ['answered 500 after Aurora accepted it', 'aws-500'],
    ['its Lambda response lost (Lambda.ServiceException)', 'Lambda.ServiceException'],
    ['its function timed out after the call (TimeoutError)', 'TimeoutError'],
  ])(
    'goes on polling when FailoverGlobalCluster was %s and the retry meets the failover in progress',
    async (_what, fault) => {
      // Prepare: the failover takes 6 minutes.
      const { world, settings, run, upserted } = scenario({ failover: { pendingMs: MINUTE, operationMs: 5 * MINUTE } });
      const handlers: Partial<Handlers> = {};
      if (fault === 'aws-500') world.answerNextOperationWith(serverError('InternalFailure'));
      else handlers.promote = failOnceAfterRunning(realHandlers().promote, fault);

      // Act
      const result = await run({ mode: 'unplanned' }, handlers);

      // Assess
      expect(result.error ?? '').toBe('');
      expect(result.status).toBe('SUCCEEDED');
      expect(world.operationsStarted()).toBe(1);
      expect(world.writerArn()).toBe(settings.secondary.arn);
      expect(upserted()).toEqual([settings.secondary.endpoint]);
    },
  );

  it('fails over with the primary region dark and, once that region is back, has the old primary as a secondary', async () => {
    // Prepare: the region went dark a minute before the run; no lag is published after that.
    const { clock, world, settings, run, upserted } = scenario({ replicaBehindMs: 2_000 });
    world.primaryRegionDown();
    clock.advance(MINUTE);

    // Act
    const result = await run({ mode: 'unplanned' }, proceedingOrders());
    clock.advance(30 * MINUTE);
    world.primaryRegionRecovers();

    // Assess
    expect(result.error ?? '').toBe('');
    expect(result.status).toBe('SUCCEEDED');
    expect(world.writerArn()).toBe(settings.secondary.arn);
    expect(upserted()).toEqual([settings.secondary.endpoint]);
    expect(world.lostCommits()).toBe(10);
    expect(world.members()).toEqual([
      expect.objectContaining({
        DBClusterArn: settings.primary.arn,
        IsWriter: false,
        SynchronizationStatus: 'connected',
      }),
      expect.objectContaining({
        DBClusterArn: settings.secondary.arn,
        IsWriter: true,
        Readers: [settings.primary.arn],
      }),
    ]);
  });

  it('refuses a planned switchover while the primary region is dark: nothing moves, the run fails and says so', async () => {
    // Prepare
    const { clock, world, settings, run, upserted } = scenario();
    world.primaryRegionDown();
    clock.advance(MINUTE);

    // Act
    const result = await run({ mode: 'planned' }, proceedingOrders());

    // Assess
    expect(result.status).toBe('FAILED');
    expect(world.operationsStarted()).toBe(0);
    expect(world.writerArn()).toBe(settings.primary.arn);
    expect(upserted()).toEqual([]);
    expect(publishedTypes()).toContain('Failover Failed');
  });

  it('ends PromotionFailedError, DNS untouched, when the failover is cancelled between two status checks', async () => {
    // Prepare: cancelled 12 s after it was accepted, back to the old primary 5 s later: the checks 10 s apart never
    // see `cancelling`.
    const { world, settings, clock, run, upserted } = scenario();
    world.cancelNextOperation(12_000, 5_000);
    const started = clock.now();

    // Act
    const result = await run({ mode: 'unplanned' });

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionFailedError');
    expect(world.writerArn()).toBe(settings.primary.arn);
    expect(upserted()).toEqual([]);
    expect(clock.now() - started).toBeLessThan(5 * MINUTE);
  });

  it('says the old primary is still the writer, not fenced, when a planned switchover is cancelled', async () => {
    // Prepare: the switchover is cancelled 40 s in; the old primary stays the writer.
    const { world, settings, run, upserted, lastStateOfTheWorld } = scenario();
    world.cancelNextOperation(40_000, 20_000);

    // Act
    const result = await run({ mode: 'planned' });

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionFailedError');
    expect(world.writerArn()).toBe(settings.primary.arn);
    expect(upserted()).toEqual([]);
    expect(publishedTypes().at(-1)).toBe('Failover Failed');
    const line = oldPrimary(lastStateOfTheWorld());
    expect(line).not.toMatch(/Old primary: fenced/);
    expect(line).toContain('NOT fenced');
    expect(line).toContain('still the writer');
  });

  it('fails PromotionFailedError without any request when the target is not a member of the global cluster', async () => {
    // Prepare: the secondary was detached (it publishes no global-database lag any more).
    const { world, run, upserted } = scenario({ secondaryIsMember: false });

    // Act
    const result = await run({ mode: 'unplanned' }, proceedingOrders());

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionFailedError');
    expect(world.operationsStarted()).toBe(0);
    expect(upserted()).toEqual([]);
  });

  it('reads AuroraGlobalDBReplicationLag when the engine publishes no AuroraGlobalDBRPOLag', async () => {
    // Prepare
    const { world, run } = scenario({ publishesRpoLag: false });

    // Act
    const result = await run({ mode: 'unplanned' });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(world.operationsStarted()).toBe(1);
  });

  it('a re-run after the failover finds the secondary already the writer and starts nothing', async () => {
    // Prepare
    const { world, clock, run, upserted, settings } = scenario();
    expect((await run({ mode: 'unplanned' })).status).toBe('SUCCEEDED');
    clock.advance(10 * MINUTE);

    // Act
    const again = await run({ mode: 'unplanned' });

    // Assess
    expect(again.error ?? '').toBe('');
    expect(again.status).toBe('SUCCEEDED');
    expect(world.operationsStarted()).toBe(1);
    expect(upserted().at(-1)).toBe(settings.secondary.endpoint);
  });
});
