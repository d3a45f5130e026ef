/**
 * `health-check` traffic switch ("the standby takes over"): the plan's failover record pair was created ahead of
 * time, and its PRIMARY record's health check follows a CloudWatch alarm in the standby region. The step publishes
 * one datapoint of the plan's metric there (PutMetricData, a regional API of the standby region); the alarm goes to
 * ALARM, Route 53's health checkers see it and the record answers with its SECONDARY (the standby). Confirmed from
 * the alarm's state (DescribeAlarms); GetHealthCheckStatus belongs to Route 53's control plane and is not used.
 * Route 53 follows alarms over standard-resolution metrics only, so the datapoint is standard resolution.
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
 */
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { DnsChangeFailedError } from '#core/errors.js';
import type { PlanWithTraffic } from '#core/plan.js';
import type { ChangeStatus, DnsSwitch, TrafficChange } from '#core/ports.js';

export interface HealthCheckSwitchDeps {
  records: Pick<DnsSwitch, 'resolve'>;
  cloudwatch?: () => CloudWatchClient;
}

/** A refusal (access denied, bad namespace) stays terminal as DnsChangeFailedError; throttling and 5xx retry. */
const asTrafficError = (error: unknown, what: string) => {
  const translated = translateAwsError(error, what);
  return translated.retryable ? translated : new DnsChangeFailedError(translated.message, { cause: error });
};

export class HealthCheckSwitch implements DnsSwitch {
  readonly #plan: PlanWithTraffic<'health-check'>;
  readonly #deps: HealthCheckSwitchDeps;

  constructor(plan: PlanWithTraffic<'health-check'>, deps: HealthCheckSwitchDeps) {
    this.#plan = plan;
    this.#deps = deps;
  }

  get #cloudwatch(): CloudWatchClient {
    return (this.#deps.cloudwatch ?? (() => clientFor(CloudWatchClient, this.#plan.regions.standby)))();
  }

  /** Publishes 1 on the plan's metric. Idempotent: another datapoint of 1 keeps the alarm where it is going. */
  async point(_recordName: string, _target: string, _ttl: number): Promise<TrafficChange> {
    const { alarm } = this.#plan.traffic;
    const what = `PutMetricData ${alarm.namespace}/${alarm.metricName} in ${this.#plan.regions.standby}`;
    try {
      await this.#cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: alarm.namespace,
          MetricData: [{ MetricName: alarm.metricName, Value: 1, Unit: 'Count', StorageResolution: 60 }],
        }),
      );
    } catch (error) {
      throw asTrafficError(error, what);
    }
    return {
      changeId: `health-check:${alarm.name}`,
      mechanism: 'health-check',
      detail: `${alarm.namespace}/${alarm.metricName} = 1 in ${this.#plan.regions.standby}: alarm ${alarm.name} takes the primary out`,
    };
  }

  /** The alarm's state: ALARM means the PRIMARY record's health check now reads unhealthy. */
  async alarmState(): Promise<string | undefined> {
    const { alarm } = this.#plan.traffic;
    try {
      const out = await this.#cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNames: [alarm.name], AlarmTypes: ['MetricAlarm'] }),
      );
      return out.MetricAlarms?.[0]?.StateValue;
    } catch (error) {
      throw asTrafficError(error, `DescribeAlarms ${alarm.name} in ${this.#plan.regions.standby}`);
    }
  }

  async changeStatus(_changeId: string): Promise<ChangeStatus> {
    const state = await this.alarmState();
    if (state === undefined) {
      throw new DnsChangeFailedError(
        `alarm ${this.#plan.traffic.alarm.name} does not exist in ${this.#plan.regions.standby}: traffic cannot move`,
      );
    }
    return state === 'ALARM' ? 'insync' : 'pending';
  }

  resolve(recordName: string): Promise<string[]> {
    return this.#deps.records.resolve(recordName);
  }
}
