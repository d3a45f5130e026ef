import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { pairFor } from '#adapters/database/index.js';
import { powertoolsReadinessMetrics } from '#adapters/metrics/index.js';
import { readinessNotifierFor } from '#adapters/notify/index.js';
import type { StackNames } from '#core/ports.js';
import type { ReadinessReport } from '#core/readiness/model.js';
import { type ReadinessEvent, type ReadinessRunDeps, runReadiness } from '#core/readiness/run.js';
import { optionalEnv, stackFromEnv } from '#lib/env.js';
import { logAndMaskErrors, logger } from '#lib/logger.js';
import { deployedPlans } from '#lib/plans.js';
import { answerWarmUp } from '#lib/warm-up.js';

let stack: StackNames | undefined;

const defaultDeps = (): ReadinessRunDeps => ({
  plans: deployedPlans,
  now: () => new Date(),
  stack: () => (stack ??= stackFromEnv()),
  probes: async (plan, names) => (await import('#adapters/readiness/index.js')).readinessProbesFor(plan, names),
  notifier: readinessNotifierFor,
  artifacts: async (config, region) => (await import('#adapters/artifacts/index.js')).artifactPorts(config, region),
  metrics: powertoolsReadinessMetrics(),
  // The plan as this stack would run it: the pair observed as Prepare observes it (core/readiness/stack-side.ts).
  side: { region: optionalEnv('DR_FAILOVER_REGION'), pair: pairFor },
  log: (summary, report) => {
    logger.appendKeys({ plan: report.plan });
    const log = report.status === 'OK' ? logger.info.bind(logger) : logger.warn.bind(logger);
    log(summary, { status: report.status, counts: report.counts, checks: report.checks });
  },
});

export const createHandler = (deps: ReadinessRunDeps = defaultDeps()) =>
  middy<ReadinessEvent, ReadinessReport, Error, Context>(async (event: ReadinessEvent) => runReadiness(event, deps))
    .use(answerWarmUp())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logAndMaskErrors('readiness failed'));

export const handler = createHandler();
