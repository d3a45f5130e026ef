import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AccessDeniedException,
  EventBridgeClient,
  InternalException,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import {
  AuthorizationErrorException,
  InternalErrorException,
  PublishCommand,
  type PublishCommandInput,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsNotifier, EVENT_SOURCE } from '#adapters/notify/aws.js';
import { formatMessage, formatSubject, MAX_MESSAGE_BYTES, MAX_SUBJECT_LENGTH } from '#adapters/notify/format.js';
import { LocalNotifier } from '#adapters/notify/local.js';
import { AwsRequestFailedError, ServiceUnavailableError, ThrottledError } from '#core/errors.js';
import type { Plan } from '#core/plan.js';
import type { FailoverEvent } from '#core/ports.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const eventBridge = mockClient(EventBridgeClient);
const sns = mockClient(SNSClient);

afterEach(() => {
  eventBridge.reset();
  sns.reset();
});

const PASSWORD = 'Sup3r-S3cret-PW';
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:dr-failover-oncall';

const ordersPlan = (): Plan => loadPlanFile('plans/orders.yml');

const succeeded = (overrides: Partial<FailoverEvent> = {}): FailoverEvent => ({
  type: 'Failover Succeeded',
  plan: 'orders',
  executionId: 'arn:aws:states:eu-west-1:111122223333:execution:orders-failover:orders-alarm-20260101T0300',
  mode: 'unplanned',
  dryRun: false,
  requestedBy: 'alarm:orders-db-primary-unhealthy',
  reason: 'primary unreachable from eu-west-1 canaries',
  summary: 'unplanned failover of orders (us-east-1 → eu-west-1) succeeded: db.orders.example.internal → orders-eu',
  detail: {
    regions: { primary: 'us-east-1', standby: 'eu-west-1' },
    measures: {
      rtoSeconds: 184.2,
      rtoTargetSeconds: 300,
      rtoMet: true,
      rpo: { status: 'known', seconds: 2.5, source: 'cloudwatch:AuroraGlobalDBRPOLag', limitSeconds: 30 },
      promotionSeconds: 95,
    },
    timeline: [
      {
        step: 'Prepare',
        startedAt: '2026-01-01T03:00:00.000Z',
        endedAt: '2026-01-01T03:00:00.400Z',
        outcome: 'plan orders resolved',
      },
      {
        step: 'PromotionStatus',
        startedAt: '2026-01-01T03:00:10.000Z',
        endedAt: '2026-01-01T03:01:30.000Z',
        outcome: 'writable',
        attempts: 8,
      },
    ],
  },
  occurredAt: '2026-01-01T03:03:04.000Z',
  ...overrides,
});

const failedWithSecrets = (): FailoverEvent =>
  succeeded({
    type: 'Failover Failed',
    reason: `drill: connect postgres://app:${PASSWORD}@db.orders.example.internal:5432/orders refused`,
    summary: 'FAILED unplanned failover of orders: DnsChangeFailedError',
    detail: {
      error: 'DnsChangeFailedError',
      message: `could not reach postgresql://admin:${PASSWORD}@10.0.0.5/orders (password=${PASSWORD})`,
      credentials: { username: 'admin', password: PASSWORD },
      fence: { detail: `psql "host=10.0.0.5 password=${PASSWORD}" timed out` },
      nextSteps: 'The standby IS promoted and writable, but DNS still points at the old primary.',
    },
  });

const putEventsOk = () =>
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

const sentEntry = (): PutEventsRequestEntry => {
  const entry = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
  if (!entry) throw new Error('no PutEvents entry was sent');
  return entry;
};

const sentPublish = (): PublishCommandInput => {
  const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
  if (!input) throw new Error('no SNS Publish was sent');
  return input;
};

const newNotifier = (plan: Plan = ordersPlan()) =>
  new AwsNotifier(plan, { eventBridge: () => new EventBridgeClient({}), sns: () => new SNSClient({}) });

