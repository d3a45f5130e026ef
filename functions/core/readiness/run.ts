/**
 * One scheduled readiness run of a plan: resolve the plan, read with its probes, judge, record the metrics, publish
 * the `Readiness Report`. A failed check is a status in the report and never an error; a bug, or a report that
 * cannot be published, fails the run (the function's Errors metric).
 */
import type { ArtifactPortsFor } from '../artifact-ports.js';
import { InvalidInputError } from '../errors.js';
import type { Plan } from '../plan.js';
import type { Notifier, ReadinessMetrics, ReadinessProbes, StackNames } from '../ports.js';
import { type ReadinessReport, summariseReport } from './model.js';
import { type ReadinessOptions, runReadinessChecks } from './runner.js';
import { planForStack, type StackSide } from './stack-side.js';

/** What the schedule sends (infra/): the plan to check. */
export interface ReadinessEvent {
  kind?: 'readiness';
  plan?: unknown;
}

export interface ReadinessRunDeps {
  plans: () => ReadonlyMap<string, Plan>;
  now: () => Date;
  stack: () => StackNames;
  probes: (plan: Plan, stack: StackNames) => Promise<ReadinessProbes>;
  /** Where the `Readiness Report` event goes: the plan's bus only (people are paged by the metric's alarm). */
  notifier: (plan: Plan) => Promise<Notifier>;
  metrics: ReadinessMetrics;
  /** The model-artifact check's ports, for plans with `artifacts`. */
  artifacts?: ArtifactPortsFor;
  /** Told the one-line summary before the report is published. */
  log?: (summary: string, report: ReadinessReport) => void;
  options?: ReadinessOptions;
  /** The stack's region and the pair observer: the plan as this stack would run it (./stack-side.ts). */
  side?: StackSide;
}

const planOf = (event: ReadinessEvent, plans: ReadonlyMap<string, Plan>): Plan => {
  const name = event?.plan;
  if (typeof name !== 'string' || name === '') throw new InvalidInputError('plan', 'must name a deployed plan');
  const plan = plans.get(name);
  if (!plan) throw new InvalidInputError('plan', `no deployed plan named ${JSON.stringify(name)}`);
  return plan;
};

export const runReadiness = async (event: ReadinessEvent, deps: ReadinessRunDeps): Promise<ReadinessReport> => {
  const written = planOf(event, deps.plans());
  const side = await planForStack(written, deps.side ?? {}, deps.now);
  // The plan as this stack would run it; the report keeps the plan's own name and bus.
  const plan = 'plan' in side ? side.plan : written;
  const report =
    'report' in side
      ? side.report
      : await runReadinessChecks(
          plan,
          { probes: await deps.probes(plan, deps.stack()), now: deps.now, artifacts: deps.artifacts },
          deps.options,
        );
  deps.metrics.record(report);
  const summary = summariseReport(report);
  deps.log?.(summary, report);
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
