/**
 * Where the stack speaks: the event buses and on-call topics its plans name (with resource policies that admit only
 * dr-failover's publishers), the key that encrypts the topics, and each plan's readiness alarm paging on its topic.
 */
import { parseArn } from '#core/arn.js';
import { orientPlan } from '#core/direction.js';
import { everyRunObservesTheWriter, type Plan } from '#core/plan.js';
import {
  DEFAULT_EVENT_BUS,
  defaultTopicName,
  FUNCTIONS,
  notificationsKeyAlias,
  readinessAlarmName,
  SERVICE,
} from '#core/stack-names.js';
import { busArn, DEFAULT_TOPIC, statementsFor } from './grants.js';
import { type Json, pascal, sub } from './json.js';
import { roleLogicalId } from './roles.js';

/** The KMS key of the on-call topics. */
export const NOTIFICATIONS_KEY = 'NotificationsKey';
/** What the account's IAM may do with the notifications key: manage it, not use it. */
export const KMS_ADMIN_ACTIONS = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:PutKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:EnableKeyRotation',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:UpdateKeyDescription',
  'kms:ListResourceTags',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ListGrants',
  'kms:RevokeGrant',
  'kms:ListAliases',
  'kms:CreateAlias',
  'kms:UpdateAlias',
  'kms:DeleteAlias',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

/** `rate(5 minutes)` → 300; undefined for a cron expression, whose spacing is not one number. */
export const rateSeconds = (schedule: string): number | undefined => {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(schedule);
  if (!m) return undefined;
  const unit = m[2]?.startsWith('minute') ? 60 : m[2]?.startsWith('hour') ? 3600 : 86_400;
  return Number(m[1]) * unit;
};

/** The readiness alarm of a plan; its ARN is what the topic and key policies admit CloudWatch for. */
const readinessAlarmArn = (stage: string, plan: string): Json =>
  sub(`arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${readinessAlarmName(stage, plan)}`);
/** The CloudWatch service principal: alarm actions publish to SNS as it. */
const CLOUDWATCH_SERVICE = 'cloudwatch.amazonaws.com';

/**
 * The alarm that says a plan's DR readiness is CRITICAL: `ReadinessStatus` (service, plan) at 2 in 2 of the last 3
 * runs, and missing data counts as breaching (no datapoint: the readiness function itself is not running). One
 * period per scheduled run, so only plans on a `rate(...)` schedule get one. When the plan's on-call topic is one
 * this stack creates (`topic`, a Ref to it), the alarm pages there on ALARM and again on OK, so the page clears;
 * that topic's policy and the notifications key admit CloudWatch for exactly these alarms. A plan without a topic
 * gets an alarm without actions: route its state changes (EventBridge `CloudWatch Alarm State Change`) yourself.
 */
const readinessAlarm = (plan: Plan, stage: string, topic?: Json): Json | undefined => {
  const every = plan.readiness.enabled ? rateSeconds(plan.readiness.schedule) : undefined;
  if (every === undefined) return undefined;
  // CloudWatch periods of a minute or more are whole minutes, and all periods together span at most a day.
  const period = Math.min(86_400, Math.max(60, Math.ceil(every / 60) * 60));
  const evaluationPeriods = Math.max(1, Math.min(3, Math.floor(86_400 / period)));
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: readinessAlarmName(stage, plan.name),
      AlarmDescription:
        `DR readiness of plan ${plan.name} is CRITICAL (or not reported): a failover may not work. ` +
        `Run \`dr-failover readiness --plan ${plan.name} --stage ${stage}\` to see which check.`,
      Namespace: 'DrFailover',
      MetricName: 'ReadinessStatus',
      Dimensions: [
        { Name: 'service', Value: SERVICE },
        { Name: 'plan', Value: plan.name },
      ],
      Statistic: 'Maximum',
      Period: period,
      EvaluationPeriods: evaluationPeriods,
      DatapointsToAlarm: Math.min(2, evaluationPeriods),
      Threshold: 2,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
      ...(topic === undefined ? {} : { AlarmActions: [topic], OKActions: [topic] }),
    },
  };
};

// Resource policies name the publishers: the functions whose role is granted the publish action on that very
// resource. Everyone else is denied, so only dr-failover speaks on its bus and topic.
// `names`: the ways the policies name the resource (an ARN, a Ref, a Fn::Sub).
const publishersOf = (plans: Plan[], stage: string, action: string, ...names: Json[]): Json[] => {
  const named = new Set(names.map((n) => JSON.stringify(n)));
  return FUNCTIONS.filter((fn) =>
    statementsFor(fn, plans, stage).some(
      (st) => st.Action.includes(action) && st.Resource.some((r) => named.has(JSON.stringify(r))),
    ),
  ).map((fn) => ({ 'Fn::GetAtt': [roleLogicalId(fn), 'Arn'] }));
};