describe('AwsNotifier: EventBridge', () => {
  it('puts one entry on the plan bus with source dr-failover, the event type and the event as detail', async () => {
    // Prepare
    putEventsOk();
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const event = succeeded();

    // Act
    await newNotifier().publish(event);

    // Assess
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(eventBridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          Source: EVENT_SOURCE,
          DetailType: 'Failover Succeeded',
          Detail: expect.any(String),
          EventBusName: 'dr-failover',
        },
      ],
    });
    expect(EVENT_SOURCE).toBe('dr-failover');
    expect(JSON.parse(sentEntry().Detail ?? '')).toEqual(event);
  });

  it.each([
    { code: 'InternalFailure', expected: ServiceUnavailableError },
    { code: 'ThrottlingException', expected: ThrottledError },
    { code: 'AccessDeniedException', expected: AwsRequestFailedError },
    { code: 'MalformedDetail', expected: AwsRequestFailedError },
  ])('throws $expected.name naming the code when the entry fails with $code', async ({ code, expected }) => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: code, ErrorMessage: `entry refused: ${code}` }],
    });
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    // Act
    const error = await newNotifier()
      .publish(succeeded())
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(expected);
    expect((error as Error).message).toContain(code);
    expect((error as Error).message).toContain('dr-failover');
  });

  it('throws a retryable ServiceUnavailableError when an entry fails without an error code', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{}] });
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    // Act
    const error = await newNotifier()
      .publish(succeeded())
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ retryable: true });
  });

  it('translates a rejected PutEvents call, keeping the SDK error as cause', async () => {
    // Prepare
    const sdkError = new InternalException({ $metadata: { httpStatusCode: 500 }, message: 'internal' });
    eventBridge.on(PutEventsCommand).rejects(sdkError);
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    // Act
    const error = await newNotifier()
      .publish(succeeded())
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as Error).cause).toBe(sdkError);
  });
});

