/**
 * The run's side of a plan's components (plan-components.ts): what each one's state is (`components.<name>` in the
 * run state), which stage runs next, and the words notifications use for them. Pure.
 */
import type { ComponentDatabaseProgress } from './component-database-progress.js';
import type { FailoverMode } from './input.js';
import { type ComponentConfig, hasAction } from './plan-components.js';
import type { GateVerdict } from './replication-gates.js';

/**
 * - `not-started`: nothing done to it (a stage before it failed, or the run ended before the stages)
 * - `done`: its action is done (routes switched, capacity healthy, custom action answered ok, a second database
 *   promoted and its record in sync)
 * - `dry-run`: a dry run said what it would do, changing nothing
 * - `failed`: its action failed; `error` says why
 * - `nothing-to-do`: no action after the promotion (a global table: its gate is all it has)
 */
export type ComponentStatus = 'not-started' | 'done' | 'dry-run' | 'failed' | 'nothing-to-do';

export interface ComponentReport {
  kind: ComponentConfig['kind'];
  stage: number;
  status: ComponentStatus;
  /** What the world is now, as the component's last call saw it. */
  detail: string;
  /** The component's RPO gate, as last read before Fence. */
  gate?: GateVerdict;
  error?: { Error: string; Cause?: string };
  checks?: number;
  endedAt?: string;
}

/** What a component's action needs of the run: the same for every component of a stage. */
export interface ComponentRunContext {
  plan: string;
  executionId: string;
  regions: { primary: string; standby: string };
  mode: FailoverMode;
  dryRun: boolean;
}

/** How far one component's action got, returned by each ComponentAction. */
export interface ComponentProgress {
  status: 'pending' | 'done' | 'dry-run';
  detail: string;
  checks: number;
  startedAt: string;
  endedAt: string;
}

/** One iteration of the stage Map: the component, the run's context, and its progress (none before the first call). */
export interface ComponentIteration {
  component: ComponentConfig;
  run: ComponentRunContext;
  progress?: ComponentProgress;
  /** A component database's phases so far (core/component-database.ts). */
  database?: ComponentDatabaseProgress;
  /** Set by the iteration's Catch: the action failed after its retries. */
  error?: { Error: string; Cause?: string };
}

/** The stage loop's part of the run state. */
export interface ComponentRun {
  stage: number;
  decision: 'run' | 'done' | 'failed';
  run: ComponentRunContext;
  /** The components the stage Map runs (ItemsPath). */
  items: ComponentConfig[];
  /** The stage Map's output: one iteration per item (ResultPath). */
  results?: ComponentIteration[];
  reason: string;
}

const initial = (c: ComponentConfig): ComponentReport => ({
  kind: c.kind,
  stage: c.stage,
  status: 'not-started',
  detail: 'not started',
});

/** Every component of the plan, with what is known of it so far. */
export const componentReports = (
  components: readonly ComponentConfig[],
  known: Readonly<Record<string, ComponentReport>> | undefined,
): Record<string, ComponentReport> =>
  Object.fromEntries(components.map((c) => [c.name, known?.[c.name] ?? initial(c)]));

/** A finished iteration, as the component's report: failed when its Catch recorded an error. */
export const reportOf = (before: ComponentReport, it: ComponentIteration): ComponentReport => {
  const base = { ...before, ...(it.progress ? { checks: it.progress.checks, endedAt: it.progress.endedAt } : {}) };
  if (it.error) {
    const said = it.error.Cause ? `: ${causeText(it.error.Cause)}` : '';
    // An error that already says the world as its call saw it (a component database's) is not followed by it again.
    const world = it.progress && !said.includes(it.progress.detail) ? ` (last seen: ${it.progress.detail})` : '';
    return { ...base, status: 'failed', error: it.error, detail: `${it.error.Error}${said}${world}`.slice(0, 1000) };
  }
  const status = it.progress?.status === 'dry-run' ? 'dry-run' : 'done';
  return { ...base, status, detail: it.progress?.detail ?? 'done' };
};

/** A Catch's Cause is the Lambda error's JSON (`errorMessage`); people read the message. */
const causeText = (cause: string): string => {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : cause;
  } catch {
    return cause;
  }
};

/** The stages after `current` that have something to do, in order. */
export const laterStages = (components: readonly ComponentConfig[], current: number): number[] =>
  [...new Set(components.filter((c) => c.stage > current && hasAction(c)).map((c) => c.stage))].sort((a, b) => a - b);

/**
 * Folds a stage's results into the reports and says what comes next: the next stage with something to do, `failed`
 * when a component of the stage failed (later stages are not started), or `done`.
 */
export const advanceStages = (
  components: readonly ComponentConfig[],
  known: Record<string, ComponentReport> | undefined,
  previous: Pick<ComponentRun, 'stage' | 'results'> | undefined,
  run: ComponentRunContext,
): { reports: Record<string, ComponentReport>; componentRun: ComponentRun } => {
  const reports = componentReports(components, known);
  for (const it of previous?.results ?? []) {
    const before = reports[it.component.name];
    if (before) reports[it.component.name] = reportOf(before, it);
  }
  const current = previous?.stage ?? 0;
  // Components without an action are done with once the stages have reached theirs.
  const passed = (upTo: number) => {
    for (const c of components.filter((x) => !hasAction(x) && x.stage <= upTo)) {
      const r = reports[c.name];
      if (r?.status === 'not-started')
        reports[c.name] = { ...r, status: 'nothing-to-do', detail: 'nothing to promote' };
    }
  };
  passed(current);
  const failed = (previous?.results ?? []).filter((it) => it.error !== undefined).map((it) => it.component.name);
  const base = { run, items: [] as ComponentConfig[] };
  if (failed.length > 0) {
    const reason = failed.map((name) => `${name}: ${reports[name]?.detail}`).join('; ');
    return {
      reports,
      componentRun: { ...base, stage: current, decision: 'failed', reason: `stage ${current} failed: ${reason}` },
    };
  }
  const next = laterStages(components, current)[0];
  passed(next === undefined ? Number.POSITIVE_INFINITY : next - 1);
  if (next === undefined) {
    return { reports, componentRun: { ...base, stage: current, decision: 'done', reason: 'every stage done' } };
  }
  const items = components.filter((c) => c.stage === next && hasAction(c));
  const reason = `stage ${next}: ${items.map((c) => c.name).join(', ')}`;
  return { reports, componentRun: { ...base, stage: next, decision: 'run', items, reason } };
};

/** One line per component, for notifications and reports: `name (kind, stage n): status — detail`. */
export const componentLines = (
  components: readonly ComponentConfig[] | undefined,
  known: Readonly<Record<string, ComponentReport>> | undefined,
): string[] =>
  Object.entries(componentReports(components ?? [], known)).map(([name, r]) => {
    const gate = r.gate ? `; gate: ${r.gate.reason}` : '';
    return `${name} (${r.kind}, stage ${r.stage}): ${r.status} - ${r.detail}${gate}`;
  });