/** `alarms`: the ARNs of the readiness alarms whose actions publish here (a topic only). */
const onlyPublishers = (publishers: Json[], action: string, resource: Json, alarms: Json[] = []): Json[] => {
  return [
    {
      Sid: 'DrFailoverPublishers',
      Effect: 'Allow',
      Principal: { AWS: publishers },
      Action: action,
      Resource: resource,
    },
    ...(alarms.length === 0
      ? []
      : [
          {
            // The readiness alarms page through their actions, which CloudWatch publishes as its service
            // principal: only for these alarms of this account (confused deputy).
            Sid: 'ReadinessAlarms',
            Effect: 'Allow',
            Principal: { Service: CLOUDWATCH_SERVICE },
            Action: action,
            Resource: resource,
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnEquals: { 'aws:SourceArn': alarms },
            },
          },
        ]),
    {
      Sid: 'NoOtherPublishers',
      Effect: 'Deny',
      Principal: '*',
      Action: action,
      Resource: resource,
      // A service principal has no aws:PrincipalArn, and a missing key makes ArnNotEquals true: alone, this
      // would deny CloudWatch too. aws:PrincipalServiceName is present only on a service principal's own call
      // (missing, so StringNotEquals true, for roles and users), so the AND below spares exactly CloudWatch's
      // calls; CloudWatch on behalf of any other alarm still has no Allow above, and a service principal can be
      // granted only by this policy, so it is refused.
      Condition: {
        ArnNotEquals: { 'aws:PrincipalArn': publishers },
        ...(alarms.length === 0 ? {} : { StringNotEquals: { 'aws:PrincipalServiceName': CLOUDWATCH_SERVICE } }),
      },
    },
  ];
};

/**
 * The stack's own key for its topics, not alias/aws/sns: an AWS managed key's policy cannot name the publishers.
 * `alarms`: the readiness alarms that page through the topics.
 */