describe('AwsNotifier: SNS', () => {
  it('publishes the subject, a human message and plan/type attributes to the plan topic', async () => {
    // Prepare
    putEventsOk();
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    // Act
    await newNotifier().publish(succeeded());

    // Assess
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: '[dr-failover] orders: Failover Succeeded (unplanned)',
      Message: expect.any(String),
      MessageAttributes: {
        plan: { DataType: 'String', StringValue: 'orders' },
        type: { DataType: 'String', StringValue: 'Failover Succeeded' },
      },
    });
    const message = sentPublish().Message ?? '';
    expect(message).toContain('primary unreachable from eu-west-1 canaries');
    expect(message).toContain('Started by: alarm:orders-db-primary-unhealthy');
    expect(message).toContain('Mode: unplanned');
    expect(message).toContain('Measured RTO: 184.2 s (target 300 s, met)');
    expect(message).toMatch(/Measured RPO: up to 2\.5 s .*limit 30 s/);
    expect(message).toContain('PromotionStatus x8 (80 s): writable');
  });

  it('sends nothing to SNS when the plan has no topic', async () => {
    // Prepare
    putEventsOk();
    const plan = ordersPlan();
    const withoutTopic: Plan = { ...plan, notify: { eventBus: plan.notify.eventBus } };

    // Act
    await newNotifier(withoutTopic).publish(succeeded());

    // Assess
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  describe('to a FIFO topic', () => {
    const FIFO_TOPIC = 'arn:aws:sns:eu-west-1:111122223333:dr-failover-oncall.fifo';
    const fifoPlan = (): Plan => {
      const plan = ordersPlan();
      return { ...plan, notify: { ...plan.notify, snsTopicArn: FIFO_TOPIC } };
    };
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

    it("sends the plan's name as message group and the run and event type as deduplication id", async () => {
      // Prepare
      putEventsOk();
      sns.on(PublishCommand).resolves({ MessageId: 'm-1', SequenceNumber: '1' });
      const event = succeeded();

      // Act
      await newNotifier(fifoPlan()).publish(event);

      // Assess
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
      expect(sentPublish()).toStrictEqual({
        TopicArn: FIFO_TOPIC,
        Subject: '[dr-failover] orders: Failover Succeeded (unplanned)',
        Message: formatMessage(event),
        MessageAttributes: {
          plan: { DataType: 'String', StringValue: 'orders' },
          type: { DataType: 'String', StringValue: 'Failover Succeeded' },
        },
        MessageGroupId: 'orders',
        MessageDeduplicationId: sha256(`${event.executionId}\nFailover Succeeded\n`),
      });
    });

    it('deduplicates a retried publish of one event, not the two approval requests of one run', async () => {
      // Prepare
      putEventsOk();
      sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
      const ask = (why: string) =>
        succeeded({ type: 'Approval Required', summary: 'Approval required', detail: { why, deadline: why } });
      const notifier = newNotifier(fifoPlan());

      // Act
      await notifier.publish(ask('the plan does not fail over by itself'));
      await notifier.publish(ask('the plan does not fail over by itself'));
      await notifier.publish(ask('replication lag stayed over the RPO'));

      // Assess
      const ids = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageDeduplicationId);
      expect(ids).toHaveLength(3);
      expect(ids[0]).toBe(ids[1]);
      expect(ids[2]).not.toBe(ids[0]);
      expect(ids.every((id) => typeof id === 'string' && /^[0-9a-f]{64}$/.test(id))).toBe(true);
    });

    it('groups the notification of a run whose plan is not known under dr-failover', async () => {
      // Prepare
      putEventsOk();
      sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

      // Act
      await newNotifier(fifoPlan()).publish(succeeded({ type: 'Failover Failed', plan: '(no plan: bad input)' }));

      // Assess
      expect(sentPublish().MessageGroupId).toBe('dr-failover');
    });

    it('sends neither group nor deduplication id to a standard topic', async () => {
      // Prepare
      putEventsOk();
      sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

      // Act
      await newNotifier().publish(succeeded());

      // Assess
      expect(sentPublish()).not.toHaveProperty('MessageGroupId');
      expect(sentPublish()).not.toHaveProperty('MessageDeduplicationId');
    });
  });

  it('still publishes to SNS when EventBridge fails, then throws the EventBridge error', async () => {
    // Prepare
    eventBridge
      .on(PutEventsCommand)
      .rejects(new AccessDeniedException({ $metadata: { httpStatusCode: 400 }, message: 'not authorized' }));
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    // Act
    const error = await newNotifier()
      .publish(succeeded())
      .catch((e: unknown) => e);

    // Assess
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(error).toBeInstanceOf(AwsRequestFailedError);
    expect((error as Error).message).toContain('PutEvents');
  });

  it('throws the first failure when both targets fail', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    sns.on(PublishCommand).rejects(new AuthorizationErrorException({ $metadata: {}, message: 'denied' }));

    // Act
    const error = await newNotifier()
      .publish(succeeded())
      .catch((e: unknown) => e);

    // Assess
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as Error).message).toContain('PutEvents');
  });

  it.each([
    {
      what: 'AuthorizationErrorException',
      makeError: () => new AuthorizationErrorException({ $metadata: {}, message: 'denied' }),
      expected: AwsRequestFailedError,
    },
    {
      what: 'ThrottledException',
      makeError: () => new ThrottledException({ $metadata: {}, message: 'rate exceeded' }),
      expected: ThrottledError,
    },
    {
      what: 'InternalErrorException',
      makeError: () => new InternalErrorException({ $metadata: { httpStatusCode: 500 }, message: 'internal' }),
      expected: ServiceUnavailableError,
    },
  ])('translates an SNS $what into $expected.name after EventBridge succeeded', async ({ makeError, expected }) => {
    // Prepare
    putEventsOk();
    const sdkError = makeError();
    sns.on(PublishCommand).rejects(sdkError);

    // Act
    const error = await newNotifier()
      .publish(succeeded())
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(expected);
    expect((error as Error).cause).toBe(sdkError);
    expect((error as Error).message).toContain(TOPIC);
  });
});

describe('AwsNotifier: redaction', () => {
  it('leaves no password from the reason or the detail in the EventBridge detail or the SNS message', async () => {
    // Prepare
    putEventsOk();
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const event = failedWithSecrets();
    const before = structuredClone(event);

    // Act
    await newNotifier().publish(event);

    // Assess
    const detail = sentEntry().Detail ?? '';
    const { Message: message = '', Subject: subject = '' } = sentPublish();
    for (const text of [detail, message, subject]) {
      expect(text).not.toContain(PASSWORD);
    }
    expect(detail).toContain('postgres://app:[REDACTED]@db.orders.example.internal');
    expect(JSON.parse(detail).detail.credentials).toBe('[REDACTED]');
    expect(message).toContain('postgresql://admin:[REDACTED]@10.0.0.5');
    expect(event).toEqual(before);
  });
});

