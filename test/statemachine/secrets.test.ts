/**
 * No secret leaves a step: a database password, in each form it reaches dr-failover (a connection URL, a libpq
 * key=value string, a JSON credentials document), is fed through every path that logs or notifies: the step
 * handler's error log (an adapter error with its cause), the state's `$.error.Cause` and the execution history,
 * the EventBridge detail and the SNS message of Failed, Aborted and Succeeded, and the drill's local notifier.
 * The password must appear nowhere.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { FailoverGlobalClusterCommand, RDSServiceException } from '@aws-sdk/client-rds';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { powertoolsReadinessMetrics } from '#adapters/metrics/index.js';
import { LocalNotifier } from '#adapters/notify/local.js';
import { ConfigurationError, DatabaseUnreachableError } from '#core/errors.js';
import type { FailoverState } from '#core/state.js';
import { buildEvent } from '#core/steps/notify.js';
import { logger } from '#lib/logger.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { stepHandler } from '#lib/step-handler.js';
import * as notify from '../../functions/notify.js';
import * as readiness from '../../functions/readiness.js';
import * as trigger from '../../functions/trigger.js';
import {
  ALL_MOCKS,
  auroraWorld,
  eventBridge,
  execute,
  lagMetrics,
  notifyWorld,
  rds,
  route53World,
  runInput,
  sns,
} from './support.js';

// The logger reads its level once, at construction (test/setup.ts silences it): this file reads what it prints.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
});

const PASSWORD = 'S3cr3t-pw';
const SECRETS = [
  ['a connection URL', `postgres://app:${PASSWORD}@db.orders.example.internal:5432/orders`],
  ['a libpq key=value string', `host=db.orders.example.internal user=app password=${PASSWORD} dbname=orders`],
  ['a JSON credentials document', JSON.stringify({ username: 'app', password: PASSWORD })],
] as const;

const orders = loadPlanFile('plans/orders.yml');

const context = (): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'dr-failover-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:dr-failover-test',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/dr-failover-test',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 25_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/** Everything the logger prints, while it prints at INFO. */
let printed: string[];
let writes: MockInstance[];

beforeEach(() => {
  printed = [];
  const capture = (chunk: unknown) => {
    printed.push(String(chunk));
    return true;
  };
  // The logger prints through its own Console (over stdout/stderr, bound at construction): watch that one.
  const sink = (logger as unknown as { console: Console }).console;
  writes = (['error', 'warn', 'info', 'debug', 'log'] as const).map((level) =>
    vi.spyOn(sink, level).mockImplementation((line: unknown) => {
      capture(line);
    }),
  );
});

afterEach(() => {
  for (const w of writes) w.mockRestore();
  for (const m of ALL_MOCKS) m.reset();
});

/** Every text a person or another system could read from the notifications sent. */
const notified = (): string[] => [
  ...eventBridge.commandCalls(PutEventsCommand).map((c) => JSON.stringify(c.args[0].input)),
  ...sns.commandCalls(PublishCommand).map((c) => JSON.stringify(c.args[0].input)),
];

/** A run's state well advanced, with the secret wherever free text reaches it. */
const stateWith = (secret: string): FailoverState =>
  ({
    input: {
      plan: 'orders',
      mode: 'unplanned',
      dryRun: false,
      overrideCooldown: false,
      reason: `writer down; tried ${secret}`,
      requestedBy: 'oncall:ana',
      incidentStartedAt: '2026-11-25T03:00:00.000Z',
      trigger: { kind: 'manual', source: `cli ${secret}` },
    },
    plan: orders,
    run: {
      executionId: 'arn:aws:states:eu-west-1:111122223333:execution:dr:x',
      startedAt: '2026-11-25T03:00:05.000Z',
      approvalRequired: false,
    },
    timeline: [
      {
        step: 'Fence',
        startedAt: '2026-11-25T03:00:06.000Z',
        endedAt: '2026-11-25T03:00:07.000Z',
        outcome: `old primary unreachable at ${secret}`,
      },
    ],
    lag: {
      reading: { seconds: 1, observedAt: '2026-11-25T03:00:06.000Z', source: 'AuroraGlobalDBRPOLag' },
      checks: 1,
      decision: 'within-rpo',
      reason: `lag 1 s within RPO 30 s (${secret})`,
    },
    fence: { outcome: 'skipped', detail: `could not connect: ${secret}` },
  }) as unknown as FailoverState;

/** A Lambda error as Step Functions stores it in `$.error`: errorMessage and the stack trace. */
const lambdaError = (name: string, message: string) => ({
  Error: name,
  Cause: JSON.stringify({ errorType: name, errorMessage: message, trace: [`${name}: ${message}`, '    at x'] }),
});

