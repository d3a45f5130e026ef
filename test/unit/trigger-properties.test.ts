/**
 * The trigger and Prepare must agree: property tests over generated "CloudWatch Alarm State Change" events
 * (test/fixtures/alarm-events.ts). Both real handlers run against one mocked Step Functions, one plan catalogue and
 * one clock. Run counts are fixed; on a failure fast-check prints the seed and path that replay it
 * (`fc.assert(property, { seed, path })`).
 */
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  type StartExecutionCommandInput,
} from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StepFunctionsExecutions } from '#adapters/sfn/executions.js';
import { InvalidInputError } from '#core/errors.js';
import { type ExecutionInput, MAX_INCIDENT_AGE_SECONDS } from '#core/input.js';
import { type Plan, type PlanInput, parsePlan } from '#core/plan.js';
import type { FailoverState } from '#core/state.js';
import { buildEvent } from '#core/steps/notify.js';
import { logger } from '#lib/logger.js';
import { loadPlanCatalog, loadPlanFile } from '#lib/plan-catalog.js';
import { createHandler as createPrepare } from '../../functions/prepare.js';
import { createHandler as createTrigger } from '../../functions/trigger.js';
import { type AlarmEventSpec, alarmEventAt, anyAlarmEvent, planAlarmEvent } from '../fixtures/alarm-events.js';

const sfn = mockClient(SFNClient);

afterEach(() => {
  sfn.reset();
  vi.restoreAllMocks();
});

/** Each run drives real handlers: enough runs to find the edges, few enough to stay well inside the test timeout. */
const RUNS = 300;
const TIMEOUT_MS = 60_000;
const MAX_INCIDENT_AGE_MS = MAX_INCIDENT_AGE_SECONDS * 1000;

const ACCOUNT = '111122223333';

/** The example plans, and one whose alarm names and window stretch what the plan schema allows. */
const edgePlan = (): Plan => {
  const raw = structuredClone(loadPlanFile('plans/orders.yml')) as PlanInput;
  return parsePlan(
    {
      ...raw,
      name: 'ledger-archive-eu-replica-0001',
      trigger: {
        ...raw.trigger,
        alarms: ['A'.repeat(255), 'ledger: writes #1 / p99 @ primary = down+', 'x', 'a  b'],
        windowMinutes: 1,
      },
    },
    'edge plan',
  );
};
const catalogue: ReadonlyMap<string, Plan> = new Map([
  ...loadPlanCatalog('plans'),
  [edgePlan().name, edgePlan()] as const,
]);

/** The clock both functions read. */
const clock = fc.date({
  min: new Date('2024-01-01T00:00:00Z'),
  max: new Date('2035-12-31T00:00:00Z'),
  noInvalidDate: true,
});

const stateMachineArn = (region: string) => `arn:aws:states:${region}:${ACCOUNT}:stateMachine:dr-failover-dev`;