const notificationsKey = (stage: string, publishers: Json[], alarms: Json[]): Record<string, Json> => {
  const resources: Record<string, Json> = {};
  resources[NOTIFICATIONS_KEY] = {
    Type: 'AWS::KMS::Key',
    Properties: {
      Description: `dr-failover ${stage}: encrypts the on-call topics at rest`,
      EnableKeyRotation: true,
      KeyPolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            // Administration through IAM in this account, so the key never becomes unmanageable. No use of the
            // key (encrypt, decrypt) is granted here. In a key policy, "*" is this key.
            Sid: 'AdministerThroughIam',
            Effect: 'Allow',
            Principal: { AWS: sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:root`) },
            Action: KMS_ADMIN_ACTIONS,
            Resource: '*',
          },
          {
            // Publishing to an encrypted topic needs the publisher to be allowed to use its key, through SNS only.
            Sid: 'PublishersThroughSns',
            Effect: 'Allow',
            Principal: { AWS: publishers },
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Resource: '*',
            Condition: { StringEquals: { 'kms:ViaService': sub(`sns.\${AWS::Region}.amazonaws.com`) } },
          },
          ...(alarms.length === 0
            ? []
            : [
                {
                  // An alarm action's publish to an encrypted topic needs CloudWatch's service principal to use
                  // the key (SNS "event sources from AWS services and encrypted topics"). SNS documents
                  // `kms:GenerateDataKey*`; SNS's publish path calls GenerateDataKey and Decrypt, named here as
                  // for the functions. CloudWatch's calls carry aws:SourceAccount and aws:SourceArn (the alarm),
                  // which SNS recommends conditioning on for AWS service sources (EventBridge excepted), so only
                  // the readiness alarms of this account may use the key.
                  Sid: 'ReadinessAlarmsThroughSns',
                  Effect: 'Allow',
                  Principal: { Service: CLOUDWATCH_SERVICE },
                  Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
                  Resource: '*',
                  Condition: {
                    StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                    ArnEquals: { 'aws:SourceArn': alarms },
                  },
                },
              ]),
        ],
      },
    },
  };
  resources[`${NOTIFICATIONS_KEY}Alias`] = {
    Type: 'AWS::KMS::Alias',
    Properties: { AliasName: notificationsKeyAlias(stage), TargetKeyId: { Ref: NOTIFICATIONS_KEY } },
  };
  return resources;
};

/**
 * The stack's own on-call topic (`dr-failover-<stage>-oncall`), encrypted with the notifications key: the notify and
 * run-ended functions page it (DEFAULT_SNS_TOPIC_ARN) for a run refused before its plan resolved. Subscribe the
 * on-call rotation to it as to a plan's topic.
 */
const defaultTopic = (plans: Plan[], stage: string): Record<string, Json> => ({
  [DEFAULT_TOPIC]: {
    Type: 'AWS::SNS::Topic',
    Properties: { TopicName: defaultTopicName(stage), KmsMasterKeyId: { 'Fn::GetAtt': [NOTIFICATIONS_KEY, 'Arn'] } },
  },
  [`${DEFAULT_TOPIC}Policy`]: {
    Type: 'AWS::SNS::TopicPolicy',
    Properties: {
      Topics: [{ Ref: DEFAULT_TOPIC }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: onlyPublishers(publishersOf(plans, stage, 'sns:Publish', { Ref: DEFAULT_TOPIC }), 'sns:Publish', {
          Ref: DEFAULT_TOPIC,
        }),
      },
    },
  },
});

/**
 * The buses, topics, key and readiness alarms of the stack's plans, and the stack's own bus and topic. `wayBack`: the
 * plans whose way back this stack runs (their primary is its region); a run the other way round pages through a
 * topic of the plan's topic's name in this region (core/direction.ts, orientPlan), so the stack creates their
 * buses and topics too, and the readiness alarms of those whose every run observes the writer (self-managed
 * PostgreSQL: their readiness runs in both stacks); the others' readiness runs in the standby region's stack only.
 */
export const notificationResources = (
  stackPlans: Plan[],
  stage: string,
  wayBack: Plan[] = [],
): Record<string, Json> => {
  const resources: Record<string, Json> = {};
  const turned = wayBack.map((p) => orientPlan(p, 'standby'));
  const plans = [...stackPlans, ...turned];
  // The plans' buses, and the stack's own (a run without a plan is notified there), each created once.
  const buses = new Set([
    DEFAULT_EVENT_BUS,
    ...plans.filter((p) => !p.notify.eventBus.startsWith('arn:')).map((p) => p.notify.eventBus),
  ]);
  for (const bus of buses) {
    const owner = plans.find((p) => p.notify.eventBus === bus);
    const arn = owner ? busArn(owner) : sub(`arn:aws:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${bus}`);
    resources[`${pascal(bus.replace(/[^A-Za-z0-9]/g, ''))}EventBus`] = {
      Type: 'AWS::Events::EventBus',
      Properties: {
        Name: bus,
        Policy: {
          Version: '2012-10-17',
          Statement: onlyPublishers(publishersOf(plans, stage, 'events:PutEvents', arn), 'events:PutEvents', arn),
        },
      },
    };
  }
  const topics = new Map<string, string>();
  for (const p of plans) {
    const arn = p.notify.snsTopicArn ? parseArn(p.notify.snsTopicArn) : undefined;
    if (arn && p.notify.snsTopicArn) topics.set(arn.resource, p.notify.snsTopicArn);
  }
  const topicLogicalId = (topic: string) => `${pascal(topic.replace(/[^A-Za-z0-9]/g, ''))}Topic`;
  // Each plan's readiness alarm, paging on the plan's topic when this stack creates it (every topic a plan names):
  // the stack's plans, and those it runs turned round whose readiness it checks too (infra/events.ts).
  const alarmsByTopic = new Map<string, Json[]>();
  const checked = [...stackPlans, ...turned.filter(everyRunObservesTheWriter)];
  for (const plan of checked) {
    const topic = plan.notify.snsTopicArn ? parseArn(plan.notify.snsTopicArn)?.resource : undefined;
    const alarm = readinessAlarm(plan, stage, topic && topics.has(topic) ? { Ref: topicLogicalId(topic) } : undefined);
    if (!alarm) continue;
    resources[`${pascal(plan.name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()))}ReadinessAlarm`] = alarm;
    if (topic && topics.has(topic)) {
      alarmsByTopic.set(topic, [...(alarmsByTopic.get(topic) ?? []), readinessAlarmArn(stage, plan.name)]);
    }
  }
  // The key encrypts the plans' topics and the stack's own, which always exists.
  const publishers = [
    ...new Set(
      [...[...topics.values()].map((arn) => [arn]), [{ Ref: DEFAULT_TOPIC }]].flatMap((names) =>
        publishersOf(plans, stage, 'sns:Publish', ...names).map((r) => JSON.stringify(r)),
      ),
    ),
  ].map((r) => JSON.parse(r) as Json);
  Object.assign(resources, notificationsKey(stage, publishers, [...alarmsByTopic.values()].flat()));
  Object.assign(resources, defaultTopic(plans, stage));
  for (const [topic, arn] of topics) {
    const logicalId = topicLogicalId(topic);
    resources[logicalId] = {
      Type: 'AWS::SNS::Topic',
      // Encrypted at rest: failover messages name databases, regions and people. A name ending in .fifo is a
      // FIFO topic only when created as one (FifoTopic); the notifier then sends a group and deduplication id.
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sns-topic.html
      Properties: {
        TopicName: topic,
        KmsMasterKeyId: { 'Fn::GetAtt': [NOTIFICATIONS_KEY, 'Arn'] },
        ...(topic.endsWith('.fifo') ? { FifoTopic: true } : {}),
      },
    };
    resources[`${logicalId}Policy`] = {
      Type: 'AWS::SNS::TopicPolicy',
      Properties: {
        Topics: [{ Ref: logicalId }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: onlyPublishers(
            publishersOf(plans, stage, 'sns:Publish', arn),
            'sns:Publish',
            { Ref: logicalId },
            alarmsByTopic.get(topic),
          ),
        },
      },
    };
  }
  return resources;
};
