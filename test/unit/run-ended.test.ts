/**
 * Every run that ends is notified: the run-ended function, on the stack's rule over its state machine's status
 * changes, notifies the runs that end where no Catch sees them (stopped, timed out, failed outside the steps) and
 * leaves alone the ones the state machine notified itself. Histories are real runs of the real definition.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { notifierFor } from '#adapters/notify/index.js';
import { runHistory } from '#adapters/sfn/index.js';
import { historyFromLocalEvents } from '#lab/local-history.js';
import { loadDefinition } from '#lab/state-machine.js';
import { loadPlanCatalog } from '#lib/plan-catalog.js';
import { createHandler } from '../../functions/run-ended.js';
import {
  ALL_MOCKS,
  auroraWorld,
  eventBridge,
  execute,
  lagMetrics,
  notifyWorld,
  route53World,
  runInput,
  sfn,
  sns,
} from '../statemachine/support.js';
import { until } from './cli/support.js';

const ARN = 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-dev:orders-manual-20261125T0315Z';
const plans = loadPlanCatalog('plans');
const handler = createHandler({
  now: () => new Date(),
  history: runHistory,
  notifier: notifierFor,
  plans: () => plans,
});

const statusChange = (status: string, extra: Record<string, unknown> = {}) => ({
  version: '0',
  source: 'aws.states',
  'detail-type': 'Step Functions Execution Status Change',
  detail: { executionArn: ARN, status, ...extra },
});

/** GetExecutionHistory of `events`, newest first as the function asks (reverseOrder), 200 a page. */
const serveHistory = (events: HistoryEvent[]) => {
  const newestFirst = [...events].reverse();
  sfn.on(GetExecutionHistoryCommand).callsFake((req: { nextToken?: string; reverseOrder?: boolean }) => {
    expect(req.reverseOrder).toBe(true);
    const from = Number(req.nextToken ?? 0);
    return {
      events: newestFirst.slice(from, from + 200),
      ...(from + 200 < newestFirst.length ? { nextToken: String(from + 200) } : {}),
    };
  });
};

const recorded = async (input: unknown) =>
  historyFromLocalEvents((await execute(input)).events, { definition: loadDefinition() });

const published = () =>
  eventBridge.commandCalls(PutEventsCommand).map((c) => {
    const entry = c.args[0].input.Entries?.[0];
    return { type: entry?.DetailType, bus: entry?.EventBusName, detail: JSON.parse(entry?.Detail ?? '{}') };
  });

