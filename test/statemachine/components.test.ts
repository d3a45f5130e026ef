import { InvokeCommand } from '@aws-sdk/client-lambda';
import { FailoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { SubmitMultiRegionAccessPointRoutesCommand } from '@aws-sdk/client-s3-control';
import { UpdateEndpointWeightsAndCapacitiesCommand } from '@aws-sdk/client-sagemaker';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ComponentReport } from '#core/components.js';
import { historyFromLocalEvents } from '#lab/local-history.js';
import { loadDefinition } from '#lab/state-machine.js';
import { runModelFromHistory } from '#report/history.js';
import {
  CACHE_FUNCTION,
  COMPONENT_MOCKS,
  lambda,
  platformPlan,
  platformWorld,
  s3control,
  sagemaker,
} from './components-world.js';
import {
  ALL_MOCKS,
  auroraWorld,
  execute,
  mutatingCommandsSent,
  notificationDetail,
  notifyWorld,
  preparing,
  publishedTypes,
  rds,
  route53,
  route53World,
  runInput,
} from './support.js';

const PLAN = platformPlan();
const input = (overrides: Record<string, unknown> = {}) => runInput({ plan: PLAN.name, ...overrides });
const run = (overrides: Record<string, unknown> = {}, plan = PLAN) =>
  execute(input(overrides), { handlers: preparing(plan), validate: false });

const COMPONENT_MUTATIONS = ['SubmitMultiRegionAccessPointRoutes', 'UpdateEndpointWeightsAndCapacities', 'Invoke'];

