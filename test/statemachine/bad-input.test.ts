/**
 * Bad input, end to end: every row of test/fixtures/bad-input.ts goes through the real Prepare handler (the
 * middy-wrapped Lambda entry point) with every AWS client mocked, and a subset through the whole state machine.
 * Each must be refused with the named error naming its field, and no mutating command may reach any client.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { InvalidInputError, PlanValidationError } from '#core/errors.js';
import type { Plan } from '#core/plan.js';
import { loadPlanCatalog, loadPlanFile } from '#lib/plan-catalog.js';
import * as prepare from '../../functions/prepare.js';
import {
  BAD_INPUTS,
  BAD_PLANS,
  type BadInputRow,
  type BadPlanRow,
  GOOD_INPUT,
  minimalPlan,
} from '../fixtures/bad-input.js';
import {
  ALL_MOCKS,
  auroraWorld,
  eventBridge,
  execute,
  lagMetrics,
  mutatingCommandsSent,
  notifyWorld,
  route53World,
  sentCommands,
  sns,
} from './support.js';

const NOW = new Date('2026-11-25T03:20:00Z');
const REGION = 'eu-west-1';
const orders = loadPlanFile('plans/orders.yml');

const context = (): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'dr-failover-test-prepare',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:dr-failover-test-prepare',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/dr-failover-test-prepare',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 15_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/** The real Prepare handler, as deployed in eu-west-1, over a plan catalogue. */
const prepareOver = (plans: () => ReadonlyMap<string, Plan>) =>
  prepare.createHandler({ now: () => NOW, plans, region: REGION });

const invoke = async (handler: ReturnType<typeof prepareOver>, state: unknown): Promise<Error> => {
  try {
    await handler(
      { step: 'Prepare', executionId: 'arn:aws:states:eu-west-1:111122223333:execution:x:y', state },
      context(),
    );
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected Prepare to refuse the input, but it returned a state');
};

/** Rows Prepare refuses only once it sees the deployed plans, the stack's region and the clock. */
const PREPARE_ROWS: readonly BadInputRow[] = [
  { what: 'an unknown plan', field: 'plan', build: (raw) => ({ ...raw, plan: 'payments' }) },
  { what: 'a plan deployed for another region', field: 'plan', build: (raw) => ({ ...raw, plan: 'feature-store' }) },
  {
    what: 'a game day that is not a dry run',
    field: 'dryRun',
    build: (raw) => ({ ...raw, dryRun: false, trigger: { kind: 'schedule', source: 'orders-gameday' } }),
  },
  {
    what: 'an incident that starts tomorrow',
    field: 'incidentStartedAt',
    build: (raw) => ({ ...raw, incidentStartedAt: '2026-11-26T03:20:00Z' }),
  },
];

const INPUT_ROWS = [...BAD_INPUTS, ...PREPARE_ROWS];

/** A representative subset that also runs through the whole state machine: one or more of each kind. */
const STATE_MACHINE_INPUTS = new Set([
  'no mode',
  'an unknown field',
  'dryRun as a string',
  'a 1 MB reason',
  'an escape sequence in requestedBy',
  'a right-to-left override in requestedBy',
  'hour 25',
  'a plan with a path',
  'an unknown plan',
  'an incident that starts tomorrow',
]);
const STATE_MACHINE_PLANS = new Set([
  'no accountId',
  'target of another account',
  'dns.ttl above a day',
  'dns.recordName outside the zone',
  'inline credentials instead of a secret reference',
]);

/** The rows named, in table order: a name that matches no row (a row renamed) fails the file instead of dropping out. */
const pick = <R extends { what: string }>(rows: readonly R[], names: ReadonlySet<string>): R[] => {
  const unknown = [...names].filter((name) => !rows.some((r) => r.what === name));
  if (unknown.length > 0) throw new Error(`no bad-input row named: ${unknown.join('; ')}`);
  return rows.filter((r) => names.has(r.what));
};

const expectNothingChanged = () => {
  expect(mutatingCommandsSent()).toEqual([]);
};

afterEach(() => {
  for (const m of ALL_MOCKS) m.reset();
});

describe('bad execution inputs through the real Prepare handler', () => {
  const catalog = new Map<string, Plan>([
    ['orders', orders],
    ['feature-store', loadPlanFile('plans/feature-store.yml')],
  ]);
  const handler = prepareOver(() => catalog);

  it('has at least 30 rows', () => {
    expect(INPUT_ROWS.length).toBeGreaterThanOrEqual(30);
  });

  it('accepts the good input the rows are made from (so each row fails for its own reason)', async () => {
    // Act
    const state = await handler(
      { step: 'Prepare', executionId: 'arn:aws:states:eu-west-1:111122223333:execution:x:y', state: { ...GOOD_INPUT } },
      context(),
    );

    // Assess
    expect(state).toMatchObject({ input: GOOD_INPUT, plan: { name: 'orders' } });
  });

  it.each(INPUT_ROWS.map((r) => [r.what, r] as const))(
    'refuses %s with InvalidInputError naming the field, sending no AWS command',
    async (_what, row) => {
      // Prepare
      const state = row.build({ ...GOOD_INPUT });

      // Act
      const error = (await invoke(handler, state)) as InvalidInputError;

      // Assess
      expect(error.name).toBe('InvalidInputError');
      expect(error.field).toBe(row.field);
      expect(error.message.startsWith(`${row.field}: `)).toBe(true);
      // Short, whatever the input's size: the message travels into the state, the logs and the notifications.
      expect(error.message.length).toBeLessThan(300);
      expect(sentCommands()).toEqual([]);
      expectNothingChanged();
    },
  );
});

describe('bad plans through the plan loader and the real Prepare handler', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'dr-bad-plans-'));
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  /** A plans folder as deployed: the bad plan written as YAML beside a good one. */
  const plansDir = (row: BadPlanRow, index: number): string => {
    const dir = join(root, String(index));
    mkdirSync(dir);
    writeFileSync(join(dir, 'orders.yml'), stringify(row.build(minimalPlan())));
    writeFileSync(join(dir, 'payments.yml'), stringify({ ...minimalPlan(), name: 'payments' }));
    return dir;
  };

  it('has at least 20 rows', () => {
    expect(BAD_PLANS.length).toBeGreaterThanOrEqual(20);
  });

  it.each(BAD_PLANS.map((r, i) => [r.what, r, i] as const))(
    'refuses %s with PlanValidationError naming the field, sending no AWS command',
    async (_what, row, index) => {
      // Prepare: the catalogue is loaded at the first invocation, as deployedPlans does at cold start.
      const dir = plansDir(row, index);
      const handler = prepareOver(() => loadPlanCatalog(dir));

      // Act
      const error = (await invoke(handler, { ...GOOD_INPUT })) as PlanValidationError;

      // Assess
      expect(error.name).toBe('PlanValidationError');
      expect(error.message).toContain(join(dir, 'orders.yml'));
      expect(error.issues.map((i) => i.path)).toContain(row.field);
      expect(error.message).toContain(`${row.field}: `);
      expect(error.message.length).toBeLessThan(2000);
      expect(sentCommands()).toEqual([]);
      expectNothingChanged();
    },
  );
});

