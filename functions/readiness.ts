import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { InvalidInputError } from '#core/errors.js';
import type { Plan } from '#core/plan.js';
import type { Notifier } from '#core/ports.js';
import {
  type ReadinessOptions,
  type ReadinessProbes,
  type ReadinessReport,
  runReadinessChecks,
  STATUS_VALUE,
  type StackNames,
  summariseReport,
} from '#core/readiness.js';
import { requireEnv } from '#lib/env.js';
import { logAndMaskErrors, logger } from '#lib/logger.js';
import { deployedPlans } from '#lib/plans.js';

/**
 * The metrics, for alarms that page when DR readiness degrades (namespace `DrFailover`, embedded metric format):
 * - `CheckStatus`, dimensions `service`, `plan`, `check`: 0 OK, 1 WARN, 2 CRITICAL, one datapoint per check and run;
 * - `ReadinessStatus`, dimensions `service`, `plan`: the worst of them.
 * Page on `ReadinessStatus` Maximum >= 2 for 2 of 3 periods of the schedule's rate (one slow run is not an outage),
 * and treat missing data as breaching: no datapoint means the readiness function itself is not running.
 */
export const METRICS_NAMESPACE = 'DrFailover';
export const CHECK_METRIC = 'CheckStatus';
export const OVERALL_METRIC = 'ReadinessStatus';

/** What the schedule sends (infra/wiring.ts): the plan to check. */
export interface ReadinessEvent {
  kind?: 'readiness';
  plan?: unknown;
}

export interface ReadinessHandlerDeps {
  plans: () => ReadonlyMap<string, Plan>;
  now: () => Date;
  stack: () => StackNames;
  probes: (plan: Plan, stack: StackNames) => Promise<ReadinessProbes>;
  /** Where the `Readiness Report` event goes: the plan's bus only (people are paged by the metric's alarm). */
  notifier: (plan: Plan) => Promise<Notifier>;
  metrics: Metrics;
  options?: ReadinessOptions;
}

/** The stack's names, from the environment serverless.yml sets (read once, at cold start). */
export const stackFromEnv = (env: NodeJS.ProcessEnv = process.env): StackNames => ({
  stage: requireEnv('DR_FAILOVER_STAGE', env),
  stateMachineArn: requireEnv('STATE_MACHINE_ARN', env),
  triggerFunctionArn: requireEnv('TRIGGER_FUNCTION_ARN', env),
  functionNames: requireEnv('STACK_FUNCTIONS', env)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
});

/** The plan's bus, without its SNS topic: a report every few minutes is for systems; the metric's alarm pages people. */
export const readinessNotifier = async (plan: Plan): Promise<Notifier> => {
  const { AwsNotifier } = await import('#adapters/notify/aws.js');
  return new AwsNotifier({ regions: plan.regions, notify: { eventBus: plan.notify.eventBus } });
};

let stack: StackNames | undefined;

const defaultDeps = (): ReadinessHandlerDeps => ({
  plans: deployedPlans,
  now: () => new Date(),
  stack: () => {
    stack ??= stackFromEnv();
    return stack;
  },
  probes: async (plan, names) => (await import('#adapters/readiness/index.js')).readinessProbesFor(plan, names),
  notifier: readinessNotifier,
  metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'dr-failover' }),
});

/** One datapoint per check and one overall, each flushed at once with its own dimensions. */
export const emitReadinessMetrics = (metrics: Metrics, report: ReadinessReport): void => {
  for (const c of report.checks) {
    const single = metrics.singleMetric();
    single.addDimensions({ plan: report.plan, check: c.check });
    single.addMetric(CHECK_METRIC, MetricUnit.Count, STATUS_VALUE[c.status]);
  }
  const overall = metrics.singleMetric();
  overall.addDimension('plan', report.plan);
  overall.addMetric(OVERALL_METRIC, MetricUnit.Count, STATUS_VALUE[report.status]);
};

/**
 * Checks one plan, emits its metrics, publishes its `Readiness Report`. A failed check is a status in the report and
 * never an error; a bug, or a report that cannot be published, fails the invocation (the Lambda Errors metric).
 */
export const runReadiness = async (event: ReadinessEvent, deps: ReadinessHandlerDeps): Promise<ReadinessReport> => {
  const name = event?.plan;
  if (typeof name !== 'string' || name === '') throw new InvalidInputError('plan', 'must name a deployed plan');
  const plan = deps.plans().get(name);
  if (!plan) throw new InvalidInputError('plan', `no deployed plan named ${JSON.stringify(name)}`);
  logger.appendKeys({ plan: plan.name });

  const names = deps.stack();
  const probes = await deps.probes(plan, names);
  const report = await runReadinessChecks(plan, { probes, now: deps.now }, deps.options);
  emitReadinessMetrics(deps.metrics, report);

  const summary = summariseReport(report);
  const log = report.status === 'OK' ? logger.info.bind(logger) : logger.warn.bind(logger);
  log(summary, { status: report.status, counts: report.counts, checks: report.checks });

  const notifier = await deps.notifier(plan);
  await notifier.publish({
    type: 'Readiness Report',
    plan: plan.name,
    executionId: `readiness-${plan.name}-${report.checkedAt}`,
    // A readiness run changes nothing (a dry run) and asks whether a planned failover could start now.
    mode: 'planned',
    dryRun: true,
    requestedBy: 'schedule:readiness',
    reason: `scheduled DR readiness check (${plan.readiness.schedule})`,
    summary,
    detail: { ...report },
    occurredAt: report.checkedAt,
  });
  return report;
};

export const createHandler = (deps: ReadinessHandlerDeps = defaultDeps()) =>
  middy<ReadinessEvent, ReadinessReport, Error, Context>(async (event: ReadinessEvent) => runReadiness(event, deps))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logAndMaskErrors('readiness failed'));

export const handler = createHandler();
