/**
 * Overlapping cold starts (core/warm-up.ts): every handler answers a warm-up event before any handler logic, the
 * warm-up sends one asynchronous Invoke per function of the run, bounded and never failing, and the trigger and
 * Prepare send it when a run starts, unless the plan turns it off.
 */
import { readFileSync } from 'node:fs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LambdaWarmer, WARM_UP_BOUND_MS } from '#adapters/warmup/lambda.js';
import { FUNCTIONS } from '#core/stack-names.js';
import type { FailoverState } from '#core/state.js';
import { functionsToWarm, RUN_FUNCTIONS, WARM_UP_EVENT, type Warmer, type WarmUpResult } from '#core/warm-up.js';
import * as prepare from '../../functions/prepare.js';
import * as trigger from '../../functions/trigger.js';
import { platformPlan } from '../statemachine/components-world.js';
import { ALL_MOCKS, executionsWorld, planVariant, runInput, sfn } from '../statemachine/support.js';

const lambda = mockClient(LambdaClient);
const ORDERS = planVariant('plans/orders.yml', (p) => p);
/** A plan without components never calls the component function: it is not warmed. */
const WITHOUT_COMPONENTS = RUN_FUNCTIONS.filter((fn) => fn !== 'component');
const NO_WARM_UP = planVariant('plans/orders.yml', (p) => ({ ...p, coldStarts: { warmUp: false } }));
const HANDLER_FILE: Record<string, string> = {
  checkLag: 'check-lag',
  promotionStatus: 'promotion-status',
  updateDns: 'update-dns',
  dnsStatus: 'dns-status',
  runEnded: 'run-ended',
};

/** No other run of the plan; the run itself is not listed yet, and described for its start date. */
const runIsItsOwn = () => {
  executionsWorld();
  sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING', startDate: new Date() } as never);
};

/** A warmer that records what it was asked to warm. */
const recordingWarmer = () => {
  const asked: string[][] = [];
  const warmer: Warmer = {
    warm: async (fns) => {
      asked.push([...fns]);
      return { warmed: [...fns], failed: [], ms: 3 };
    },
  };
  return { asked, warmer: async () => warmer };
};

