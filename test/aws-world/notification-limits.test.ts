import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvalidParameterException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsNotifier } from '#adapters/notify/aws.js';
import type { Plan } from '#core/plan.js';
import type { FailoverEvent } from '#core/ports.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { ALL_MOCKS } from '../statemachine/support.js';
import { NotificationWorld, putEventsEntrySize } from './notification.js';

const KB = 1024;
const events = new EventBridgeClient({ region: 'eu-west-1' });
const topics = new SNSClient({ region: 'eu-west-1' });
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:dr-failover-oncall';

const entry = (detailBytes: number) => ({
  Source: 'dr-failover',
  DetailType: 'Failover Failed',
  Detail: JSON.stringify({ pad: 'x'.repeat(detailBytes - 10) }),
});

/** A failed run's notification whose timeline holds `steps` entries and whose error carries `causeBytes` of text. */
const failed = (steps: number, causeBytes = 0): FailoverEvent => ({
  type: 'Failover Failed',
  plan: 'orders',
  executionId: 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-prod:orders-alarm-20261207T1000Z',
  mode: 'unplanned',
  dryRun: false,
  requestedBy: 'alarm:orders-db-primary-unhealthy',
  reason: 'primary unreachable from eu-west-1 canaries',
  summary: 'unplanned failover of orders failed at PromotionStatus: PromotionTimedOutError',
  detail: {
    error: 'PromotionTimedOutError',
    message: `standby not writable after 60 checks ${'(cause) '.repeat(causeBytes / 8)}`,
    stateOfTheWorld: ['database: promotion requested, not confirmed', 'DNS: still the old primary'],
    nextSteps: ['aws rds describe-global-clusters --global-cluster-identifier orders-global'],
    timeline: Array.from({ length: steps }, (_, i) => ({
      step: i === 0 ? 'Prepare' : 'PromotionStatus',
      startedAt: new Date(Date.UTC(2026, 11, 7, 10, 0, i)).toISOString(),
      endedAt: new Date(Date.UTC(2026, 11, 7, 10, 0, i, 300)).toISOString(),
      outcome: `pending: failing-over from arn:aws:rds:us-east-1:111122223333:cluster:orders-us to check ${i}`,
    })),
  },
  occurredAt: '2026-12-07T10:30:00.000Z',
});

const notifier = (topic = TOPIC) => {
  const plan = loadPlanFile('plans/orders.yml') as Plan;
  return new AwsNotifier({ regions: plan.regions, notify: { ...plan.notify, snsTopicArn: topic } });
};

afterEach(() => {
  for (const m of ALL_MOCKS) m.reset();
});

describe('the simulated EventBridge and SNS limits', () => {
  it('refuses a PutEvents request of 256 KB or more whole, with the ValidationException AWS answers', async () => {
    // Prepare
    const world = new NotificationWorld();
    const small = entry(100 * KB);

    // Act / Assess
    await expect(events.send(new PutEventsCommand({ Entries: [entry(256 * KB)] }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(events.send(new PutEventsCommand({ Entries: [small, small, small] }))).rejects.toThrow(
      'Total size of the entries in the request is over the limit.',
    );
    const accepted = await events.send(new PutEventsCommand({ Entries: [small, small] }));
    expect(accepted.FailedEntryCount).toBe(0);
    expect(world.events).toHaveLength(2);
    expect(putEventsEntrySize({ ...small, Time: new Date(), Resources: ['é'] })).toBe(
      14 + 11 + 15 + Buffer.byteLength(small.Detail) + 2,
    );
  });

  it('fails an entry whose Detail is not a JSON object (MalformedDetail), accepting the others', async () => {
    // Prepare
    const world = new NotificationWorld();

    // Act
    const out = await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 's', DetailType: 't', Detail: '[1]' },
          { Source: 's', DetailType: 't', Detail: '{"ok":true}' },
        ],
      }),
    );

    // Assess
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.[0]?.ErrorCode).toBe('MalformedDetail');
    expect(world.events).toHaveLength(1);
  });

  it('refuses a Subject of 100 characters or with a line break, a message over 262,144 bytes with its attributes, and a FIFO publish without a group', async () => {
    // Prepare
    const world = new NotificationWorld();
    const publish = (over: Record<string, unknown>) =>
      topics.send(new PublishCommand({ TopicArn: TOPIC, Message: 'm', Subject: 's', ...over }));

    // Act / Assess
    await expect(publish({ Subject: 'x'.repeat(100) })).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(publish({ Subject: 'two\nlines' })).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(
      publish({
        Message: 'x'.repeat(262_144 - 20),
        MessageAttributes: { plan: { DataType: 'String', StringValue: 'orders-and-more' } },
      }),
    ).rejects.toThrow('Message too long');
    await expect(publish({ TopicArn: `${TOPIC}.fifo` })).rejects.toThrow('MessageGroupId');
    const published = await publish({ Subject: 'x'.repeat(99), Message: 'x'.repeat(262_000) });
    expect(published.MessageId).toBeDefined();
    expect(world.messages).toHaveLength(1);
    expect(world.refused.map((r) => r.service)).toEqual(['sns', 'sns', 'sns', 'sns']);
  });
});

describe('notifications within the EventBridge and SNS limits', () => {
  it('keeps a failed run with a long timeline within both limits: the newest entries kept, the cut said', async () => {
    // Prepare: 2,000 timeline entries, about 400 KB as JSON.
    const world = new NotificationWorld();
    const event = failed(2_000);
    expect(Buffer.byteLength(JSON.stringify(event))).toBeGreaterThan(256 * KB);

    // Act
    await notifier().publish(event);

    // Assess
    expect(world.refused).toEqual([]);
    const [put] = world.events;
    expect(putEventsEntrySize(put ?? {})).toBeLessThan(256 * KB);
    const detail = JSON.parse(put?.Detail ?? '{}') as { detail: Record<string, unknown> };
    const timeline = detail.detail.timeline as { outcome: string }[];
    expect(timeline.length).toBeGreaterThan(100);
    expect(timeline.length).toBeLessThan(2_000);
    expect(timeline.at(-1)?.outcome).toContain('check 1999');
    expect(detail.detail.timelineOmitted).toContain(`${2_000 - timeline.length} earliest of 2000`);
    expect(detail.detail.error).toBe('PromotionTimedOutError');
    expect(world.messages).toHaveLength(1);
  });

  it('keeps an event whose error text alone is over the limit within it, the error name intact', async () => {
    // Prepare: a 400 KB error message (a driver echoing a huge statement, say).
    const world = new NotificationWorld();

    // Act
    await notifier().publish(failed(3, 400 * KB));

    // Assess
    expect(world.refused).toEqual([]);
    const detail = JSON.parse(world.events[0]?.Detail ?? '{}') as { detail: Record<string, unknown> };
    expect(detail.detail.error).toBe('PromotionTimedOutError');
    expect(String(detail.detail.message)).toContain('[cut to fit');
    expect(world.messages).toHaveLength(1);
  });

  it('leaves an event within the limit exactly as it is', async () => {
    // Prepare
    const world = new NotificationWorld();
    const event = failed(20);

    // Act
    await notifier().publish(event);

    // Assess
    expect(JSON.parse(world.events[0]?.Detail ?? '{}')).toEqual(event);
  });

  it('publishes to a FIFO topic within its rules', async () => {
    // Prepare
    const world = new NotificationWorld();

    // Act
    await notifier(`${TOPIC}.fifo`).publish(failed(2_000));

    // Assess
    expect(world.refused).toEqual([]);
    expect(world.messages[0]?.MessageGroupId).toBe('orders');
  });
});
