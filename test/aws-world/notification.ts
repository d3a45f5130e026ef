/**
 * EventBridge PutEvents and SNS Publish with the limits AWS enforces, behind the SDK mocks of
 * test/statemachine/support.ts: what is accepted is recorded, what AWS would refuse is refused as AWS refuses it.
 * Each limit names the AWS page it comes from.
 */
import { EventBridgeServiceException, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { InvalidParameterException, PublishCommand, type PublishCommandInput } from '@aws-sdk/client-sns';
import { eventBridge, sns } from '../statemachine/support.js';

/** "The total entry size must be less than 256KB" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html). */
const PUT_EVENTS_MAX_BYTES = 256 * 1024;
/** "at most 256 KB in size (262,144 bytes, not 262,144 characters)" (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html). */
const SNS_MAX_BYTES = 262_144;
const bytes = (s: string | undefined) => Buffer.byteLength(s ?? '', 'utf8');

/**
 * A PutEventsRequestEntry's size as EventBridge counts it: Time 14 bytes when given, Source, DetailType, Detail and
 * each of Resources by their UTF-8 bytes (eb-putevent-size, above).
 */
export const putEventsEntrySize = (entry: PutEventsRequestEntry): number =>
  (entry.Time ? 14 : 0) +
  bytes(entry.Source) +
  bytes(entry.DetailType) +
  bytes(entry.Detail) +
  (entry.Resources ?? []).reduce((n, r) => n + bytes(r), 0);

const isJsonObject = (text: string | undefined): boolean => {
  try {
    const value: unknown = JSON.parse(text ?? '');
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
};

const invalidParameter = (message: string) => new InvalidParameterException({ $metadata: {}, message });

export class NotificationWorld {
  readonly events: PutEventsRequestEntry[] = [];
  readonly messages: PublishCommandInput[] = [];
  readonly refused: { service: 'events' | 'sns'; reason: string }[] = [];

  constructor() {
    eventBridge
      .on(PutEventsCommand)
      .callsFake((input: { Entries?: PutEventsRequestEntry[] }) => this.#putEvents(input));
    sns.on(PublishCommand).callsFake((input: PublishCommandInput) => this.#publish(input));
  }

  /**
   * PutEvents (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html): at most 10 entries;
   * a request whose entries total 256 KB or more is refused whole, `ValidationException: Total size of the entries
   * in the request is over the limit.` (the message AWS answers, as quoted in
   * https://github.com/awslabs/aws-service-catalog-puppet/issues/563). An entry whose Detail is not a JSON object
   * ("Detail: A valid JSON object", API_PutEventsRequestEntry) fails alone with `MalformedDetail` and the request
   * answers 200 with FailedEntryCount.
   */
  #putEvents(input: { Entries?: PutEventsRequestEntry[] }) {
    const entries = input.Entries ?? [];
    const total = entries.reduce((n, e) => n + putEventsEntrySize(e), 0);
    if (entries.length > 10 || total >= PUT_EVENTS_MAX_BYTES) {
      const reason = 'Total size of the entries in the request is over the limit.';
      this.refused.push({ service: 'events', reason: `${reason} (${total} bytes)` });
      // The SDK has no class for it: a service exception with the error code as its name, as the SDK builds one.
      throw new EventBridgeServiceException({
        name: 'ValidationException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: reason,
      });
    }
    const results = entries.map((entry, i) => {
      if (!isJsonObject(entry.Detail)) {
        this.refused.push({ service: 'events', reason: 'MalformedDetail' });
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      this.events.push(entry);
      return { EventId: `event-${this.events.length}-${i}` };
    });
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  /**
   * Publish (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html): a Subject must be "UTF-8 text with no line
   * breaks or control characters, and less than 100 characters long"; the message at most 262,144 bytes, message
   * attributes included ("All parts of the message attribute, including name, type, and value, are included in the
   * message size restriction": API_MessageAttributeValue); a FIFO topic needs MessageGroupId. Refusals are
   * `InvalidParameter` (InvalidParameterException).
   */
  #publish(input: PublishCommandInput) {
    const subject = input.Subject;
    if (
      subject !== undefined &&
      (subject.length >= 100 ||
        subject.length === 0 ||
        [...subject].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    ) {
      this.refused.push({ service: 'sns', reason: `Subject (${subject.length} characters)` });
      throw invalidParameter('Invalid parameter: Subject');
    }
    const attributes = Object.entries(input.MessageAttributes ?? {}).reduce(
      (n, [name, value]) => n + bytes(name) + bytes(value.DataType) + bytes(value.StringValue),
      0,
    );
    const size = bytes(input.Message) + attributes;
    if (!input.Message || size > SNS_MAX_BYTES) {
      this.refused.push({ service: 'sns', reason: `Message (${size} bytes)` });
      throw invalidParameter('Invalid parameter: Message too long');
    }
    if (input.TopicArn?.endsWith('.fifo') && !input.MessageGroupId) {
      this.refused.push({ service: 'sns', reason: 'MessageGroupId' });
      throw invalidParameter('Invalid parameter: The MessageGroupId parameter is required for FIFO topics');
    }
    this.messages.push(input);
    return { MessageId: `message-${this.messages.length}` };
  }
}
