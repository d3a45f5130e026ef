/**
 * A second database as a platform component, executed: the real definition in aws-local-stepfunctions (its stage Map
 * polls the component through WaitForComponent), the real handlers, on the simulated AWS world and its virtual clock:
 * the plan's main database is the Aurora world's global database, its component the RDS world's cross-Region read
 * replica (test/aws-world/), both publishing their lag through one CloudWatch world.
 */
import { PromoteReadReplicaCommand } from '@aws-sdk/client-rds';
import { type Change, ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ComponentReport } from '#core/components.js';
import { type Handlers, type LambdaHandler, loadDefinition } from '#lab/state-machine.js';
import { AuroraWorld, auroraWorldDefaults } from '../aws-world/aurora.js';
import { onVirtualTime, virtualClock } from '../aws-world/clock.js';
import { CloudWatchWorld } from '../aws-world/cloudwatch.js';
import { NotificationWorld } from '../aws-world/notification.js';
import { RdsWorld, rdsWorldDefaults } from '../aws-world/rds.js';
import { FEATURE_DB, planWithFeatureDb } from '../fixtures/component-database.js';
import { accessDenied, lambdaError, serverError } from './fault-kit.js';
import {
  ALL_MOCKS,
  execute,
  mutatingCommandsSent,
  preparing,
  rds,
  realHandlers,
  route53,
  route53World,
  runInput,
} from './support.js';

const definition = loadDefinition();
const MINUTE = 60_000;
const FEATURES = FEATURE_DB;
const RECORD = FEATURE_DB.record;
/** The orders plan with the feature metadata database in stage 1, checked every 20 s at most `maxChecks` times. */
const planWith = (maxChecks = 40) => planWithFeatureDb({ stage: 1, maxChecks, checkIntervalSeconds: 20 });

const scenario = (rds: Parameters<typeof rdsWorldDefaults>[0] = {}, plan = planWith()) => {
  const clock = virtualClock();
  const metrics = new CloudWatchWorld(clock);
  new AuroraWorld(clock, metrics, auroraWorldDefaults());
  const { source, replica } = FEATURES;
  const features = new RdsWorld(clock, rdsWorldDefaults({ source, replica, replicaBehindMs: 5_000, ...rds }), metrics);
  const notifications = new NotificationWorld();
  route53World({ initial: auroraWorldDefaults().primary.endpoint });
  const run = (overrides: Record<string, unknown> = {}, handlers: Partial<Handlers> = {}) =>
    execute(runInput({ plan: plan.name, ...overrides }), {
      handlers: onVirtualTime(definition, clock, { ...realHandlers(), ...preparing(plan), ...handlers } as Handlers),
      validate: false,
    });
  /** Every UPSERT sent, as `name → value`, in order. */
  const upserts = () =>
    route53
      .commandCalls(ChangeResourceRecordSetsCommand)
      .flatMap((c) => c.args[0].input.ChangeBatch?.Changes ?? [])
      .map((ch: Change) => `${ch.ResourceRecordSet?.Name} → ${ch.ResourceRecordSet?.ResourceRecords?.[0]?.Value}`);
  const lastDetail = () =>
    (JSON.parse(notifications.events.at(-1)?.Detail ?? '{}') as { detail: Record<string, string[]> }).detail;
  return { clock, features, run, upserts, lastDetail, notifications };
};

const reportOf = (output: unknown) =>
  (output as { components: Record<string, ComponentReport> }).components['feature-metadata'];

afterEach(() => {
  for (const m of ALL_MOCKS) m.reset();
  vi.useRealTimers();
});

