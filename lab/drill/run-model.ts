/**
 * A local drill → the run model, so the drill and AWS runs share one report (report/render.ts). The drill measures
 * more than an AWS run can (RTO to the first acknowledged write, RPO as commits counted on the new primary):
 * those measures replace the state machine's own estimates here.
 */
import type { FailoverState } from '#core/state.js';
import {
  artifactChecksOf,
  componentLanes,
  nextStepsOf,
  planSummary,
  type RunModel,
  retryWarnings,
  rpoFromState,
  type StepKind,
  type StepRun,
  stepKindOf,
  UNFENCED,
  warningsFromState,
  worldOf,
} from '#report/model.js';
import type { DrillReport } from './types.js';

/** The drill's phases as steps: detection and trigger, each state of the run (or the baseline's two calls), reconnect. */
const stepsOf = (r: DrillReport): StepRun[] => {
  const steps: StepRun[] = [];
  const p = r.phases;
  const phase = (name: string, kind: StepKind, i: { start: number; end: number } | undefined, outcome?: string) => {
    if (i)
      steps.push({
        name,
        kind,
        startMs: i.start,
        endMs: i.end,
        attempts: 1,
        failures: [],
        ...(outcome ? { outcome } : {}),
      });
  };
  phase(
    'detection',
    'detect',
    p.detection,
    r.detection
      ? `${r.options.detectorFailures} failed probes → ${r.detection.event.detail.alarmName} in ALARM`
      : undefined,
  );
  phase(
    'trigger',
    'trigger',
    p.trigger,
    r.trigger ? `${r.trigger.outcome} ${r.trigger.executionName ?? ''}`.trim() : undefined,
  );
  for (const s of r.execution?.states ?? []) {
    if (s.type !== 'Task' && s.type !== 'Wait' && s.type !== 'Fail') continue;
    steps.push({
      name: s.name,
      kind: s.caught ? 'fail' : (stepKindOf(s.type, s.name) ?? 'task'),
      startMs: s.enteredAt,
      endMs: s.exitedAt ?? s.enteredAt,
      attempts: s.type === 'Fail' ? 0 : s.retries + 1,
      // The drill's tracker keeps the last error of a state; earlier retried ones are counted, not named.
      failures: Array.from({ length: s.retries + (s.caught ? 1 : 0) }, () => ({ error: s.failed ?? 'an error' })),
      ...(s.caught ? { error: s.failed ?? 'error' } : {}),
      ...(s.outcome && !s.caught ? { outcome: s.outcome } : {}),
      ...(s.type === 'Fail' ? { error: r.execution?.error ?? s.name } : {}),
    });
  }
  if (r.orchestration === 'baseline') {
    phase('pg_promote', 'task', p.promotion);
    phase('DNS UPSERT', 'task', p.dnsSwitch);
  }
  phase('client reconnect', 'client', p.clientReconnect, `DNS TTL ${r.where.dns.ttl} s, then a new connection`);

  return steps;
};

/** The RPO the drill counted (commits missing on the new primary), beside the lag the run read. */
const rpoOf = (r: DrillReport, state: Partial<FailoverState>): RunModel['rpo'] => {
  const limitSeconds = r.plan.rpo.maxLagSeconds;
  const lagRpo = rpoFromState(state);
  if (!r.rpo) return lagRpo;
  const span = r.rpo.spanMs?.ms ?? 0;
  return {
    limitSeconds,
    met: r.rpo.lostCount === 0 || span <= limitSeconds * 1000,
    measured:
      `${r.rpo.lostCount} of ${r.rpo.acknowledgedByOldPrimary} acknowledged commits missing on the new primary` +
      (r.rpo.spanMs ? ` (a ${r.rpo.spanMs.ms} ms span of acknowledgements)` : ''),
    lostCommits: r.rpo.lostCount,
    ...(lagRpo?.lag ? { lag: lagRpo.lag } : {}),
  };
};

