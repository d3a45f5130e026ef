/**
 * CloudWatch's GetMetricData over periods, on the virtual clock (./clock.ts), behind the SDK mock of
 * test/statemachine/support.ts. A metric is a series of raw samples the world publishes late; a query reads them back
 * aggregated per period, as GetMetricData does. Each behaviour names the page it is modelled on.
 */
import {
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { cloudwatch } from '../statemachine/support.js';
import type { Clock } from './clock.js';

const MINUTE = 60_000;

export interface MetricSeries {
  namespace: string;
  metricName: string;
  /** The metric's whole dimension set: a query finds it only with exactly this set. */
  dimensions: Readonly<Record<string, string>>;
  /** The sample taken at `t`, or undefined when none was (the resource was not publishing). */
  sampleAt(t: number): number | undefined;
  /** How often a sample is taken. */
  sampleEveryMs: number;
  /** How long after it is taken a sample can be read. */
  publishDelayMs: number;
}

/** `Maximum`, `Minimum`, `Average`, `Sum`, `SampleCount` of the samples of one period. */
const aggregate = (stat: string, values: number[]): number => {
  if (stat === 'Minimum') return Math.min(...values);
  if (stat === 'Sum') return values.reduce((a, b) => a + b, 0);
  if (stat === 'SampleCount') return values.length;
  if (stat === 'Average') return values.reduce((a, b) => a + b, 0) / values.length;
  if (stat === 'Maximum') return Math.max(...values);
  throw new Error(`the CloudWatch world does not model the statistic ${stat}`);
};

const sameDimensions = (series: MetricSeries, query: MetricDataQuery): boolean => {
  const asked = query.MetricStat?.Metric?.Dimensions ?? [];
  const held = Object.entries(series.dimensions);
  return asked.length === held.length && asked.every((d) => series.dimensions[d.Name ?? ''] === d.Value);
};

export class CloudWatchWorld {
  readonly #clock: Clock;
  readonly #series: MetricSeries[] = [];
  #requests = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
    cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => this.#getMetricData(input));
  }

  add(series: MetricSeries): void {
    this.#series.push(series);
  }

  /** GetMetricData requests answered so far. */
  requests(): number {
    return this.#requests;
  }

  /**
   * GetMetricData (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html): StartTime
   * is inclusive and, less than 15 days back, rounded down to the whole minute; EndTime is exclusive. One datapoint per
   * period that holds at least one published sample, stamped with the period's start; a period with none has no
   * datapoint (missing data, not zero:
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data).
   * The newest period may still be filling: it aggregates the samples published so far. A metric is found only by
   * its exact namespace, name and dimension set
   * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension).
   */
  #getMetricData(input: GetMetricDataCommandInput) {
    this.#requests += 1;
    const start = Math.floor((input.StartTime ?? new Date(0)).getTime() / MINUTE) * MINUTE;
    const end = (input.EndTime ?? new Date(this.#clock.now())).getTime();
    const descending = input.ScanBy !== 'TimestampAscending';
    return {
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => this.#result(q, start, end, descending)),
    };
  }

  #result(query: MetricDataQuery, start: number, end: number, descending: boolean): MetricDataResult {
    const metric = query.MetricStat?.Metric;
    const series = this.#series.find(
      (s) => s.namespace === metric?.Namespace && s.metricName === metric?.MetricName && sameDimensions(s, query),
    );
    const periodMs = (query.MetricStat?.Period ?? 60) * 1000;
    const points: { t: number; v: number }[] = [];
    if (series) {
      const publishedUntil = this.#clock.now() - series.publishDelayMs;
      for (let p = start; p < end; p += periodMs) {
        const samples: number[] = [];
        for (let t = p; t < Math.min(p + periodMs, end) && t <= publishedUntil; t += series.sampleEveryMs) {
          const v = series.sampleAt(t);
          if (v !== undefined) samples.push(v);
        }
        if (samples.length > 0) points.push({ t: p, v: aggregate(query.MetricStat?.Stat ?? 'Average', samples) });
      }
    }
    if (descending) points.reverse();
    return {
      Id: query.Id,
      Label: metric?.MetricName,
      Timestamps: points.map((p) => new Date(p.t)),
      Values: points.map((p) => p.v),
      StatusCode: 'Complete',
    };
  }
}
