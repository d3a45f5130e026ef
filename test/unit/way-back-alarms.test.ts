/**
 * trigger.wayBackAlarms: alarms of a self-managed PostgreSQL plan's primary region that watch its standby region.
 * They start, in the primary region's stack, an unplanned run of the plan turned round: the next incident after a
 * way out, when the standby region is the writer's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { orientPlan } from '#core/direction.js';
import { PlanValidationError } from '#core/errors.js';
import { parseExecutionInput } from '#core/input.js';
import { type Plan, parsePlan } from '#core/plan.js';
import { decideTrigger } from '#core/trigger.js';
import { buildWiring } from '#infra/wiring.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { alarmEventAt } from '../fixtures/alarm-events.js';
import { REGISTRY_PLAN } from '../fixtures/registry-plan.js';

const ACCOUNT = '111122223333';
const NOW = new Date('2026-12-07T03:20:00Z');
const WATCHING_STANDBY = 'model-registry-eu-west-1-writer-unhealthy';

const written = () => {
  const plan = parseYaml(REGISTRY_PLAN) as Record<string, Record<string, unknown>>;
  return {
    ...plan,
    trigger: { ...plan.trigger, wayBackAlarms: [WATCHING_STANDBY] },
    database: {
      ...plan.database,
      wayBackVpc: { subnetIds: ['subnet-0c0c0c0c0c0c0c0c1'], securityGroupIds: ['sg-0c0c0c0c0c0c0c0c2'] },
    },
  };
};
const registry = (): Plan => parsePlan(written(), 'model-registry.yml');
const alarm = (alarmName: string, region: string) =>
  alarmEventAt(
    {
      alarmName,
      account: ACCOUNT,
      region,
      value: 'ALARM',
      previous: 'OK',
      changedOffsetMs: -60_000,
      stateTimestamp: true,
      deliveryLagMs: 1_000,
      withResources: true,
    },
    NOW,
  );

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const wiringIn = (region: string) => {
  const dir = mkdtempSync(join(tmpdir(), 'dr-failover-way-back-alarms-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'model-registry.yml'), JSON.stringify(written()));
  return buildWiring(dir, region, 'dev');
};
const alarmArns = (events: unknown[]) =>
  events.flatMap(
    (e) => (e as { eventBridge?: { pattern: { resources: string[] } } }).eventBridge?.pattern.resources ?? [],
  );

describe('trigger.wayBackAlarms', () => {
  it('is refused for a plan whose runs do not all observe which node writes (RDS, Aurora) or that has components', () => {
    // Prepare
    const orders = JSON.parse(JSON.stringify(loadPlanFile('plans/orders.yml'))) as Record<
      string,
      Record<string, unknown>
    >;
    const aurora = { ...orders, trigger: { ...orders.trigger, wayBackAlarms: ['orders-eu-unhealthy'] } };
    const component = {
      name: 'api',
      kind: 'capacity',
      target: { kind: 'ecs-service', cluster: 's', service: 'api', count: 2 },
    };

    // Act / Assess
    for (const plan of [aurora, { ...written(), components: [component] }]) {
      expect(() => parsePlan(plan, 'test')).toThrow(PlanValidationError);
      expect(() => parsePlan(plan, 'test')).toThrow(/trigger\.wayBackAlarms: is for a self-managed PostgreSQL plan/);
    }
  });

  it('are the alarms of the plan turned round, and the plan turned round twice is the plan', () => {
    // Act
    const back = orientPlan(registry(), 'standby');

    // Assess
    expect(back.trigger.alarms).toEqual([WATCHING_STANDBY]);
    expect(back.trigger.wayBackAlarms).toEqual(['model-registry-db-primary-unhealthy']);
    expect(orientPlan(back, 'standby').trigger).toEqual(registry().trigger);
  });

  it('start an unplanned run of the plan turned round when one moves into ALARM in the primary region', () => {
    // Prepare
    const plans = new Map([['model-registry', registry()]]);

    // Act
    const decision = decideTrigger(alarm(WATCHING_STANDBY, 'eu-central-1'), plans, NOW);

    // Assess: the same input as any alarm's; Prepare (in that stack) observes the pair and turns the plan round.
    if (!decision.start) throw new Error(decision.reason);
    expect(decision.plan.regions).toEqual({ primary: 'eu-west-1', standby: 'eu-central-1' });
    expect(decision.executionName).toBe('model-registry-alarm-20261207T0315Z');
    expect(parseExecutionInput(JSON.parse(JSON.stringify(decision.input)))).toMatchObject({
      plan: 'model-registry',
      mode: 'unplanned',
      trigger: { kind: 'alarm', source: `arn:aws:cloudwatch:eu-central-1:${ACCOUNT}:alarm:${WATCHING_STANDBY}` },
    });
  });

  it('start nothing from the standby region, and the plan alarms nothing from the primary region', () => {
    // Prepare
    const plans = new Map([['model-registry', registry()]]);

    // Act
    const wayBackFromStandby = decideTrigger(alarm(WATCHING_STANDBY, 'eu-west-1'), plans, NOW);
    const planAlarmFromPrimary = decideTrigger(
      alarm('model-registry-db-primary-unhealthy', 'eu-central-1'),
      plans,
      NOW,
    );

    // Assess
    expect(wayBackFromStandby).toMatchObject({ start: false, reason: expect.stringContaining('not a plan') });
    expect(planAlarmFromPrimary).toMatchObject({ start: false, reason: expect.stringContaining('not a plan') });
  });

  it('get one rule each in the primary region stack (their ARNs there), and none in the standby region stack', () => {
    // Act
    const primary = wiringIn('eu-central-1');
    const standby = wiringIn('eu-west-1');

    // Assess
    expect(alarmArns(primary.triggerEvents)).toEqual([
      `arn:aws:cloudwatch:eu-central-1:${ACCOUNT}:alarm:${WATCHING_STANDBY}`,
    ]);
    // The way back stack starts no game day of the plan: the standby region's stack does.
    expect(primary.triggerEvents).toHaveLength(1);
    expect(alarmArns(standby.triggerEvents)).toEqual([
      `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:model-registry-db-primary-unhealthy`,
    ]);
  });
});