const context = (): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'dr-failover-dev-trigger',
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:dr-failover-dev-trigger`,
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/dr-failover-dev-trigger',
  logStreamName: '2026/11/25/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

interface Started {
  executionArn: string;
  input: string;
}

/**
 * Step Functions as the trigger and Prepare see it, empty at the start of every run: StartExecution records the
 * execution, ListExecutions shows what was started as RUNNING, DescribeExecution its input. The mock's answers are
 * set once per test (sinon keeps every fake it is given) and read the world of the current run.
 */
const world = { now: new Date(0), started: new Map<string, Started>() };

beforeEach(() => {
  sfn.on(StartExecutionCommand).callsFake(async (req: StartExecutionCommandInput) => {
    const name = req.name ?? '';
    const executionArn = `${req.stateMachineArn?.replace(':stateMachine:', ':execution:')}:${name}`;
    world.started.set(name, { executionArn, input: req.input ?? '' });
    return { executionArn, startDate: world.now };
  });
  sfn.on(ListExecutionsCommand).callsFake(async ({ stateMachineArn }: { stateMachineArn: string }) => ({
    executions: [...world.started.entries()].map(([name, e]) => ({
      executionArn: e.executionArn,
      stateMachineArn,
      name,
      status: 'RUNNING' as const,
      startDate: world.now,
    })),
  }));
  sfn.on(DescribeExecutionCommand).callsFake(async ({ executionArn }: { executionArn: string }) => {
    const e = [...world.started.values()].find((s) => s.executionArn === executionArn);
    return { executionArn, status: 'RUNNING', startDate: world.now, ...(e ? { input: e.input } : {}) };
  });
});

/** A new run: no executions yet, no calls recorded, the clock at `now`. */
const stepFunctions = (now: Date): Map<string, Started> => {
  sfn.resetHistory();
  world.now = now;
  world.started = new Map();
  return world.started;
};

/** The trigger of the stack in `region` (EventBridge delivers an alarm's events in its own region). */
const trigger = (now: Date, region: string) =>
  createTrigger({
    plans: () => catalogue,
    now: () => now,
    executions: () => new StepFunctionsExecutions(stateMachineArn(region)),
  });

/** Prepare of the stack in `region`, on the same catalogue and clock. */
const prepare = (now: Date, region: string) => createPrepare({ now: () => now, plans: () => catalogue, region });

/** A field of the event removed, or given a value of another type. */
const mangle = (spec: AlarmEventSpec) =>
  fc
    .tuple(
      fc.constantFrom(
        ['resources'],
        ['time'],
        ['account'],
        ['region'],
        ['detail'],
        ['detail', 'state'],
        ['detail', 'state', 'reason'],
        ['detail', 'state', 'timestamp'],
        ['detail', 'previousState'],
        ['detail', 'previousState', 'value'],
      ),
      fc.option(fc.anything({ maxDepth: 1 }), { nil: undefined }),
    )
    .map(([path, value]) => ({ spec, path, value }));

const withField = (event: Record<string, unknown>, path: readonly string[], value: unknown) => {
  const copy = structuredClone(event);
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== 'object' || at[key] === null) return copy;
    at = at[key] as Record<string, unknown>;
  }
  const last = path.at(-1) ?? '';
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
};

describe('the trigger, over generated alarm state changes', () => {
  it(
    '(a) never throws: it starts a run, or declines and logs why',
    async () => {
      const info = vi.spyOn(logger, 'info').mockImplementation(() => undefined);
      await fc.assert(
        fc.asyncProperty(anyAlarmEvent(catalogue), clock, async (spec, now) => {
          // Prepare
          stepFunctions(now);
          info.mockClear();

          // Act
          const result = await trigger(now, spec.region)(alarmEventAt(spec, now), context());

          // Assess
          if (result.outcome === 'ignored' || result.outcome === 'blocked') {
            expect(result.reason.trim()).not.toBe('');
            expect(info).toHaveBeenCalledWith(
              `event ${result.outcome}`,
              expect.objectContaining({ reason: result.reason }),
            );
          } else {
            expect(result.outcome).toBe('started');
            expect(info).toHaveBeenCalledWith('failover started', expect.objectContaining({ plan: result.plan }));
          }
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    '(a) never throws when a field is missing or of another type',
    async () => {
      vi.spyOn(logger, 'info').mockImplementation(() => undefined);
      await fc.assert(
        fc.asyncProperty(planAlarmEvent(catalogue).chain(mangle), clock, async ({ spec, path, value }, now) => {
          // Prepare
          stepFunctions(now);
          const event = withField(alarmEventAt(spec, now), path, value);

          // Act
          const result = await trigger(now, spec.region)(event, context());

          // Assess
          expect(['started', 'ignored', 'blocked']).toContain(result.outcome);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    '(b) starts only runs that Prepare accepts, on the same schema, plan catalogue and clock',
    async () => {
      vi.spyOn(logger, 'info').mockImplementation(() => undefined);
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(planAlarmEvent(catalogue), clock, async (spec, now) => {
          // Prepare
          const started = stepFunctions(now);
          const result = await trigger(now, spec.region)(alarmEventAt(spec, now), context());
          const run = [...started.values()][0];
          if (result.outcome !== 'started' || !run) return;
          const input = JSON.parse(run.input) as ExecutionInput;

          // Act
          const state = await prepare(now, spec.region)(
            { step: 'Prepare', executionId: run.executionArn, state: input },
            context(),
          );

          // Assess
          expect(state.plan.name).toBe(result.plan);
          expect(state.input.incidentStartedAt).toBe(input.incidentStartedAt);
          accepted += 1;
        }),
        { numRuns: RUNS },
      );
      // Most generated events start a run (the rest are too old): the property is not true for want of cases.
      expect(accepted).toBeGreaterThan(RUNS / 2);
    },
    TIMEOUT_MS,
  );

  it(
    '(c) never starts a run for an incident older than 24 h',
    async () => {
      vi.spyOn(logger, 'info').mockImplementation(() => undefined);
      let stale = 0;
      await fc.assert(
        fc.asyncProperty(planAlarmEvent(catalogue), clock, async (spec, now) => {
          // Prepare
          const started = stepFunctions(now);

          // Act
          const result = await trigger(now, spec.region)(alarmEventAt(spec, now), context());

          // Assess
          for (const run of started.values()) {
            const input = JSON.parse(run.input) as ExecutionInput;
            expect(now.getTime() - Date.parse(input.incidentStartedAt)).toBeLessThanOrEqual(MAX_INCIDENT_AGE_MS);
          }
          if (result.outcome === 'ignored' && result.reason.includes('stale')) stale += 1;
        }),
        { numRuns: RUNS },
      );
      // The generated times reach past the bound often enough to test it.
      expect(stale).toBeGreaterThan(RUNS / 10);
    },
    TIMEOUT_MS,
  );
});

describe('Prepare, over incidents that started implausibly long ago', () => {
  it(
    '(c) refuses one with InvalidInputError naming incidentStartedAt before any call, and no RTO is reported from it',
    async () => {
      const plans = [...catalogue.values()];
      await fc.assert(
        fc.asyncProperty(
          clock,
          fc.integer({ min: MAX_INCIDENT_AGE_MS + 1, max: 10 * 365 * MAX_INCIDENT_AGE_MS }),
          fc.constantFrom(...plans),
          fc.constantFrom('alarm', 'manual'),
          async (now, ageMs, plan, kind) => {
            // Prepare
            stepFunctions(now);
            const input = {
              plan: plan.name,
              mode: 'unplanned',
              reason: 'writer unreachable',
              requestedBy: kind === 'alarm' ? 'alarm:orders-db-primary-unhealthy' : 'alice@example.com',
              incidentStartedAt: new Date(now.getTime() - ageMs).toISOString(),
              trigger: { kind, source: kind === 'alarm' ? 'arn:aws:cloudwatch:x' : 'cli' },
            };
            const executionArn = `arn:aws:states:${plan.regions.standby}:${ACCOUNT}:execution:dr-failover-dev:run`;

            // Act
            const error = await prepare(now, plan.regions.standby)(
              { step: 'Prepare', executionId: executionArn, state: input },
              context(),
            ).then(
              () => undefined,
              (e: unknown) => e,
            );

            // Assess
            expect(error).toBeInstanceOf(InvalidInputError);
            expect((error as InvalidInputError).field).toBe('incidentStartedAt');
            expect(sfn).not.toHaveReceivedAnyCommand();
            // The state machine's Catch hands NotifyFailed the run's input with the error ($.error).
            const failed = { ...input, error: { Error: 'InvalidInputError', Cause: (error as Error).message } };
            const notification = buildEvent(
              'NotifyFailed',
              executionArn,
              failed as unknown as Partial<FailoverState>,
              now,
            );
            expect(notification.detail.measures).toEqual({});
            expect(notification.summary).not.toMatch(/RTO/);
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );
});
