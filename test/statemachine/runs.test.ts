/**
 * One run per plan, on the real definition with the real handlers: Prepare's run guard reads Step Functions'
 * own view of the executions (a mocked SFN client answering ListExecutions and DescribeExecution from the runs
 * these tests start), as it does when deployed.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FailoverEvent } from '#core/ports.js';
import { decideTrigger } from '#core/trigger.js';
import { loadPlanCatalog } from '#lib/plan-catalog.js';
import {
  ALL_MOCKS,
  auroraWorld,
  eventBridge,
  execute,
  executionsWorld,
  lagMetrics,
  mutatingCommandsSent,
  notifyWorld,
  route53World,
  runInput,
} from './support.js';

const catalog = loadPlanCatalog('plans');

/** The notifications put on the bus, parsed. */
const published = (): FailoverEvent[] =>
  eventBridge
    .commandCalls(PutEventsCommand)
    .map((c) => JSON.parse(c.args[0].input.Entries?.[0]?.Detail ?? '{}') as FailoverEvent);

/** The input the trigger sends for an orders alarm now. */
const alarmRun = () => {
  const now = new Date();
  const decision = decideTrigger(
    {
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      account: '111122223333',
      region: 'eu-west-1',
      time: now.toISOString(),
      resources: ['arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-db-primary-unhealthy'],
      detail: {
        alarmName: 'orders-db-primary-unhealthy',
        state: { value: 'ALARM', reason: 'Threshold Crossed', timestamp: now.toISOString() },
        previousState: { value: 'OK' },
      },
    },
    catalog,
    now,
  );
  if (!decision.start) throw new Error(decision.reason);
  return { name: decision.executionName, input: decision.input };
};

describe('one run per plan, in Prepare', () => {
  beforeEach(() => {
    notifyWorld();
    lagMetrics(() => 1_000);
    auroraWorld();
    route53World();
  });
  afterEach(() => {
    for (const m of ALL_MOCKS) m.reset();
  });

  it('lets exactly one of a manual and an automatic run started together fail over; the other aborts, notified', async () => {
    // Prepare
    const world = executionsWorld();
    const automatic = alarmRun();
    const manual = { name: 'orders-manual-ana', input: runInput({ requestedBy: 'ana@example.com' }) };

    // Act: both are RUNNING before either reaches Prepare, as two StartExecution calls a moment apart.
    const [a, m] = await Promise.all([
      execute(automatic.input, { executionName: automatic.name, world }),
      execute(manual.input, { executionName: manual.name, world }),
    ]);

    // Assess
    const results = [a, m];
    const succeeded = results.filter((r) => r.status === 'SUCCEEDED');
    const aborted = results.filter((r) => r.status === 'FAILED');
    expect(succeeded).toHaveLength(1);
    expect(aborted).toHaveLength(1);
    expect(aborted[0]?.error).toBe('AlreadyInProgressError');
    expect(aborted[0]?.visited).toEqual(['Prepare', 'NotifyAborted', 'Aborted']);
    // The run that goes on is the one that started first (then by name), and the loser's message names it.
    const [first] = world
      .executions()
      .sort((x, y) => x.startDate.getTime() - y.startDate.getTime() || x.name.localeCompare(y.name));
    const winner = succeeded[0] === a ? automatic.name : manual.name;
    expect(winner).toBe(first?.name);
    expect(aborted[0]?.cause).toContain(`run ${winner} of plan orders`);
    // Exactly one failover and one DNS change were asked for.
    expect(mutatingCommandsSent()).toEqual(['FailoverGlobalClusterCommand', 'ChangeResourceRecordSetsCommand']);
    const abortedEvent = published().find((e) => e.type === 'Failover Aborted');
    expect(abortedEvent).toMatchObject({
      plan: 'orders',
      detail: { error: 'AlreadyInProgressError', message: expect.stringContaining(`run ${winner}`) },
    });
    expect(
      published()
        .map((e) => e.type)
        .sort(),
    ).toEqual(['Failover Aborted', 'Failover Started', 'Failover Succeeded'].sort());
  });

  it('refuses a manual run inside the cooldown of a run that succeeded, changing nothing, and says how to override', async () => {
    // Prepare
    const world = executionsWorld();
    world.add({
      name: 'orders-alarm-20261125T0300Z',
      status: 'SUCCEEDED',
      startDate: new Date(Date.now() - 20 * 60_000),
      stopDate: new Date(Date.now() - 10 * 60_000),
      input: alarmRun().input,
    });

    // Act
    const run = await execute(runInput(), { executionName: 'orders-manual-ana', world });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AlreadyInProgressError');
    expect(run.visited).toEqual(['Prepare', 'NotifyAborted', 'Aborted']);
    expect(mutatingCommandsSent()).toEqual([]);
    expect(published()).toEqual([
      expect.objectContaining({
        type: 'Failover Aborted',
        requestedBy: 'oncall:ana',
        detail: expect.objectContaining({
          error: 'AlreadyInProgressError',
          message: expect.stringMatching(/orders-alarm-20261125T0300Z .*cooldown.*overrideCooldown: true/),
          nextSteps: expect.stringContaining('overrideCooldown'),
        }),
      }),
    ]);
  });

  it('starts a manual run inside the cooldown with overrideCooldown, and every notification says so', async () => {
    // Prepare
    const world = executionsWorld();
    const endedAt = new Date(Date.now() - 10 * 60_000);
    world.add({
      name: 'orders-alarm-20261125T0300Z',
      status: 'SUCCEEDED',
      startDate: new Date(Date.now() - 20 * 60_000),
      stopDate: endedAt,
      input: alarmRun().input,
    });

    // Act
    const run = await execute(runInput({ overrideCooldown: true }), { executionName: 'orders-manual-ana', world });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(mutatingCommandsSent()).toEqual(['FailoverGlobalClusterCommand', 'ChangeResourceRecordSetsCommand']);
    const overridden = { run: 'orders-alarm-20261125T0300Z', endedAt: endedAt.toISOString() };
    expect((run.output as { run: { cooldownOverridden?: unknown } }).run.cooldownOverridden).toEqual(overridden);
    const events = published();
    expect(events.map((e) => e.type)).toEqual(['Failover Started', 'Failover Succeeded']);
    for (const e of events) {
      expect(e.detail.cooldownOverridden).toEqual(overridden);
      expect(e.summary).toContain('overriding the cooldown after run orders-alarm-20261125T0300Z');
    }
  });

  it('lets a real run go while a dry run of the plan is running', async () => {
    // Prepare
    const world = executionsWorld();
    world.add({
      name: 'orders-gameday-20261125T0300Z',
      status: 'RUNNING',
      startDate: new Date(Date.now() - 60_000),
      input: runInput({ mode: 'planned', dryRun: true }),
    });

    // Act
    const run = await execute(runInput(), { executionName: 'orders-manual-ana', world });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(mutatingCommandsSent()).toEqual(['FailoverGlobalClusterCommand', 'ChangeResourceRecordSetsCommand']);
  });
});
