/**
 * ReadinessMetrics on Powertools Metrics (embedded metric format, namespace `DrFailover`), for alarms that page when
 * DR readiness degrades:
 * - `CheckStatus`, dimensions `service`, `plan`, `check`: 0 OK, 1 WARN, 2 CRITICAL, one datapoint per check and run;
 * - `ReadinessStatus`, dimensions `service`, `plan`: the worst of them.
 * Page on `ReadinessStatus` Maximum >= 2 for 2 of 3 periods of the schedule's rate (one slow run is not an outage),
 * and treat missing data as breaching: no datapoint means the readiness function itself is not running.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ReadinessMetrics } from '#core/ports.js';
import { STATUS_VALUE } from '#core/readiness/model.js';
import { SERVICE } from '#core/stack-names.js';

export const METRICS_NAMESPACE = 'DrFailover';
export const CHECK_METRIC = 'CheckStatus';
export const OVERALL_METRIC = 'ReadinessStatus';

/** One datapoint per check and one overall, each flushed at once with its own dimensions. */
export const powertoolsReadinessMetrics = (
  metrics: Metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE }),
): ReadinessMetrics => ({
  record: (report) => {
    for (const c of report.checks) {
      const single = metrics.singleMetric();
      single.addDimensions({ plan: report.plan, check: c.check });
      single.addMetric(CHECK_METRIC, MetricUnit.Count, STATUS_VALUE[c.status]);
    }
    const overall = metrics.singleMetric();
    overall.addDimension('plan', report.plan);
    overall.addMetric(OVERALL_METRIC, MetricUnit.Count, STATUS_VALUE[report.status]);
  },
});