/** Who started the drill's run and why: the trigger on the alarm, or the operator. */
const startOf = (r: DrillReport): RunModel['start'] =>
  r.incident.kind === 'kill'
    ? {
        mode: r.mode,
        dryRun: false,
        reason: `drill: primary region lost (${r.detection?.event.detail.alarmName ?? 'alarm'} in ALARM)`,
        requestedBy: 'the trigger',
        trigger: { kind: 'alarm', source: r.detection?.event.detail.alarmName ?? 'drill alarm' },
      }
    : {
        mode: r.mode,
        dryRun: false,
        reason:
          r.mode === 'planned'
            ? 'drill: planned switchover to the standby region'
            : 'drill: operator declares the primary region lost',
        requestedBy: 'drill:operator',
        trigger: { kind: 'manual', source: 'scripts/drill.ts' },
      };

export const runModelFromDrill = (r: DrillReport): RunModel => {
  const steps = stepsOf(r);
  const state: Partial<FailoverState> = {
    plan: r.plan,
    timeline: r.execution?.timeline ?? [],
    ...(r.execution?.lag ? { lag: r.execution.lag } : {}),
    ...(r.execution?.fence ? { fence: r.execution.fence } : {}),
    ...(r.execution?.components ? { components: r.execution.components } : {}),
    ...(r.execution?.componentGates ? { componentGates: r.execution.componentGates } : {}),
    ...(r.execution?.artifactGate ? { artifactGate: r.execution.artifactGate } : {}),
    ...(r.execution?.artifacts ? { artifacts: r.execution.artifacts } : {}),
    // The state of the world quotes a failed fence's error: it says what the fence left.
    ...(r.execution?.error
      ? { error: { Error: r.execution.error, ...(r.execution.cause ? { Cause: r.execution.cause } : {}) } }
      : {}),
  };
  const rpo = rpoOf(r, state);
  const error = r.execution?.error
    ? { name: r.execution.error, ...(r.execution.cause ? { cause: r.execution.cause } : {}) }
    : undefined;
  const started = startOf(r);
  const warnings = [...retryWarnings(steps), ...warningsFromState(state)];
  if (r.splitBrain && !r.splitBrain.ok) warnings.push('Split brain: the old primary took writes after it came back.');
  if (r.mode === 'planned' && (r.rpo?.lostCount ?? 0) > 0)
    warnings.push('A planned switchover lost acknowledged commits.');
  const outcome = r.outcome;
  const world = worldOf(outcome, state);
  const nextSteps = nextStepsOf(outcome, error?.name, state);
  const components = componentLanes(state, Date.parse(r.incident.at));
  const artifacts = artifactChecksOf(state);
  return {
    source: 'drill',
    execution: {
      name: r.execution?.name ?? r.trigger?.executionName ?? `drill-${r.orchestration}`,
      status: r.execution?.status ?? (outcome === 'succeeded' ? 'SUCCEEDED' : 'FAILED'),
      startedAt: r.startedAt,
    },
    outcome,
    zeroAt: r.incident.at,
    zeroLabel: r.incident.kind === 'kill' ? 'primary killed' : 'incident',
    plan: planSummary(r.plan),
    start: started,
    steps,
    visited: r.execution?.visited ?? [],
    ...(r.rto
      ? {
          rto: {
            ms: r.rto.ms,
            targetSeconds: r.rto.targetSeconds,
            met: r.rto.met,
            until: 'first write on the new primary',
          },
        }
      : {}),
    ...(rpo ? { rpo } : {}),
    ...(error && outcome !== 'succeeded' ? { error } : {}),
    // After a failure the state of the world says how the old primary was left: no second line for it.
    warnings: warnings.filter((w) => !(world && w.startsWith(UNFENCED))),
    ...(world ? { world } : {}),
    ...(nextSteps ? { nextSteps } : {}),
    ...(components ? { components } : {}),
    ...(artifacts ? { artifacts } : {}),
  };
};
