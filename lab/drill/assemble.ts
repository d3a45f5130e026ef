/** The drill's report, put together from what each phase returned: no phase writes into it while it runs. */
import type { FailoverState } from '#core/state.js';
import type { LocalRunResult } from '../state-machine.js';
import type { Findings } from './checks.js';
import type { Detector } from './detector.js';
import type { Incident, IncidentPlan } from './incident.js';
import type { MlReport } from './platform.js';
import type { Rig } from './rig.js';
import { clock, round, since } from './time.js';
import { planSeconds } from './tracker.js';
import type { DrillEnvironment, DrillReport, WaitReport } from './types.js';
import { DRILL_RECORD, type DrillSettings } from './world.js';

export interface DrillRun {
  how: IncidentPlan;
  settings: DrillSettings;
  retryIntervalMs?: number;
  startedAt: Date;
  /** Epoch ms the drill started (its wall time counts from here). */
  t0: number;
  env: DrillEnvironment;
  rig: Rig;
  detector?: Detector;
  incident: Incident;
  run?: LocalRunResult;
  findings: Findings;
  ml?: MlReport;
}

const tally = <T>(items: readonly T[], key: (t: T) => string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return out;
};

/** How the run ended: the baseline has no run and succeeds when it returns; a run ended in `Aborted` is aborted. */
export const outcomeOf = (how: IncidentPlan, run: LocalRunResult | undefined): DrillReport['outcome'] => {
  if (how.orchestration === 'baseline' || run?.status === 'SUCCEEDED') return 'succeeded';
  return run?.status === 'FAILED' && run.visited.includes('Aborted') ? 'aborted' : 'failed';
};

/** The promote and DNS calls, as the baseline made them or as the run's states took. */
export const callsOf = (rig: Rig, incident: Incident): DrillReport['calls'] => {
  const promoteMs = incident.baseline?.promoteMs ?? rig.tracker.duration('Promote');
  const dnsUpdateMs = incident.baseline?.dnsUpdateMs ?? rig.tracker.duration('UpdateDns');
  return {
    ...(promoteMs !== undefined ? { promoteMs } : {}),
    ...(dnsUpdateMs !== undefined ? { dnsUpdateMs } : {}),
  };
};

/** The last state the run had: its output, or the input of the state it failed in. */
export const lastStateOf = (run: LocalRunResult | undefined): Partial<FailoverState> | undefined => {
  const failedState = run?.events
    .filter((e) => e.type === 'StateExited' || e.type === 'StateEntered')
    .map((e) => (e as { state: { output?: unknown; input?: unknown } }).state)
    .findLast((s) => (s.output ?? s.input) !== undefined);
  return (run?.output ?? failedState?.output ?? failedState?.input) as Partial<FailoverState> | undefined;
};

const phasesOf = (d: DrillRun): DrillReport['phases'] => {
  const { incident, rig, findings } = d;
  const { tracker } = rig;
  const rel = since(incident.at);
  const phases: DrillReport['phases'] = {};
  if (incident.alarm) phases.detection = { start: 0, end: rel(incident.alarm.at), ms: rel(incident.alarm.at) };
  if (tracker.executionStartedAt !== undefined) {
    const from = incident.alarm?.at ?? incident.at;
    // The executor stamps events in whole milliseconds: a run started by hand can read up to 1 ms before its request.
    const startedAt = Math.max(tracker.executionStartedAt, from);
    phases.trigger = { start: rel(from), end: rel(startedAt), ms: round(startedAt - from) };
  }
  const lagCheck = tracker.span(['CheckLag'], ['CheckLag'], incident.at);
  if (lagCheck) phases.lagCheck = lagCheck;
  const fence = tracker.span(['Fence'], ['Fence'], incident.at);
  if (fence) phases.fence = fence;
  // Promote itself when it confirmed the standby writable (no status check ran), else the last status check.
  const promotion =
    incident.baseline?.promotion ?? tracker.span(['Promote'], ['Promote', 'PromotionStatus'], incident.at);
  if (promotion) phases.promotion = promotion;
  const dnsSwitch = incident.baseline?.dnsSwitch ?? tracker.span(['UpdateDns'], ['Verify'], incident.at);
  if (dnsSwitch) phases.dnsSwitch = dnsSwitch;
  const dnsUpserted = incident.baseline?.dnsSwitch.end ?? tracker.span(['UpdateDns'], ['UpdateDns'], incident.at)?.end;
  // From the UPSERT (visible at once: the local server propagates instantly) to the first write on the new
  // primary: what clients spend on a cached answer (TTL) and on reconnecting.
  if (dnsUpserted !== undefined && findings.rto) {
    phases.clientReconnect = { start: dnsUpserted, end: findings.rto.ms, ms: findings.rto.ms - dnsUpserted };
  }
  return phases;
};

