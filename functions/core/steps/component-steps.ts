/**
 * The steps of a plan's components, all in the one `component` function:
 * - CheckComponentGates (before Fence): one reading of every component's RPO gate, judged together, counted
 *   against the plan's rpo.maxLagChecks as the database's lag is;
 * - NextComponentStage (after the promotion, before traffic moves): folds the stage that ended into
 *   `components.<name>` and names the next stage's components for the stage Map, or ends the stages;
 * - ComponentAction (inside the stage Map, one component): switch routes, raise capacity and poll it until
 *   healthy, invoke a custom action, fail over a second database (core/component-database.ts), one phase a call.
 *   A dry run reads at most, and says what it would do.
 */
import { adjustCapacity, nextCapacityStep } from '../capacity.js';
import { databaseAction, readDatabaseGate } from '../component-database.js';
import { advanceStages, type ComponentIteration, type ComponentProgress, componentReports } from '../components.js';
import { ComponentActionFailedError, ComponentTimedOutError, ConfigurationError } from '../errors.js';
import { type ComponentConfig, hasGate } from '../plan-components.js';
import type { PlatformComponents } from '../ports.js';
import { beginStep, type FailoverState } from '../state.js';
import type { StepPayload } from './deps.js';

export interface ComponentDeps {
  now: () => Date;
  components: () => Promise<PlatformComponents>;
}

export const checkComponentGates = async (event: StepPayload, deps: ComponentDeps): Promise<FailoverState> => {
  const { state } = event;
  const step = beginStep(state, 'CheckComponentGates', deps.now);
  const components = state.plan.components ?? [];
  const gates = components.filter(hasGate);
  const platform = await deps.components();
  const verdicts = await Promise.all(
    gates.map((g) =>
      g.kind === 'database' ? readDatabaseGate(g, state.plan, platform) : platform.readGate(g, state.plan.regions),
    ),
  );
  const reports = componentReports(components, state.components);
  gates.forEach((g, i) => {
    const report = reports[g.name];
    const gate = verdicts[i];
    if (report && gate) reports[g.name] = { ...report, gate };
  });
  const checks = (state.componentGates?.checks ?? 0) + 1;
  const behind = gates.filter((_, i) => !verdicts[i]?.within);
  const decision = behind.length === 0 ? 'within-rpo' : checks < state.plan.rpo.maxLagChecks ? 'retry' : 'exceeded';
  const reason =
    gates.length === 0
      ? 'no component has an RPO gate'
      : behind.length === 0
        ? `every component gate within: ${gates.map((g) => g.name).join(', ')}`
        : `component gate not within after ${checks} of ${state.plan.rpo.maxLagChecks} checks: ` +
          behind.map((g) => `${g.name}: ${reports[g.name]?.gate?.reason}`).join('; ');
  return step.done({ components: reports, componentGates: { checks, decision, reason } }, reason);
};

export const nextComponentStage = async (event: StepPayload, deps: ComponentDeps): Promise<FailoverState> => {
  const { state } = event;
  const step = beginStep(state, 'ComponentStages', deps.now);
  const run = {
    plan: state.plan.name,
    executionId: event.executionId,
    regions: state.plan.regions,
    mode: state.input.mode,
    dryRun: state.input.dryRun,
  };
  const { reports, componentRun } = advanceStages(
    state.plan.components ?? [],
    state.components,
    state.componentRun,
    run,
  );
  const statuses = Object.entries(reports)
    .map(([name, r]) => `${name} ${r.status}`)
    .join(', ');
  return step.done({ components: reports, componentRun }, `${componentRun.reason} (${statuses})`);
};

type Action = Omit<ComponentProgress, 'checks' | 'startedAt' | 'endedAt'> & Pick<ComponentIteration, 'database'>;

const capacityAction = async (
  c: Extract<ComponentConfig, { kind: 'capacity' }>,
  it: ComponentIteration,
  platform: PlatformComponents,
  checks: number,
): Promise<Action> => {
  const control = await platform.capacity(c.target, it.run.regions.standby);
  if (it.run.dryRun) {
    const now = await control.observe();
    const next = nextCapacityStep(c.target.count, now);
    if (next.action === 'refuse') throw new ConfigurationError(`capacity ${c.target.kind}: ${next.reason}`);
    const would =
      next.action === 'raise' ? `would raise ${now.desired} → ${next.to}` : `would leave it: ${next.reason}`;
    return { status: 'dry-run', detail: `${would} (${now.detail})` };
  }
  const result = await adjustCapacity(c.target, control);
  if (result.state === 'ready') return { status: 'done', detail: result.detail };
  if (checks >= c.maxChecks) {
    throw new ComponentTimedOutError(`not ready after ${checks} checks: ${result.detail}`);
  }
  return { status: 'pending', detail: result.detail };
};

const act = async (it: ComponentIteration, platform: PlatformComponents, checks: number): Promise<Action> => {
  const c = it.component;
  const { dryRun } = it.run;
  switch (c.kind) {
    case 'capacity':
      return capacityAction(c, it, platform, checks);
    case 's3-replication': {
      const ap = c.accessPoint;
      if (!ap) return { status: 'done', detail: 'no access point to switch' };
      if (dryRun) {
        const to = `${ap.standby.bucket} (${ap.standby.region}) 100, ${ap.primary.bucket} (${ap.primary.region}) 0`;
        return { status: 'dry-run', detail: `would set the routes of ${ap.mrapArn}: ${to}` };
      }
      return { status: 'done', detail: (await platform.switchRoutes(ap)).detail };
    }
    case 'custom-action': {
      if (dryRun) return { status: 'dry-run', detail: `would invoke ${c.functionArn}` };
      const verdict = await platform.invoke(c.functionArn, {
        plan: it.run.plan,
        component: c.name,
        mode: it.run.mode,
        dryRun,
        // The same for every attempt of this component in this run: the function does its work once per key.
        idempotencyKey: `${it.run.executionId}:${c.name}`,
        input: c.input ?? {},
      });
      if (!verdict.ok) throw new ComponentActionFailedError(verdict.detail);
      return { status: 'done', detail: verdict.detail };
    }
    case 'dynamodb-global-table':
      return { status: 'done', detail: 'nothing to promote' };
    case 'database':
      return databaseAction(c, it.run, it.database, checks, platform);
  }
};

export const componentAction = async (
  event: StepPayload<ComponentIteration>,
  deps: ComponentDeps,
): Promise<ComponentIteration> => {
  const it = event.state;
  const startedAt = it.progress?.startedAt ?? deps.now().toISOString();
  const checks = (it.progress?.checks ?? 0) + 1;
  const { database, ...action } = await act(it, await deps.components(), checks);
  return {
    ...it,
    ...(database ? { database } : {}),
    progress: { ...action, checks, startedAt, endedAt: deps.now().toISOString() },
  };
};