describe.each(SECRETS)('a password in %s', (_form, secret) => {
  it('is redacted from the error log, $.error.Cause, the history and the Failed notification of a real run', async () => {
    // Prepare: Aurora refuses the failover with an error message that echoes the secret.
    notifyWorld();
    lagMetrics(() => 1_000);
    auroraWorld();
    route53World();
    rds.on(FailoverGlobalClusterCommand).rejects(
      new RDSServiceException({
        name: 'InvalidParameterValue',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: `bad endpoint ${secret}`,
      }),
    );

    // Act
    const run = await execute(runInput({ reason: `drill with ${secret}` }));

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AwsRequestFailedError');
    expect(run.cause).toContain('[REDACTED]');
    // The execution's own input keeps what was sent (ExecutionStarted, Prepare's input); from Prepare's output on,
    // the state carries the reason redacted.
    const prepareExited = run.events.findIndex(
      (e) => e.type === 'StateExited' && (e as { state?: { name?: string } }).state?.name === 'Prepare',
    );
    expect(prepareExited).toBeGreaterThan(0);
    const everything = [
      run.cause ?? '',
      JSON.stringify((run.events[prepareExited] as { state?: { output?: unknown } }).state?.output),
      JSON.stringify(run.events.slice(prepareExited + 1)),
      JSON.stringify(run.output ?? null),
      ...notified(),
      ...printed,
    ];
    expect(printed.join('\n')).toContain('step failed');
    expect(notified().length).toBeGreaterThan(0);
    for (const text of everything) expect(text).not.toContain(PASSWORD);
  });

  it('is redacted from the step error log and the error that leaves the handler, cause included', async () => {
    // Prepare: an adapter error whose message and cause carry the secret, as a driver would report it.
    const handler = stepHandler(async () => {
      throw new DatabaseUnreachableError(`cannot reach ${secret}`, { cause: new Error(`ECONNREFUSED ${secret}`) });
    });

    // Act
    const error = await handler({ step: 'Fence', executionId: 'x', state: {} }, context()).catch((e: Error) => e);

    // Assess: what the Lambda runtime serialises (name, message, stack) and what was logged.
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    expect((error as Error).name).toBe('DatabaseUnreachableError');
    expect((error as Error).message).toContain('[REDACTED]');
    expect((error as Error).message).not.toContain(PASSWORD);
    expect((error as Error).stack ?? '').not.toContain(PASSWORD);
    expect(printed.join('\n')).toContain('DatabaseUnreachableError');
    expect(printed.join('\n')).not.toContain(PASSWORD);
  });

  it.each([
    [
      'trigger',
      () =>
        trigger.createHandler({
          plans: () => new Map(),
          now: () => new Date(),
          executions: () => {
            throw new ConfigurationError(`cannot build the client: ${secret}`);
          },
        }),
    ],
    [
      'readiness',
      () =>
        readiness.createHandler({
          plans: () => {
            throw new ConfigurationError(`cannot load plans: ${secret}`);
          },
          now: () => new Date(),
          stack: () => ({ stage: 'test', stateMachineArn: 'x', triggerFunctionArn: 'y', functionNames: [] }),
          probes: async () => {
            throw new Error('not reached');
          },
          notifier: async () => new LocalNotifier(),
          metrics: powertoolsReadinessMetrics(new Metrics({ namespace: 'DrFailover', serviceName: 'dr-failover' })),
        }),
    ],
  ])('is redacted from the error the %s entry point returns and from its log', async (_name, make) => {
    // Prepare
    const handler = make() as unknown as (event: unknown, context: Context) => Promise<unknown>;

    // Act
    const error = (await handler({ kind: 'readiness', plan: 'orders' }, context()).catch((e: Error) => e)) as Error;

    // Assess
    expect(error.name).toBe('ConfigurationError');
    expect(error.message).toContain('[REDACTED]');
    for (const text of [error.message, error.stack ?? '', ...printed]) expect(text).not.toContain(PASSWORD);
    expect(printed.join('\n')).toContain('ConfigurationError');
  });

  it.each([
    ['NotifyFailed', 'Failover Failed'],
    ['NotifyAborted', 'Failover Aborted'],
    ['NotifySucceeded', 'Failover Succeeded'],
    ['NotifyStarted', 'Failover Started'],
  ])('is redacted from the EventBridge detail and the SNS message of %s', async (step, type) => {
    // Prepare
    notifyWorld();
    const state = {
      ...stateWith(secret),
      ...(step === 'NotifySucceeded'
        ? { dns: { recordName: 'db.orders.example.internal', target: secret, status: 'insync' } }
        : { error: lambdaError('FenceFailedError', `could not fence ${secret}`) }),
    };

    // Act
    await notify.handler({ step, executionId: state.run.executionId, state } as never, context());

    // Assess
    expect(eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.DetailType).toBe(type);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    for (const text of notified()) expect(text).not.toContain(PASSWORD);
    expect(notified().join('\n')).toContain('[REDACTED]');
  });

  it('is redacted from what the drill’s local notifier keeps, writes and hands on', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'dr-secrets-'));
    const handed: string[] = [];
    const notifier = new LocalNotifier({
      file: join(dir, 'events.jsonl'),
      onEvent: (e) => {
        handed.push(JSON.stringify(e));
      },
    });
    const state = { ...stateWith(secret), error: lambdaError('PromotionFailedError', `refused: ${secret}`) };

    try {
      // Act
      for (const step of ['NotifyStarted', 'NotifyFailed', 'NotifyAborted', 'NotifySucceeded']) {
        await notifier.publish(buildEvent(step, 'x', state, new Date('2026-11-25T03:05:00Z')));
      }

      // Assess
      const texts = [readFileSync(join(dir, 'events.jsonl'), 'utf8'), JSON.stringify(notifier.events), ...handed];
      for (const text of texts) expect(text).not.toContain(PASSWORD);
      // The secret reached each of them, redacted.
      for (const text of texts) expect(text).toContain('[REDACTED]');
      expect(handed).toHaveLength(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