describe('AwsNotifier: clients', () => {
  it('builds its clients lazily, in the plan standby region', async () => {
    // Prepare
    putEventsOk();
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    // The feature-store plan's standby (us-east-2) differs from the test default region (eu-west-1).
    const plan = loadPlanFile('plans/feature-store.yml');
    const notifier = new AwsNotifier(plan);

    // Act
    await notifier.publish(succeeded({ plan: 'feature-store' }));

    // Assess
    const ebClient = eventBridge.commandCalls(PutEventsCommand)[0]?.thisValue as EventBridgeClient;
    const snsClient = sns.commandCalls(PublishCommand)[0]?.thisValue as SNSClient;
    expect(await ebClient.config.region()).toBe('us-east-2');
    expect(await snsClient.config.region()).toBe('us-east-2');
  });

  it('does not build a client before the first publish, and builds each once', async () => {
    // Prepare
    putEventsOk();
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const makeEventBridge = vi.fn(() => new EventBridgeClient({}));
    const makeSns = vi.fn(() => new SNSClient({}));
    const notifier = new AwsNotifier(ordersPlan(), { eventBridge: makeEventBridge, sns: makeSns });
    const before = makeEventBridge.mock.calls.length + makeSns.mock.calls.length;

    // Act
    await notifier.publish(succeeded());
    await notifier.publish(succeeded());

    // Assess
    expect(before).toBe(0);
    expect(makeEventBridge).toHaveBeenCalledTimes(1);
    expect(makeSns).toHaveBeenCalledTimes(1);
  });
});

describe('formatSubject', () => {
  it('marks a dry run', () => {
    // Act
    const subject = formatSubject({ plan: 'orders', type: 'Failover Started', mode: 'planned', dryRun: true });

    // Assess
    expect(subject).toBe('[dr-failover] orders: Failover Started (planned, dry run)');
  });

  it('keeps the subject under 100 printable ASCII characters without line breaks', () => {
    // Prepare
    const event = {
      plan: `orders-é→\n\tçà${'x'.repeat(200)}`,
      type: 'Failover Step Completed' as const,
      mode: 'unplanned' as const,
      dryRun: true,
    };

    // Act
    const subject = formatSubject(event);

    // Assess
    expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
    expect(MAX_SUBJECT_LENGTH).toBeLessThan(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.startsWith('[dr-failover] orders-e-> ca')).toBe(true);
    expect(subject.endsWith('...')).toBe(true);
  });
});