describe('warm-up', () => {
  beforeEach(() => lambda.reset());
  afterEach(() => {
    for (const m of ALL_MOCKS) m.reset();
  });

  it.each(FUNCTIONS)('the %s handler answers a warm-up event before any handler logic, calling nothing', async (fn) => {
    // Prepare
    const module = (await import(`../../functions/${HANDLER_FILE[fn] ?? fn}.ts`)) as {
      handler: (event: unknown, context: unknown) => Promise<unknown>;
    };

    // Act
    const answer = await module.handler(WARM_UP_EVENT, { getRemainingTimeInMillis: () => 30_000 });

    // Assess
    expect(answer).toBe('warmup');
    for (const m of ALL_MOCKS) expect(m.calls()).toHaveLength(0);
    expect(lambda.calls()).toHaveLength(0);
  });

  it('warms exactly the functions the definition invokes after Prepare', () => {
    // Prepare: every Task's FunctionName is a GetAtt of `<Function>LambdaFunction` (serverless.yml's logical ids).
    const text = readFileSync('statemachines/failover.asl.yaml', 'utf8');
    const invoked = [...text.matchAll(/"Fn::GetAtt": \[(\w+)LambdaFunction, Arn\]/g)].map(
      (m) => `${m[1]?.charAt(0).toLowerCase()}${m[1]?.slice(1)}`,
    );

    // Assess
    expect(new Set(RUN_FUNCTIONS)).toEqual(new Set(invoked.filter((fn) => fn !== 'prepare')));
  });

  it('sends one asynchronous Invoke of the warm-up event per function of the stage, all at once', async () => {
    // Prepare
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });

    // Act
    const result = await new LambdaWarmer('prod', { lambda: () => new LambdaClient({ region: 'eu-west-1' }) }).warm(
      RUN_FUNCTIONS,
    );

    // Assess
    const sent = lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input);
    expect(sent.map((i) => i.FunctionName)).toEqual(RUN_FUNCTIONS.map((fn) => `dr-failover-prod-${fn}`));
    for (const input of sent) {
      expect(input.InvocationType).toBe('Event');
      expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual(WARM_UP_EVENT);
    }
    expect(result.warmed).toEqual([...RUN_FUNCTIONS]);
    expect(result.failed).toEqual([]);
  });

  it('never fails: a refused invoke and one that does not answer within the bound are reported, not thrown', async () => {
    // Prepare
    lambda.on(InvokeCommand).callsFake((input: { FunctionName?: string }) => {
      if (input.FunctionName === 'dr-failover-prod-fence') {
        throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
      }
      if (input.FunctionName === 'dr-failover-prod-promote') return new Promise(() => undefined);
      return { StatusCode: 202 };
    });

    // Act: on the test's clock, so the bound is checked exactly, however loaded the machine
    vi.useFakeTimers();
    let settled = false;
    let result: WarmUpResult | undefined;
    try {
      const warming = new LambdaWarmer('prod', { lambda: () => new LambdaClient({ region: 'eu-west-1' }) })
        .warm(RUN_FUNCTIONS)
        .finally(() => {
          settled = true;
        });
      await vi.advanceTimersByTimeAsync(WARM_UP_BOUND_MS - 1);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      result = await warming;
    } finally {
      vi.useRealTimers();
    }

    // Assess: the unanswered invoke is given up at the bound, not before, not after
    expect(result.failed.sort()).toEqual(['fence', 'promote']);
    expect(result.warmed).toHaveLength(RUN_FUNCTIONS.length - 2);
    expect(result.ms).toBe(WARM_UP_BOUND_MS);
  });

  it('Prepare warms the functions of the run and records it; a plan can turn it off', async () => {
    // Prepare
    runIsItsOwn();
    const on = recordingWarmer();
    const off = recordingWarmer();
    const run = (plan: typeof ORDERS, warmer: () => Promise<Warmer>) =>
      prepare.createHandler({ now: () => new Date(), plans: () => new Map([[plan.name, plan]]), warmer })(
        {
          step: 'Prepare',
          executionId: 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-dev:x',
          state: runInput(),
        },
        {} as never,
      ) as Promise<FailoverState>;

    // Act
    const warmed = await run(ORDERS, on.warmer);
    const cold = await run(NO_WARM_UP, off.warmer);

    // Assess
    expect(on.asked).toEqual([WITHOUT_COMPONENTS]);
    expect(warmed.run.warmUp).toEqual({ warmed: WITHOUT_COMPONENTS, failed: [], ms: 3 });
    expect(off.asked).toEqual([[]]);
    expect(cold.run.warmUp).toBeUndefined();
  });

  it('warms the component function only for a plan with components', async () => {
    // Prepare
    runIsItsOwn();
    const on = recordingWarmer();
    const withComponents = { ...ORDERS, name: 'ml-orders', components: platformPlan().components };
    const handler = prepare.createHandler({
      now: () => new Date(),
      plans: () => new Map([[withComponents.name, withComponents]]),
      warmer: on.warmer,
    });

    // Act
    await handler(
      {
        step: 'Prepare',
        executionId: 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-dev:c',
        state: runInput({ plan: 'ml-orders' }),
      },
      {} as never,
    );

    // Assess
    expect(on.asked).toEqual([[...RUN_FUNCTIONS]]);
    expect(RUN_FUNCTIONS).toContain('component');
  });

  it('warms the component function for a plan with the model-artifact check and no components', () => {
    // Prepare
    const artifacts = {
      registry: { host: 'registry.internal', port: 5432, database: 'mlflow', credentials: { env: 'REGISTRY' } },
      query: 'SELECT 1',
      buckets: { 'models-us': 'models-eu' },
      maxArtifacts: 10,
      onMissing: 'block' as const,
    };

    // Act
    const warmed = functionsToWarm({ ...ORDERS, artifacts }, false);

    // Assess
    expect(warmed).toEqual([...RUN_FUNCTIONS]);
    expect(functionsToWarm(ORDERS, false)).toEqual(WITHOUT_COMPONENTS);
  });

  it('Prepare goes on when the warm-up cannot even start', async () => {
    // Prepare
    runIsItsOwn();
    const handler = prepare.createHandler({
      now: () => new Date(),
      plans: () => new Map([[ORDERS.name, ORDERS]]),
      warmer: async () => {
        throw new Error('no Lambda client');
      },
    });

    // Act
    const state = (await handler(
      {
        step: 'Prepare',
        executionId: 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-dev:y',
        state: runInput(),
      },
      {} as never,
    )) as FailoverState;

    // Assess
    expect(state.plan.name).toBe('orders');
    expect(state.run.warmUp).toBeUndefined();
  });

  it('the trigger warms Prepare and the run functions with StartExecution', async () => {
    // Prepare
    executionsWorld();
    sfn.on(StartExecutionCommand).resolves({
      executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-dev:z',
      startDate: new Date(),
    });
    const { asked, warmer } = recordingWarmer();
    const { executionsOf } = await import('#adapters/sfn/index.js');
    const start = trigger.createHandler({
      plans: () => new Map([[ORDERS.name, ORDERS]]),
      now: () => new Date(),
      executions: () => executionsOf('arn:aws:states:eu-west-1:111122223333:stateMachine:dr-failover-dev'),
      warmer,
    });
    const now = new Date().toISOString();

    // Act
    const result = await start(
      {
        source: 'aws.cloudwatch',
        'detail-type': 'CloudWatch Alarm State Change',
        time: now,
        region: 'eu-west-1',
        account: '111122223333',
        resources: [`arn:aws:cloudwatch:eu-west-1:111122223333:alarm:${ORDERS.trigger.alarms[0]}`],
        detail: { alarmName: ORDERS.trigger.alarms[0], state: { value: 'ALARM', reason: 'down', timestamp: now } },
      },
      {} as never,
    );

    // Assess
    expect(result).toMatchObject({ outcome: 'started' });
    expect(asked).toEqual([['prepare', ...WITHOUT_COMPONENTS]]);
  });
});
