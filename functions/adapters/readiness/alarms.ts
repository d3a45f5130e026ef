/**
 * The plan's trigger alarms (CloudWatch DescribeAlarms, metric and composite) and, for each, the EventBridge rule
 * that sends it to the trigger (DescribeRule, ListTargetsByRule), all in the standby region.
 */
import {
  CloudWatchClient,
  type CompositeAlarm,
  DescribeAlarmsCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { hasAwsErrorName, translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { alarmArn } from '#core/arn.js';
import type { Plan } from '#core/plan.js';
import type { AlarmFacts, AlarmRuleFacts, StackNames } from '#core/ports.js';
import { alarmRuleName } from '#core/stack-names.js';

export interface AlarmReadinessDeps {
  cloudwatch?: () => CloudWatchClient;
  eventBridge?: () => EventBridgeClient;
}

/** DescribeAlarms takes at most 100 names per call. */
const NAMES_PER_CALL = 100;
const MAX_PAGES = 10;

export class AlarmReader {
  readonly #plan: Plan;
  readonly #stack: Pick<StackNames, 'stage' | 'triggerFunctionArn'>;
  readonly #cloudwatch: () => CloudWatchClient;
  readonly #eventBridge: () => EventBridgeClient;

  constructor(plan: Plan, stack: Pick<StackNames, 'stage' | 'triggerFunctionArn'>, deps: AlarmReadinessDeps = {}) {
    this.#plan = plan;
    this.#stack = stack;
    const region = plan.regions.standby;
    this.#cloudwatch = deps.cloudwatch ?? (() => clientFor(CloudWatchClient, region));
    this.#eventBridge = deps.eventBridge ?? (() => clientFor(EventBridgeClient, region));
  }

  async alarms(): Promise<AlarmFacts[]> {
    const names = this.#plan.trigger.alarms;
    if (names.length === 0) return [];
    const [found, rules] = await Promise.all([
      this.describeAlarms(names),
      Promise.all(names.map((name, i) => this.rule(alarmRuleName(this.#stack.stage, this.#plan.name, i), name))),
    ]);
    return names.map((name, i) => {
      const alarm = found.get(name);
      const facts: AlarmFacts = { name, exists: alarm !== undefined, rule: rules[i] as AlarmRuleFacts };
      if (alarm?.StateValue) facts.state = alarm.StateValue;
      if (alarm?.StateUpdatedTimestamp) facts.stateSince = alarm.StateUpdatedTimestamp;
      return facts;
    });
  }

  private async describeAlarms(names: readonly string[]): Promise<Map<string, MetricAlarm | CompositeAlarm>> {
    const found = new Map<string, MetricAlarm | CompositeAlarm>();
    const client = this.#cloudwatch();
    for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
      const batch = names.slice(i, i + NAMES_PER_CALL);
      let NextToken: string | undefined;
      let pages = 0;
      try {
        do {
          const out = await client.send(
            new DescribeAlarmsCommand({
              AlarmNames: batch,
              // Without AlarmTypes only metric alarms come back; a trigger may be a composite alarm.
              AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
              NextToken,
            }),
          );
          for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
            if (a.AlarmName) found.set(a.AlarmName, a);
          }
          NextToken = out.NextToken;
          pages += 1;
        } while (NextToken && pages < MAX_PAGES);
      } catch (error) {
        throw translateAwsError(error, `DescribeAlarms ${batch.join(',')}`);
      }
    }
    return found;
  }

  private async rule(ruleName: string, alarm: string): Promise<AlarmRuleFacts> {
    const client = this.#eventBridge();
    let described: { State?: string | undefined; EventPattern?: string | undefined };
    try {
      described = await client.send(new DescribeRuleCommand({ Name: ruleName }));
    } catch (error) {
      if (hasAwsErrorName(error, 'ResourceNotFoundException')) return { name: ruleName, exists: false };
      throw translateAwsError(error, `DescribeRule ${ruleName}`);
    }
    const targets: Target[] = [];
    try {
      let NextToken: string | undefined;
      let pages = 0;
      do {
        const out = await client.send(new ListTargetsByRuleCommand({ Rule: ruleName, NextToken }));
        targets.push(...(out.Targets ?? []));
        NextToken = out.NextToken;
        pages += 1;
      } while (NextToken && pages < MAX_PAGES);
    } catch (error) {
      throw translateAwsError(error, `ListTargetsByRule ${ruleName}`);
    }
    return {
      name: ruleName,
      exists: true,
      enabled: described.State === 'ENABLED',
      matchesAlarm: patternMatchesAlarm(described.EventPattern, alarmArn(this.#plan, alarm)),
      targetsTrigger: targets.some((t) => t.Arn === this.#stack.triggerFunctionArn),
    };
  }
}

/** The rule's pattern sends this alarm's transitions into ALARM (the shape infra/wiring.ts writes). */
export const patternMatchesAlarm = (pattern: string | undefined, arn: string): boolean => {
  if (!pattern) return false;
  let p: { source?: unknown; resources?: unknown; detail?: { state?: { value?: unknown } } };
  try {
    p = JSON.parse(pattern) as typeof p;
  } catch {
    return false;
  }
  const has = (list: unknown, value: string) => Array.isArray(list) && list.includes(value);
  return has(p.source, 'aws.cloudwatch') && has(p.resources, arn) && has(p.detail?.state?.value, 'ALARM');
};