describe('formatMessage', () => {
  it('names the error and the next steps of a failed run', () => {
    // Act
    const message = formatMessage(failedWithSecrets());

    // Assess
    expect(message).toContain('Error: DnsChangeFailedError: could not reach');
    expect(message).toContain('Next steps:\n  The standby IS promoted and writable');
  });

  it('says when nothing was changed because the run was a dry run', () => {
    // Act
    const message = formatMessage(succeeded({ dryRun: true, mode: 'planned' }));

    // Assess
    expect(message).toContain('Mode: planned, DRY RUN (nothing was changed)');
  });

  it('reports an unknown RPO and a missed RTO plainly', () => {
    // Prepare
    const event = succeeded({
      detail: {
        measures: {
          rtoSeconds: 420,
          rtoTargetSeconds: 300,
          rtoMet: false,
          rpo: { status: 'unknown', source: 'cloudwatch:AuroraGlobalDBRPOLag', limitSeconds: 30 },
        },
      },
    });

    // Act
    const message = formatMessage(event);

    // Assess
    expect(message).toContain('Measured RTO: 420 s (target 300 s, MISSED)');
    expect(message).toContain('Measured RPO: unknown');
  });

  it('puts what is proposed, the lag, the deadline and the approve and deny commands first for the person asked', () => {
    // Prepare
    const token = 'AAAAKgAAAAIAAAAAAAAAAQ';
    const event = succeeded({
      type: 'Approval Required',
      detail: {
        regions: { primary: 'us-east-1', standby: 'eu-west-1' },
        proposed: 'unplanned failover to eu-west-1: fence the old primary, promote the standby',
        why: "replication lag stayed over the plan's RPO (rpo.onExceeded: wait-for-approval)",
        measuredLag: 'lag 120 s exceeds RPO 30 s',
        lag: { decision: 'exceeded' },
        deadline: '2026-11-26T03:30:01.000Z',
        timeoutMinutes: 30,
        ifNoAnswer: 'at 2026-11-26T03:30:01.000Z the run aborts (ApprovalTimedOutError), notified; nothing is changed',
        approve: `npx dr-failover approve '${token}'`,
        deny: `npx dr-failover deny '${token}' --reason "..."`,
        awsApprove: `aws stepfunctions send-task-success --task-token '${token}' --task-output '{"approved":true,"by":"<you>"}'`,
        awsDeny: `aws stepfunctions send-task-failure --task-token '${token}' --error ApprovalDeniedError --cause "<you>: <why>"`,
      },
    });

    // Act
    const lines = formatMessage(event).split('\n');

    // Assess
    const first = lines.indexOf(
      'Proposed: unplanned failover to eu-west-1: fence the old primary, promote the standby',
    );
    expect(first).toBeGreaterThan(0);
    expect(lines.slice(first, first + 9)).toEqual([
      'Proposed: unplanned failover to eu-west-1: fence the old primary, promote the standby',
      "Asked because: replication lag stayed over the plan's RPO (rpo.onExceeded: wait-for-approval)",
      'Measured lag: lag 120 s exceeds RPO 30 s',
      'Answer by: 2026-11-26T03:30:01.000Z',
      'If nobody answers: at 2026-11-26T03:30:01.000Z the run aborts (ApprovalTimedOutError), notified; nothing is changed',
      `Approve: npx dr-failover approve '${token}'`,
      `Deny: npx dr-failover deny '${token}' --reason "..."`,
      `Approve (AWS CLI): aws stepfunctions send-task-success --task-token '${token}' --task-output '{"approved":true,"by":"<you>"}'`,
      `Deny (AWS CLI): aws stepfunctions send-task-failure --task-token '${token}' --error ApprovalDeniedError --cause "<you>: <why>"`,
    ]);
    // Not repeated under Details; the regions still are.
    expect(lines.filter((l) => l.includes(`approve '${token}'`))).toHaveLength(1);
    expect(lines).toContain('  regions: {"primary":"us-east-1","standby":"eu-west-1"}');
  });

  it('stays within the SNS size limit for a huge detail', () => {
    // Prepare
    const event = succeeded({ detail: { blob: 'é'.repeat(300 * 1024) } });

    // Act
    const message = formatMessage(event);

    // Assess
    expect(Buffer.byteLength(message, 'utf8')).toBeLessThan(MAX_MESSAGE_BYTES + 100);
    expect(message).toContain('[truncated');
    expect(message).not.toContain('\uFFFD');
  });
});

describe('LocalNotifier', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dr-failover-notify-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps redacted copies of the events in publish order', async () => {
    // Prepare
    const notifier = new LocalNotifier();
    const failed = failedWithSecrets();

    // Act
    await notifier.publish(succeeded({ type: 'Failover Started' }));
    await notifier.publish(failed);

    // Assess
    expect(notifier.events.map((e) => e.type)).toEqual(['Failover Started', 'Failover Failed']);
    expect(JSON.stringify(notifier.events)).not.toContain(PASSWORD);
    expect(notifier.events[1]).not.toBe(failed);
    expect(failed.reason).toContain(PASSWORD);
    expect(notifier.ofType('Failover Failed')).toHaveLength(1);
  });

  it('appends one JSON line per event to its file, creating the folder', async () => {
    // Prepare
    const file = join(dir, 'nested', 'events.jsonl');
    const notifier = new LocalNotifier({ file });

    // Act
    await notifier.publish(succeeded({ type: 'Failover Started' }));
    await notifier.publish(failedWithSecrets());

    // Assess
    const text = await readFile(file, 'utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => (JSON.parse(l) as FailoverEvent).type)).toEqual(['Failover Started', 'Failover Failed']);
    expect(text).not.toContain(PASSWORD);
  });

  it('hands each redacted event to its callback', async () => {
    // Prepare
    const onEvent = vi.fn();
    const notifier = new LocalNotifier({ onEvent });

    // Act
    await notifier.publish(failedWithSecrets());

    // Assess
    expect(onEvent).toHaveBeenCalledTimes(1);
    expect(onEvent).toHaveBeenCalledWith(notifier.events[0]);
    expect(JSON.stringify(onEvent.mock.calls)).not.toContain(PASSWORD);
  });
});
