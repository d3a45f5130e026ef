import { PromoteReadReplicaCommand } from '@aws-sdk/client-rds';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Handlers, type LambdaHandler, loadDefinition } from '#lab/state-machine.js';
import { onVirtualTime, virtualClock } from '../aws-world/clock.js';
import { RdsWorld, type RdsWorldOptions, rdsWorldDefaults } from '../aws-world/rds.js';
import { lambdaError, serverError } from '../statemachine/fault-kit.js';
import {
  ALL_MOCKS,
  execute,
  notifyWorld,
  publishedTypes,
  rds,
  realHandlers,
  route53World,
  runInput,
  upsertedValues,
} from '../statemachine/support.js';

const MINUTE = 60_000;
const definition = loadDefinition();

/** plans/feature-store.yml run by the real definition and handlers against the RDS world on the virtual clock. */
const scenario = (options: Parameters<typeof rdsWorldDefaults>[0] = {}) => {
  const clock = virtualClock();
  const settings: RdsWorldOptions = rdsWorldDefaults(options);
  const world = new RdsWorld(clock, settings);
  notifyWorld();
  route53World({ initial: 'feature-store.abc123.us-west-2.rds.amazonaws.com' });
  const run = (overrides: Record<string, unknown> = {}, handlers: Partial<Handlers> = {}) =>
    execute(runInput({ plan: 'feature-store', ...overrides }), {
      handlers: onVirtualTime(definition, clock, { ...realHandlers(), ...handlers } as Handlers),
      validate: false,
    });
  const upserted = upsertedValues;
  return { clock, world, settings, run, upserted };
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

afterEach(() => {
  for (const m of ALL_MOCKS) m.reset();
  vi.useRealTimers();
});

describe('RDS read replica promotion, on the simulated RDS', () => {
  it.each([
    ['answered 500 after RDS accepted it', 'aws-500'],
    ['its Lambda response lost (Lambda.ServiceException)', 'Lambda.ServiceException'],
    ['its function timed out after the call (TimeoutError)', 'TimeoutError'],
  ])(
    'goes on polling when PromoteReadReplica was %s and the retry meets the promotion in progress',
    async (_what, fault) => {
      // Prepare: the promotion takes 7 minutes, far longer than Promote's retries (150 s at most).
      const { world, settings, run, upserted } = scenario({
        promotion: { modifyingMs: 5 * MINUTE, rebootingMs: 2 * MINUTE },
      });
      const handlers: Partial<Handlers> = {};
      if (fault === 'aws-500') world.answerNextPromotionWith(serverError('InternalFailure'));
      else handlers.promote = failOnceAfterRunning(realHandlers().promote, fault);

      // Act
      const result = await run({}, handlers);

      // Assess
      expect(result.error ?? '').toBe('');
      expect(result.status).toBe('SUCCEEDED');
      expect(world.promotionsStarted()).toBe(1);
      expect(world.replicaStatus()).toBe('available');
      expect(upserted()).toEqual([settings.replica.endpoint]);
      expect(publishedTypes()).toContain('Failover Succeeded');
    },
  );
  it('switches DNS once the promoted instance is writable while it takes its first backup (AWS default retention of 1 day)', async () => {
    // Prepare: the replica has no backups; PromoteReadReplica without BackupRetentionPeriod enables them (default 1
    // day), so the promoted instance is backing-up for 30 minutes: longer than the plan's 90 checks 10 s apart.
    const { world, settings, run, upserted } = scenario({ promotion: { backingUpMs: 30 * MINUTE } });

    // Act
    const result = await run();

    // Assess
    expect(result.error ?? '').toBe('');
    expect(result.status).toBe('SUCCEEDED');
    expect(world.promotionsStarted()).toBe(1);
    expect(world.replicaStatus()).toBe('backing-up');
    expect(upserted()).toEqual([settings.replica.endpoint]);
  });

  it('keeps the replica backup retention when it has one, instead of the API default of 1 day', async () => {
    // Prepare
    const { run } = scenario({ replica: { ...rdsWorldDefaults().replica, backupRetentionPeriod: 7 } });

    // Act
    const result = await run();

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(rds).toHaveReceivedCommandWith(PromoteReadReplicaCommand, {
      DBInstanceIdentifier: 'feature-store-replica',
      BackupRetentionPeriod: 7,
    });
  });
});