describe('a plan with components, executed', () => {
  beforeEach(() => {
    notifyWorld();
    auroraWorld();
    route53World();
  });
  afterEach(() => {
    for (const m of [...ALL_MOCKS, ...COMPONENT_MOCKS]) m.reset();
  });

  it('reads every gate before Fence, then runs stage 1 and stage 2 in order after the promotion, before DNS moves', async () => {
    // Prepare
    const world = platformWorld();

    // Act
    const result = await run();

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    const v = result.visited;
    expect(v.indexOf('CheckComponentGates')).toBeGreaterThan(v.indexOf('CheckLag'));
    expect(v.indexOf('CheckComponentGates')).toBeLessThan(v.indexOf('Fence'));
    expect(v.indexOf('RunComponentStage')).toBeGreaterThan(v.indexOf('PromotionStatus'));
    expect(v.lastIndexOf('NextComponentStage')).toBeLessThan(v.indexOf('UpdateDns'));
    expect(v.filter((s) => s === 'RunComponentStage')).toHaveLength(2);
    // Stage 1 (the routes) is over before stage 2 (serving, the cache) sends anything.
    const lastOfStage1 = world.calls.map((c) => c.component).lastIndexOf('model-artifacts');
    const firstOfStage2 = world.calls.findIndex((c) => c.component !== 'model-artifacts');
    expect(lastOfStage1).toBeLessThan(firstOfStage2);
    expect(world.dials.get('ml-artifacts-eu-west-1')).toBe(100);
    expect(world.dials.get('ml-artifacts-us-east-1')).toBe(0);
    expect(world.endpoint.current).toBe(4);
    // The custom action got the run's idempotency key, the same for every attempt.
    expect(world.requests).toEqual([
      expect.objectContaining({
        plan: PLAN.name,
        component: 'warm-cache',
        idempotencyKey: `${result.executionId}:warm-cache`,
        input: { table: 'online-features' },
      }),
    ]);
    const components = (result.output as { components: Record<string, ComponentReport> }).components;
    expect(Object.fromEntries(Object.entries(components).map(([n, c]) => [n, c.status]))).toEqual({
      'model-artifacts': 'done',
      'online-features': 'nothing-to-do',
      serving: 'done',
      'warm-cache': 'done',
    });
    expect(components['model-artifacts']?.gate?.within).toBe(true);
    expect(components.serving?.checks).toBe(3); // raised, Updating, then InService at 4
    // Its action's first call and last answer are recorded, for the report's lanes.
    const serving = components.serving;
    expect(Date.parse(serving?.startedAt ?? '')).toBeLessThanOrEqual(Date.parse(serving?.endedAt ?? ''));
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(1);
    expect(notificationDetail('Failover Succeeded').components).toEqual(
      expect.arrayContaining([expect.stringMatching(/^serving \(capacity, stage 2\): done/)]),
    );
  });

  it('runs the components of a stage at once: serving waits for the custom action to be called, and both finish', async () => {
    // Prepare: the endpoint's first DescribeEndpoint answers only once the custom action has been invoked. Run one
    // after the other (serving first, as the plan lists it), the stage could never finish. The 3 s timer only turns
    // that deadlock into a named failure instead of the test's timeout: run at once, both branches are in this
    // process and the invocation comes a few state transitions (milliseconds) later, so the timer decides nothing.
    let invoked: () => void = () => undefined;
    const cacheCalled = new Promise<void>((resolve) => {
      invoked = resolve;
    });
    const world = platformWorld({
      onFirstDescribe: () =>
        Promise.race([
          cacheCalled,
          new Promise<void>((_, reject) => setTimeout(() => reject(new Error('not run in parallel')), 3_000)),
        ]),
      customAction: async () => {
        invoked();
        return { ok: true };
      },
    });

    // Act
    const result = await run();

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    const stage2 = world.calls.filter((c) => c.component !== 'model-artifacts').map((c) => c.command);
    expect(stage2.indexOf('Invoke')).toBeLessThan(stage2.indexOf('DescribeEndpoint'));
    expect(stage2).toContain('UpdateEndpointWeightsAndCapacities');
  });

  it('ends FAILED when a component fails, names the state of every component, and moves no traffic', async () => {
    // Prepare
    platformWorld({ customAction: async () => ({ ok: false, reason: 'cache cluster unreachable' }) });

    // Act
    const result = await run();

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ComponentActionFailedError');
    expect(result.cause).toContain('warm-cache');
    expect(result.visited).not.toContain('UpdateDns');
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
    expect(publishedTypes()).toContain('Failover Failed');
    const world = notificationDetail('Failover Failed').stateOfTheWorld as string[];
    expect(world[0]).toMatch(/IS promoted/);
    expect(world).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Component model-artifacts \(s3-replication, stage 1\): done/),
        expect.stringMatching(/^Component online-features .*: nothing-to-do/),
        expect.stringMatching(/^Component serving \(capacity, stage 2\): done - 4 ready of 4 asked/),
        expect.stringMatching(
          /^Component warm-cache .*: failed - ComponentActionFailedError: cache cluster unreachable/,
        ),
      ]),
    );
    expect(world.some((l) => /DNS: not changed/.test(l))).toBe(true);
  });

  it('does not start later stages after a stage fails, and says they were not started', async () => {
    // Prepare: the access point refuses for good (AccessDenied is the same in every control Region).
    platformWorld();
    s3control.on(SubmitMultiRegionAccessPointRoutesCommand).rejects(
      Object.assign(new Error('not authorized to submit routes'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      }),
    );

    // Act
    const result = await run();

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ComponentActionFailedError');
    expect(result.visited.filter((s) => s === 'RunComponentStage')).toHaveLength(1);
    expect(sagemaker.calls()).toHaveLength(0);
    expect(lambda.commandCalls(InvokeCommand).filter((c) => c.args[0].input.InvocationType !== 'Event')).toHaveLength(
      0,
    );
    const world = notificationDetail('Failover Failed').stateOfTheWorld as string[];
    expect(world).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Component model-artifacts .*: failed - AwsRequestFailedError/),
        // The global table of the failed stage had nothing to do: it is not reported as not started.
        expect.stringMatching(/^Component online-features .*: nothing-to-do/),
        expect.stringMatching(/^Component serving .*: not-started/),
        expect.stringMatching(/^Component warm-cache .*: not-started/),
      ]),
    );
  });

  it('fails a capacity component that is not healthy within its checks, with what it last saw', async () => {
    // Prepare: the endpoint stays Updating longer than the plan's 5 checks.
    platformWorld({ updatingChecks: 50 });

    // Act
    const result = await run();

    // Assess
    expect(result.status).toBe('FAILED');
    const components = (notificationDetail('Failover Failed').stateOfTheWorld as string[]).join('\n');
    expect(components).toMatch(/serving .*: failed - ComponentTimedOutError: not ready after 5 checks/);
    expect(sagemaker.commandCalls(UpdateEndpointWeightsAndCapacitiesCommand)).toHaveLength(1);
  });

  it('changes nothing in a dry run and says what each component would do', async () => {
    // Prepare
    platformWorld();

    // Act
    const result = await run({ dryRun: true });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(mutatingCommandsSent()).toEqual([]);
    const sent = COMPONENT_MOCKS.flatMap((m) => m.calls().map((c) => (c.args[0] as object).constructor.name));
    expect(sent.filter((n) => COMPONENT_MUTATIONS.some((m) => n.startsWith(m)))).toEqual([]);
    const components = (result.output as { components: Record<string, ComponentReport> }).components;
    expect(components['model-artifacts']).toMatchObject({
      status: 'dry-run',
      detail: expect.stringMatching(/^would set the routes/),
    });
    expect(components.serving).toMatchObject({
      status: 'dry-run',
      detail: expect.stringMatching(/^would raise 1 → 4/),
    });
    expect(components['warm-cache']).toMatchObject({ status: 'dry-run', detail: `would invoke ${CACHE_FUNCTION}` });
  });

  it('aborts before Fence, changing nothing, while a gate reads unknown (no datapoint is never zero)', async () => {
    // Prepare
    platformWorld({ s3LatencySeconds: undefined });

    // Act
    const result = await run();

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ReplicationLagExceededError');
    expect(result.cause).toMatch(/model-artifacts: replication unknown: ReplicationLatency absent/);
    expect(result.visited.filter((s) => s === 'CheckComponentGates')).toHaveLength(PLAN.rpo.maxLagChecks);
    expect(result.visited).not.toContain('Fence');
    expect(rds.commandCalls(FailoverGlobalClusterCommand)).toHaveLength(0);
    expect(mutatingCommandsSent()).toEqual([]);
    expect(publishedTypes()).toContain('Failover Aborted');
  });

  it('checks a gate again until it is within: a backlog that drains lets the run go on', async () => {
    // Prepare: 3 operations pending at the first reading (the plan allows 0), none after.
    const pending = [3];
    platformWorld({ s3PendingOperations: () => pending.shift() ?? 0 });

    // Act
    const result = await run();

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited.filter((s) => s === 'CheckComponentGates')).toHaveLength(2);
    expect(result.visited).toContain('WaitForComponentGates');
    expect(result.visited.indexOf('Fence')).toBeGreaterThan(result.visited.lastIndexOf('CheckComponentGates'));
  });

  it('runs a plan without components exactly as before: no component state entered, no component call made', async () => {
    // Prepare
    platformWorld();

    // Act
    const result = await execute(runInput(), { validate: false });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited.filter((s) => /Component/.test(s))).toEqual([]);
    expect(COMPONENT_MOCKS.map((m) => m.calls().length)).toEqual([0, 0, 0]);
    expect((result.output as Record<string, unknown>).components).toBeUndefined();
  });

  it("reports each component's state in the run report built from the execution's history", async () => {
    // Prepare
    platformWorld({ customAction: async () => ({ ok: false, reason: 'cache cluster unreachable' }) });
    const result = await run();

    // Act
    const model = runModelFromHistory(historyFromLocalEvents(result.events, { definition: loadDefinition() }));

    // Assess
    expect(model.outcome).toBe('failed');
    expect(model.error?.name).toBe('ComponentActionFailedError');
    expect(model.world).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Component serving \(capacity, stage 2\): done/),
        expect.stringMatching(/^Component warm-cache \(custom-action, stage 2\): failed - .*cache cluster unreachable/),
      ]),
    );
    // The CLI's run report draws each component as a lane: its gate reading, its action's times, its result.
    const lanes = Object.fromEntries((model.components ?? []).map((c) => [c.name, c]));
    expect(Object.keys(lanes)).toEqual(['model-artifacts', 'online-features', 'serving', 'warm-cache']);
    expect(lanes['model-artifacts']?.gate).toMatchObject({ read: true, within: true, checks: 1 });
    expect(lanes['model-artifacts']?.gate).toHaveProperty('atMs', expect.any(Number));
    expect(lanes['online-features']).toMatchObject({ status: 'nothing-to-do' });
    expect(lanes.serving).toMatchObject({ status: 'done', checks: 3, startMs: expect.any(Number) });
    expect(lanes.serving?.endMs).toBeGreaterThanOrEqual(lanes.serving?.startMs ?? Number.POSITIVE_INFINITY);
    expect(lanes['warm-cache']).toMatchObject({ status: 'failed', error: 'ComponentActionFailedError' });
    expect(lanes['warm-cache']?.detail).toMatch(/cache cluster unreachable/);
  });
});