describe('run-ended: runs that end outside the Catch are notified', () => {
  beforeEach(() => {
    notifyWorld();
    lagMetrics(() => 2_000);
    auroraWorld();
    route53World();
  });
  afterEach(() => {
    for (const m of ALL_MOCKS) m.reset();
  });

  it('a run stopped while switching DNS: Failover Stopped, with the standby promoted and the step under way', async () => {
    // Prepare
    const history = await recorded(runInput());
    eventBridge.resetHistory();
    sns.resetHistory();
    serveHistory(until(history, 'TaskStateEntered', 'UpdateDns'));

    // Act
    const result = await handler(
      statusChange('ABORTED', { error: 'StoppedByOperator', cause: 'wrong plan (by cli:ana)' }),
      {} as never,
    );

    // Assess
    expect(result).toEqual({ outcome: 'notified', type: 'Failover Stopped', plan: 'orders' });
    const [event] = published();
    expect(event?.type).toBe('Failover Stopped');
    expect(event?.bus).toBe(plans.get('orders')?.notify.eventBus);
    expect(event?.detail.summary).toMatch(
      /^STOPPED unplanned failover of orders \(us-east-1 → eu-west-1\): wrong plan \(by cli:ana\)$/,
    );
    expect(event?.detail.detail.stateOfTheWorld).toEqual([
      expect.stringMatching(/^Database: the standby in eu-west-1 IS promoted and writable/),
      expect.stringMatching(/^DNS: not changed by this run/),
      expect.stringMatching(/^Old primary: /),
      'UpdateDns was under way when the run ended: what it asked for may still happen; check before acting.',
    ]);
    expect(event?.detail.detail.nextSteps).toMatch(
      /^The standby IS promoted and writable, but the DNS record still points/,
    );
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it('a run that outlasted the state machine timeout: Failover Failed, States.Timeout', async () => {
    // Prepare
    const history = await recorded(runInput());
    eventBridge.resetHistory();
    serveHistory(until(history, 'TaskStateEntered', 'CheckLag'));

    // Act
    const result = await handler(statusChange('TIMED_OUT'), {} as never);

    // Assess
    expect(result).toMatchObject({ outcome: 'notified', type: 'Failover Failed' });
    const [event] = published();
    expect(event?.detail.detail.error).toBe('States.Timeout');
    expect(event?.detail.detail.stateOfTheWorld).toContain(
      'Database: nothing was promoted; the primary in us-east-1 is the writer as far as this run knows.',
    );
  });

  it("a failback stopped before Prepare resolved its plan: paged in the plan's primary region, whose stack ran it", async () => {
    // Prepare: `dr-failover failback` started the orders plan's way back on the us-east-1 stack; stopped in Prepare.
    const input = runInput({ mode: 'planned', trigger: { kind: 'failback', source: 'dr-failover CLI' } });
    serveHistory(until(await recorded(input), 'TaskStateEntered', 'Prepare'));
    eventBridge.resetHistory();
    sns.resetHistory();
    const executionArn =
      'arn:aws:states:us-east-1:111122223333:execution:dr-failover-dev:orders-failback-20261207T1000Z';

    // Act
    const result = await handler(
      statusChange('ABORTED', { executionArn, error: 'StoppedByOperator', cause: 'not yet (by cli:ana)' }),
      {} as never,
    );

    // Assess: the topic of the plan's name in us-east-1 (the us-east-1 stack's, which its roles may publish to),
    // through a client of that region, and the run told the way it went: back to us-east-1.
    expect(result).toEqual({ outcome: 'notified', type: 'Failover Stopped', plan: 'orders' });
    const publishes = sns.commandCalls(PublishCommand);
    expect(publishes.map((c) => c.args[0].input.TopicArn)).toEqual([
      'arn:aws:sns:us-east-1:111122223333:dr-failover-oncall',
    ]);
    const client = publishes[0]?.thisValue as { config: { region: () => Promise<string> } } | undefined;
    expect(await client?.config.region()).toBe('us-east-1');
    const [event] = published();
    expect(event?.bus).toBe('dr-failover');
    expect(event?.detail.summary).toMatch(/^STOPPED planned failover of orders \(eu-west-1 → us-east-1\)/);
  });

  it("a run of a plan its region runs neither way is paged on the stack's own targets, not the plan's", async () => {
    // Prepare: the orders plan started (by mistake) on the ap-southeast-2 stack, stopped before Prepare answered.
    serveHistory(until(await recorded(runInput()), 'TaskStateEntered', 'Prepare'));
    eventBridge.resetHistory();
    sns.resetHistory();
    const executionArn = 'arn:aws:states:ap-southeast-2:111122223333:execution:dr-failover-dev:orders-manual';

    // Act
    const result = await handler(statusChange('ABORTED', { executionArn }), {} as never);

    // Assess
    expect(result).toMatchObject({ outcome: 'notified', type: 'Failover Stopped' });
    const [event] = published();
    expect(event?.bus).toBe(process.env.DEFAULT_EVENT_BUS ?? 'default');
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.TopicArn)).not.toContain(
      plans.get('orders')?.notify.snsTopicArn,
    );
  });

  it('a run the state machine notified itself (it went through NotifyAborted) is not notified again', async () => {
    // Prepare: lag far over the orders plan's RPO: the run aborts, notified, and ends FAILED (the Aborted state).
    lagMetrics(() => 600_000);
    const history = await recorded(runInput());
    expect(history.some((e) => e.stateEnteredEventDetails?.name === 'NotifyAborted')).toBe(true);
    eventBridge.resetHistory();
    serveHistory(history);

    // Act
    const result = await handler(statusChange('FAILED', { error: 'ReplicationLagExceededError' }), {} as never);

    // Assess
    expect(result).toEqual({
      outcome: 'ignored',
      reason: 'the state machine notified this end itself (a Notify state ran)',
    });
    expect(published()).toEqual([]);
  });

  it('a run whose input is not a JSON object fails before any step: notified on the stack’s own bus', async () => {
    // Prepare: a real such run: Prepare cannot attach $.error to an array, the run ends States.Runtime in it.
    const history = await recorded([1, 2]);
    expect(history.at(-1)?.type).toBe('ExecutionFailed');
    expect(history.some((e) => e.stateEnteredEventDetails?.name?.startsWith('Notify'))).toBe(false);
    eventBridge.resetHistory();
    serveHistory(history);

    // Act
    const result = await handler(
      statusChange('FAILED', { input: '[1,2]', error: 'States.Runtime', cause: 'An error occurred' }),
      {} as never,
    );

    // Assess
    expect(result).toEqual({ outcome: 'notified', type: 'Failover Failed', plan: 'unknown' });
    const [event] = published();
    expect(event?.bus).toBe(process.env.DEFAULT_EVENT_BUS ?? 'default');
    expect(event?.detail.detail.error).toBe('States.Runtime');
    expect(event?.detail.detail.nextSteps).toMatch(
      /outside its steps \(for example an input that is not a JSON object\)/,
    );
  });

  it('an unreadable history (access denied) still notifies the end, saying the world is unknown', async () => {
    // Prepare
    sfn.on(GetExecutionHistoryCommand).rejects(
      Object.assign(new Error('not authorized to perform: states:GetExecutionHistory'), {
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    // Act
    const result = await handler(
      statusChange('ABORTED', {
        input: JSON.stringify(runInput()),
        error: 'StoppedByOperator',
        cause: 'wrong plan (by cli:ana)',
      }),
      {} as never,
    );

    // Assess
    expect(result).toEqual({ outcome: 'notified', type: 'Failover Stopped', plan: 'orders' });
    const [event] = published();
    expect(event?.detail.detail.stateOfTheWorld).toEqual([
      expect.stringMatching(/^Unknown: the run's history could not be read \(AwsRequestFailedError: .*AccessDenied/),
    ]);
    expect(event?.detail.detail.promoted).toBeUndefined();
    expect(JSON.stringify(event?.detail)).not.toContain('nothing was promoted');
  });

  it('a transient failure to read the history is thrown, so Lambda retries the invocation', async () => {
    // Prepare
    sfn
      .on(GetExecutionHistoryCommand)
      .rejects(
        Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: {} }),
      );

    // Act
    const ending = handler(statusChange('TIMED_OUT'), {} as never);

    // Assess
    await expect(ending).rejects.toMatchObject({ name: 'ThrottledError' });
    expect(published()).toEqual([]);
  });

  it('ignores an event that is not a Step Functions status change, and throws when it cannot publish', async () => {
    // Act
    const other = await handler(
      { source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change' },
      {} as never,
    );
    serveHistory([]);
    eventBridge.on(PutEventsCommand).rejects(
      Object.assign(new Error('down'), {
        name: 'InternalException',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      }),
    );
    sns.on(PublishCommand).rejects(
      Object.assign(new Error('down'), {
        name: 'InternalError',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      }),
    );
    const failing = handler(statusChange('ABORTED'), {} as never);

    // Assess
    expect(other).toEqual({ outcome: 'ignored', reason: 'not a Step Functions execution status change' });
    await expect(failing).rejects.toThrow();
  });
});