const waitsOf = (d: DrillRun): WaitReport[] =>
  Object.entries(d.rig.definition.States)
    .filter(([, s]) => s.Type === 'Wait')
    .map(([name, s]) => ({
      state: name,
      planSeconds: planSeconds(d.env.plan, (s as { SecondsPath?: string }).SecondsPath),
      overrideMs: d.settings.waitMs,
      entered: d.rig.tracker.states.filter((x) => x.name === name).length,
    }));

const executionOf = (d: DrillRun): Pick<DrillReport, 'execution'> => {
  const { run, incident, rig } = d;
  if (!run || !incident.runName) return {};
  const rel = since(incident.at);
  const lastState = lastStateOf(run);
  return {
    execution: {
      name: incident.runName,
      status: run.status,
      ...(run.error ? { error: run.error } : {}),
      ...(run.cause ? { cause: run.cause } : {}),
      visited: run.visited,
      states: rig.tracker.states.map((s) => ({
        ...s,
        enteredAt: rel(s.enteredAt),
        ...(s.exitedAt !== undefined ? { exitedAt: rel(s.exitedAt) } : {}),
      })),
      timeline: lastState?.timeline ?? [],
      ...(lastState?.lag ? { lag: lastState.lag } : {}),
      ...(lastState?.fence ? { fence: lastState.fence } : {}),
      ...(lastState?.components ? { components: lastState.components } : {}),
      ...(lastState?.componentGates ? { componentGates: lastState.componentGates } : {}),
      ...(lastState?.artifactGate ? { artifactGate: lastState.artifactGate } : {}),
      ...(lastState?.artifacts ? { artifacts: lastState.artifacts } : {}),
    },
  };
};

export const assembleReport = (d: DrillRun): DrillReport => {
  const { how, settings, env, incident, findings } = d;
  const { regions, dns, plan, workload } = env;
  const rel = since(incident.at);
  const waits = waitsOf(d);
  return {
    mode: how.mode,
    orchestration: how.orchestration,
    outcome: outcomeOf(how, d.run),
    startedAt: d.startedAt.toISOString(),
    wallMs: round(clock() - d.t0),
    where: {
      primary: `${regions.primary.host}:${regions.primary.port}`,
      standby: `${regions.standby.host}:${regions.standby.port}`,
      dns: {
        record: DRILL_RECORD,
        ttl: settings.dnsTtlSeconds,
        nameserver: dns.nameserver,
        controlEndpoint: dns.controlEndpoint,
      },
      setupMs: { ...regions.timings },
      traffic: {
        kind: settings.traffic,
        controlPlane: settings.controlPlane,
        ...(env.cluster ? { clusterAnswered: env.cluster.answered() } : {}),
      },
    },
    options: {
      ratePerSecond: settings.ratePerSecond,
      detectorIntervalMs: settings.detectorIntervalMs,
      detectorFailures: settings.detectorFailures,
      waitMs: settings.waitMs,
      dnsTtlSeconds: settings.dnsTtlSeconds,
      start: how.start,
      ...(d.retryIntervalMs !== undefined ? { retryIntervalMs: d.retryIntervalMs } : {}),
    },
    plan,
    incident: {
      kind: how.start === 'alarm' ? 'kill' : how.mode === 'planned' ? 'switchover-request' : 'manual-unplanned',
      at: new Date(incident.at).toISOString(),
      ...(incident.killMs !== undefined ? { killMs: incident.killMs } : {}),
    },
    ...(incident.alarm && d.detector
      ? {
          detection: {
            ms: rel(incident.alarm.at),
            firstFailedProbeMs: rel(incident.alarm.firstFailedProbeAt),
            probes: d.detector.probes.length,
            event: incident.alarm.event,
          },
        }
      : {}),
    ...(incident.trigger ? { trigger: incident.trigger } : {}),
    ...executionOf(d),
    phases: phasesOf(d),
    calls: callsOf(d.rig, incident),
    waits,
    deployedWaitExtraMs: waits.reduce(
      (sum, w) => sum + w.entered * Math.max(0, w.planSeconds * 1000 - w.overrideMs),
      0,
    ),
    ...(findings.rto ? { rto: findings.rto } : {}),
    ...(findings.rpo ? { rpo: findings.rpo } : {}),
    workload: {
      acks: findings.acks.length,
      failedAttempts: workload.failures.length,
      connections: workload.connections.length,
      failuresByCode: tally(workload.failures, (f) => `${f.phase}:${f.code}`),
      acksByServer: tally(findings.acks, (a) => a.server),
    },
    ...(findings.splitBrain ? { splitBrain: findings.splitBrain } : {}),
    ...(d.ml ? { ml: d.ml } : {}),
    ...(findings.standbyInRecovery !== undefined ? { standbyInRecovery: findings.standbyInRecovery } : {}),
    notifications: d.rig.notifications.map((n) => ({ type: n.type, summary: n.summary, at: n.occurredAt })),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
};
