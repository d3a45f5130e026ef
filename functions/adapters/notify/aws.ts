/**
 * `Notifier` on AWS: an EventBridge event for systems (the plan's bus) and, when the plan names a topic, an SNS
 * message for people. Both clients live in the plan's standby region, where the failover stack runs: the primary
 * region may be dark.
 */
import { createHash } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { ServiceUnavailableError } from '#core/errors.js';
import type { Plan } from '#core/plan.js';
import type { FailoverEvent, Notifier } from '#core/ports.js';
import { redact } from '#core/redact.js';
import { withinEventLimit } from './event-size.js';
import { formatMessage, formatSubject } from './format.js';

/** The `source` of every event dr-failover puts on a bus: rules match on it. */
export const EVENT_SOURCE = 'dr-failover';

/**
 * What the notifier reads of a plan. A plan satisfies it; so does a deployment's default targets, for a run that
 * failed before its plan was resolved.
 */
export interface NotifyTargets {
  regions: Pick<Plan['regions'], 'standby'>;
  notify: Plan['notify'];
}

/**
 * A FIFO topic (its name ends in `.fifo`) refuses a Publish without `MessageGroupId`, and without
 * `MessageDeduplicationId` unless the topic has content-based deduplication; the id is sent in any case, so the
 * topics this stack creates need no such setting.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 * https://docs.aws.amazon.com/sns/latest/dg/fifo-message-grouping.html
 * One group per plan keeps a plan's notifications in order. The id is the run, the event type and what tells
 * apart two events of one type in a run (the two approval requests), hashed: a retried publish of the same event
 * within SNS's 5-minute deduplication interval is delivered once, and an execution ARN with a type can exceed the
 * id's 128 characters and its character set (no spaces).
 */
const fifoFields = (event: FailoverEvent, topicArn: string) => {
  if (!topicArn.endsWith('.fifo')) return {};
  const why = typeof event.detail.why === 'string' ? event.detail.why : '';
  return {
    // A run that failed before its plan was resolved may name no plan.
    MessageGroupId: /^[A-Za-z0-9-]{1,128}$/.test(event.plan) ? event.plan : EVENT_SOURCE,
    MessageDeduplicationId: createHash('sha256').update(`${event.executionId}\n${event.type}\n${why}`).digest('hex'),
  };
};

export interface AwsNotifierDeps {
  /** Build the clients on first use; tests pass mocked clients. */
  eventBridge?: () => EventBridgeClient;
  sns?: () => SNSClient;
}

export class AwsNotifier implements Notifier {
  readonly #plan: NotifyTargets;
  readonly #makeEventBridge: () => EventBridgeClient;
  readonly #makeSns: () => SNSClient;
  #eventBridge: EventBridgeClient | undefined;
  #sns: SNSClient | undefined;

  constructor(plan: NotifyTargets, deps: AwsNotifierDeps = {}) {
    this.#plan = plan;
    const region = plan.regions.standby;
    this.#makeEventBridge = deps.eventBridge ?? (() => clientFor(EventBridgeClient, region));
    this.#makeSns = deps.sns ?? (() => clientFor(SNSClient, region));
  }

  /**
   * Puts the event on the bus, then publishes the message to the topic. Both are attempted even when the first
   * fails (the people paged should not miss a failover because a rule's bus is misconfigured, nor the reverse);
   * the first failure is then thrown, translated into a named error, so the state machine can retry it.
   */
  async publish(event: FailoverEvent): Promise<void> {
    // Redacted once, up front: nothing below may see the original.
    const safe = redact(event);
    // Each target throws only named errors (translated below); the first one decides the state machine's Retry.
    const errors: unknown[] = [];

    try {
      await this.#putEvent(safe);
    } catch (error) {
      errors.push(error);
    }
    const topicArn = this.#plan.notify.snsTopicArn;
    if (topicArn) {
      try {
        await this.#publishToTopic(safe, topicArn);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  }

  async #putEvent(event: FailoverEvent): Promise<void> {
    const bus = this.#plan.notify.eventBus;
    const what = `PutEvents ${event.type} on ${bus}`;
    this.#eventBridge ??= this.#makeEventBridge();
    let out: PutEventsCommandOutput;
    try {
      out = await this.#eventBridge.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: EVENT_SOURCE,
              DetailType: event.type,
              // Cut to fit PutEvents' 256 KB (the timeline's earliest entries first); SNS gets the full text.
              Detail: JSON.stringify(withinEventLimit(event)),
              EventBusName: bus,
            },
          ],
        }),
      );
    } catch (error) {
      throw translateAwsError(error, what);
    }
    if ((out.FailedEntryCount ?? 0) > 0) {
      const entry = out.Entries?.find((e) => e.ErrorCode) ?? out.Entries?.[0];
      // PutEvents answers 200 and reports failures per entry. The documented retryable codes (InternalFailure,
      // ThrottlingException) translate as retryable; AccessDeniedException, MalformedDetail, NotAuthorizedFor*
      // fail the same way every time and translate as terminal. A failed entry with no code counts as transient.
      if (!entry?.ErrorCode) {
        throw new ServiceUnavailableError(`${what} failed: ${out.FailedEntryCount} entry failed without an error code`);
      }
      const entryError = Object.assign(new Error(entry.ErrorMessage ?? entry.ErrorCode), { name: entry.ErrorCode });
      throw translateAwsError(entryError, what);
    }
  }

  async #publishToTopic(event: FailoverEvent, topicArn: string): Promise<void> {
    this.#sns ??= this.#makeSns();
    try {
      await this.#sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: formatSubject(event),
          Message: formatMessage(event),
          // Subscriptions filter on these (e.g. page only on Failover Failed, chat gets everything).
          MessageAttributes: {
            plan: { DataType: 'String', StringValue: event.plan },
            type: { DataType: 'String', StringValue: event.type },
          },
          ...fifoFields(event, topicArn),
        }),
      );
    } catch (error) {
      throw translateAwsError(error, `Publish ${event.type} to ${topicArn}`);
    }
  }
}