describe('a second database as a component, executed on the simulated RDS', () => {
  it('planned: fenced, caught up, promoted once after the main database, its record moved before the main one', async () => {
    // Prepare: applications write 5 commits a second to the feature store; its replica replays 5 s behind.
    const { features, run, upserts } = scenario();

    // Act
    const result = await run({ mode: 'planned' });

    // Assess
    expect(result.error ?? '').toBe('');
    expect(result.status).toBe('SUCCEEDED');
    expect(features.promotionsStarted()).toBe(1);
    expect(features.acknowledgedCommits()).toBeGreaterThan(0);
    expect(features.lostCommits()).toBe(0);
    expect(features.replicaStatus()).toBe('available');
    const v = result.visited;
    expect(v.indexOf('CheckComponentGates')).toBeLessThan(v.indexOf('Fence'));
    expect(v.indexOf('RunComponentStage')).toBeGreaterThan(v.indexOf('PromotionStatus'));
    expect(v.indexOf('RunComponentStage')).toBeLessThan(v.indexOf('UpdateDns'));
    expect(upserts()).toEqual([
      `${RECORD} → ${FEATURES.replica.endpoint}`,
      `db.orders.example.internal → ${auroraWorldDefaults().secondary.endpoint}`,
    ]);
    const report = reportOf(result.output);
    expect(report?.status).toBe('done');
    expect(report?.gate).toMatchObject({ status: 'known', within: true });
    expect(report?.detail).toMatch(/^old primary: fenced \(read-only-parameter\); standby: promoted and writable/);
    expect(report?.detail).toContain(`record ${RECORD} UPSERT to ${FEATURES.replica.endpoint} (in sync)`);
  });

  it('unplanned: fenced where reachable, promoted and its record moved, losing at most its lag', async () => {
    // Prepare
    const { features, run, upserts } = scenario();

    // Act
    const result = await run({ mode: 'unplanned' });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(features.promotionsStarted()).toBe(1);
    expect(upserts()[0]).toBe(`${RECORD} → ${FEATURES.replica.endpoint}`);
    expect(reportOf(result.output)?.status).toBe('done');
  });

  it('a dry run reads its lag and promotion state and changes nothing', async () => {
    // Prepare
    const { features, run } = scenario();

    // Act
    const result = await run({ dryRun: true });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(mutatingCommandsSent()).toEqual([]);
    expect(features.promotionsStarted()).toBe(0);
    const report = reportOf(result.output);
    expect(report?.status).toBe('dry-run');
    expect(report?.detail).toMatch(
      /^would fence its old primary \(unplanned\), promote its standby, UPSERT .+; now: lag \d+ s, standby pending/,
    );
  });

  it('a promotion longer than its checks fails the run before traffic moves, and the notification says the world', async () => {
    // Prepare: the promotion spends 5 minutes modifying; the component allows 6 checks 20 s apart.
    const { features, run, upserts, lastDetail } = scenario({ promotion: { modifyingMs: 5 * MINUTE } }, planWith(6));

    // Act
    const result = await run({ mode: 'unplanned' });

    // Assess: the main database is promoted, the component's promotion under way, no record moved.
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ComponentActionFailedError');
    expect(features.promotionsStarted()).toBe(1);
    expect(upserts()).toEqual([]);
    const line = lastDetail().stateOfTheWorld?.find((l) => l.startsWith('Component feature-metadata'));
    expect(line).toMatch(/^Component feature-metadata \(database, stage 1\): failed - ComponentTimedOutError: /);
    expect(line?.match(/old primary:/g)).toHaveLength(1);
    expect(line).toContain('old primary: fenced (read-only-parameter)');
    expect(line).toContain('standby: promotion started');
    expect(line).toContain(`record ${RECORD} not changed by this run`);
  });

  it('a promotion AWS refuses (access denied) fails the run before traffic moves: fenced, NOT promoted, record unchanged', async () => {
    // Prepare: the component's replica refuses PromoteReadReplica for this role (narrower than the world's own fake).
    const { features, run, upserts, lastDetail } = scenario();
    rds
      .on(PromoteReadReplicaCommand, { DBInstanceIdentifier: FEATURES.replica.id })
      .rejects(accessDenied('AccessDenied'));

    // Act
    const result = await run({ mode: 'unplanned' });

    // Assess: refused once (terminal, not retried), the main database promoted, no record moved.
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ComponentActionFailedError');
    expect(rds.commandCalls(PromoteReadReplicaCommand, { DBInstanceIdentifier: FEATURES.replica.id })).toHaveLength(1);
    expect(features.promotionsStarted()).toBe(0);
    expect(upserts()).toEqual([]);
    const world = lastDetail().stateOfTheWorld ?? [];
    expect(world[0]).toMatch(/^Database: the standby in eu-west-1 IS promoted and writable/);
    const line = world.find((l) => l.startsWith('Component feature-metadata')) ?? '';
    expect(line).toMatch(/^Component feature-metadata \(database, stage 1\): failed - AwsRequestFailedError: /);
    expect(line).toContain(
      `(last seen: old primary: fenced (read-only-parameter); standby: NOT promoted; record ${RECORD} not changed by this run)`,
    );
  });

  it('re-entry after a retry promotes once: an accepted promotion answered 500, then a Lambda error after running', async () => {
    // Prepare
    const { features, run } = scenario();
    features.answerNextPromotionWith(serverError('InternalFailure'));
    const component = realHandlers().component as LambdaHandler;
    let failedOnce = false;
    const failAfterPromote: LambdaHandler = async (event, context) => {
      const result = await component(event, context);
      const promoted = (result as { database?: { phase?: string } }).database?.phase === 'status';
      if (!promoted || failedOnce) return result;
      failedOnce = true;
      throw lambdaError('Lambda.ServiceException');
    };

    // Act
    const result = await run({ mode: 'unplanned' }, { component: failAfterPromote });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(failedOnce).toBe(true);
    // Accepted (answered 500), then refused twice while modifying: each retry saw the promotion under way.
    expect(rds.commandCalls(PromoteReadReplicaCommand)).toHaveLength(3);
    expect(features.promotionsStarted()).toBe(1);
    expect(reportOf(result.output)?.status).toBe('done');
  });
});