describe('bad input through the whole state machine', () => {
  beforeEach(() => {
    // A world in which a run that got past Prepare would fail over for real.
    notifyWorld();
    lagMetrics(() => 1_000);
    auroraWorld();
    route53World();
  });

  const catalog = new Map<string, Plan>([
    ['orders', orders],
    ['feature-store', loadPlanFile('plans/feature-store.yml')],
  ]);

  it.each(pick(INPUT_ROWS, STATE_MACHINE_INPUTS).map((r) => [r.what, r] as const))(
    'ends %s in Prepare with InvalidInputError, announces it, and changes nothing',
    async (_what, row) => {
      // Act
      const run = await execute(row.build({ ...GOOD_INPUT }), {
        handlers: { prepare: prepareOver(() => catalog) },
      });

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe('InvalidInputError');
      expect(run.cause).toContain(`${row.field}: `);
      expect(run.visited).toEqual(['Prepare', 'NotifyFailed', 'Failed']);
      expectNothingChanged();
      // The only commands sent: the Failover Failed announcement, on the bus and (when a topic is set) to people.
      expect(new Set(sentCommands())).toStrictEqual(new Set([PutEventsCommand.name]));
      expect(eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.DetailType).toBe(
        'Failover Failed',
      );
      expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    },
  );

  it('fails a run whose input is not an object in Prepare, changing nothing and sending nothing', async () => {
    // Step Functions cannot attach `$.error` to a non-object state (Prepare's Catch has ResultPath $.error), so
    // such a run ends in States.Runtime there, before NotifyFailed. The console, the CLI and the trigger only send
    // objects.
    // Act
    const run = await execute(null, { handlers: { prepare: prepareOver(() => catalog) } });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('States.Runtime');
    expect(run.visited).toEqual(['Prepare']);
    expect(sentCommands()).toEqual([]);
  });

  it.each(pick(BAD_PLANS, STATE_MACHINE_PLANS).map((r) => [r.what, r] as const))(
    'ends a run over a catalogue with %s in Prepare with PlanValidationError, and changes nothing',
    async (_what, row) => {
      // Prepare
      const dir = mkdtempSync(join(tmpdir(), 'dr-bad-plan-run-'));
      writeFileSync(join(dir, 'orders.yml'), stringify(row.build(minimalPlan())));

      try {
        // Act
        const run = await execute(
          { ...GOOD_INPUT, incidentStartedAt: new Date().toISOString() },
          {
            handlers: { prepare: prepare.createHandler({ now: () => new Date(), plans: () => loadPlanCatalog(dir) }) },
          },
        );

        // Assess
        expect(run.status).toBe('FAILED');
        expect(run.error).toBe('PlanValidationError');
        expect(run.cause).toContain(`${row.field}: `);
        expect(run.visited).toEqual(['Prepare', 'NotifyFailed', 'Failed']);
        expectNothingChanged();
        expect(new Set(sentCommands())).toStrictEqual(new Set([PutEventsCommand.name]));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
