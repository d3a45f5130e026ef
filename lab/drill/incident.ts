/**
 * The incident and how the run starts: the primary region lost (every process killed at once, the detector raising
 * the alarm, the real trigger starting the run, or the hand-written baseline acting instead), or an operator
 * starting a planned switchover or an unplanned run by hand.
 */
import type { ExecutionInput } from '#core/input.js';
import type { Plan } from '#core/plan.js';
import { executionName, type TriggerResult, windowStamp } from '#core/trigger.js';
import { withClient } from '../postgres/client.js';
import type { LocalRegions } from '../regions.js';
import { lambdaContext } from '../state-machine.js';
import { type Alarm, type Detector, startDetector } from './detector.js';
import type { Rig } from './rig.js';
import type { Teardown } from './teardown.js';
import { clock, round, sleep } from './time.js';
import type { DrillEnvironment, DrillMode, DrillProgress, DrillReport, Interval } from './types.js';
import { DRILL_ALARM_NAME, type DrillSettings } from './world.js';

/** What the hand-written sequence measured: its two calls and their intervals from the incident. */
export interface BaselineTimes {
  promoteMs: number;
  dnsUpdateMs: number;
  promotion: Interval;
  dnsSwitch: Interval;
}

export interface Incident {
  /** Epoch ms: the kill, or the operator's request. */
  at: number;
  killMs?: number;
  alarm?: Alarm;
  /** The execution the incident started (none for the baseline). */
  runName?: string;
  trigger?: DrillReport['trigger'];
  baseline?: BaselineTimes;
}

export interface IncidentPlan {
  mode: DrillMode;
  start: 'alarm' | 'manual';
  orchestration: 'state-machine' | 'baseline';
}

/** Watches the primary as an alarm would; returns once it has seen it healthy (the alarm's previous state is OK). */
export const armDetector = async (
  env: DrillEnvironment,
  settings: DrillSettings,
  teardown: Teardown,
): Promise<Detector> => {
  const { primary } = env.regions;
  const detector = teardown.add(
    startDetector({
      host: primary.host,
      port: primary.port,
      credentials: env.regions.credentials,
      intervalMs: settings.detectorIntervalMs,
      failuresToAlarm: settings.detectorFailures,
      // The plan's own alarm; turned round (the next incident after a way out), its wayBackAlarms' first.
      alarmName: env.plan.trigger.alarms[0] ?? DRILL_ALARM_NAME,
      accountId: env.plan.accountId,
      region: env.plan.regions.standby,
      clock,
    }),
    (d) => d.stop(),
  );
  while (!detector.probes.some((p) => p.ok)) await sleep(10);
  return detector;
};

/** Every process of the primary killed at once, then the detector's alarm. */
const killAndDetect = async (
  env: DrillEnvironment,
  detector: Detector,
  settings: DrillSettings,
  at: number,
  progress: (p: DrillProgress) => void,
) => {
  const { primary } = env.regions;
  progress({ group: 'incident', step: 'kill primary', status: 'running', at });
  // The whole Region goes dark at once: with the database, an ML platform's replication and metrics.
  const platformLost = env.platform?.regionLost();
  const featureDb = env.featureDb?.pair.primary;
  await Promise.all([primary.kill(), featureDb?.kill()]);
  const killMs = round(clock() - at);
  await platformLost;
  progress({
    group: 'incident',
    step: 'kill primary',
    status: 'done',
    at: clock(),
    ms: killMs,
    detail:
      `postmaster and every backend SIGKILLed at once (${primary.host}:${primary.port}` +
      `${featureDb ? `; the feature metadata's primary ${featureDb.host}:${featureDb.port} with it` : ''})`,
  });
  progress({ group: 'incident', step: 'detection', status: 'running', at: clock() });
  const alarm = await detector.alarm;
  progress({
    group: 'incident',
    step: 'detection',
    status: 'done',
    at: alarm.at,
    ms: round(alarm.at - at),
    detail: `${settings.detectorFailures} failed probes every ${settings.detectorIntervalMs} ms → ${alarm.event.detail.alarmName} in ALARM`,
  });
  return { killMs, alarm };
};

/** The alarm event handed to the real trigger, as EventBridge delivers it. */
const triggerRun = async (rig: Rig, alarm: Alarm, progress: (p: DrillProgress) => void) => {
  const triggerAt = clock();
  const result = (await rig.trigger(alarm.event as never, lambdaContext('trigger', 30_000))) as TriggerResult;
  const report: NonNullable<DrillReport['trigger']> = {
    outcome: result.outcome,
    ms: round(clock() - triggerAt),
    ...(result.executionName ? { executionName: result.executionName } : {}),
    ...('reason' in result ? { reason: result.reason } : {}),
  };
  progress({
    group: 'incident',
    step: 'trigger',
    status: result.outcome === 'started' ? 'done' : 'failed',
    at: clock(),
    ms: report.ms,
    detail: `${result.outcome}${result.executionName ? ` ${result.executionName}` : ''}${'reason' in result ? `: ${result.reason}` : ''}`,
  });
  if (result.outcome !== 'started') throw new Error(`the trigger did not start a run: ${JSON.stringify(result)}`);
  return { runName: result.executionName, trigger: report };
};

/** An operator starts the run (StartExecution with a manual input). */
const startByHand = async (rig: Rig, plan: Plan, mode: DrillMode, at: number, progress: (p: DrillProgress) => void) => {
  const input: ExecutionInput = {
    plan: plan.name,
    mode,
    dryRun: false,
    reason:
      mode === 'planned'
        ? 'drill: planned switchover to the standby region'
        : 'drill: operator declares the primary region lost',
    requestedBy: 'drill:operator',
    incidentStartedAt: new Date(at).toISOString(),
    overrideCooldown: false,
    trigger: { kind: 'manual', source: 'scripts/drill.ts' },
  };
  const runName = executionName(plan.name, 'manual', windowStamp(new Date(at), 1));
  progress({
    group: 'incident',
    step: mode === 'planned' ? 'switchover request' : 'manual start',
    status: 'done',
    at,
    detail: runName,
  });
  const started = await rig.executions.start(runName, input);
  return { runName, trigger: { outcome: started.outcome, executionName: runName, ms: round(clock() - at) } };
};

/** The baseline: the same alarm handled by the minimal hand-written sequence, pg_promote then the DNS UPSERT. */
const handByHand = async (
  regions: LocalRegions,
  plan: Plan,
  incidentAt: number,
  progress: (p: DrillProgress) => void,
): Promise<BaselineTimes> => {
  const p0 = clock();
  await withClient(regions.standby.connectionConfig(), (c) => c.query('SELECT pg_promote(true, 60)'));
  const p1 = clock();
  progress({ group: 'state', step: 'pg_promote', status: 'done', at: p1, ms: round(p1 - p0) });
  if (plan.dns.kind !== 'local') throw new Error('the drill plan uses the local DNS server');
  const base = `http://${plan.dns.controlEndpoint}`;
  const put = await fetch(`${base}/records/${encodeURIComponent(plan.dns.recordName)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ address: regions.standby.host, ttl: plan.dns.ttl }),
  });
  const { changeId } = (await put.json()) as { changeId: string };
  const d1 = clock();
  for (;;) {
    const status = (await (await fetch(`${base}/changes/${changeId}`)).json()) as { status: string };
    if (status.status === 'INSYNC') break;
    await sleep(10);
  }
  const d2 = clock();
  progress({ group: 'state', step: 'DNS UPSERT', status: 'done', at: d2, ms: round(d2 - p1) });
  return {
    promoteMs: round(p1 - p0),
    dnsUpdateMs: round(d1 - p1),
    promotion: { start: round(p0 - incidentAt), end: round(p1 - incidentAt), ms: round(p1 - p0) },
    dnsSwitch: { start: round(p1 - incidentAt), end: round(d2 - incidentAt), ms: round(d2 - p1) },
  };
};

/** The incident happens now; returns once the run has started (or the baseline has finished). */
export const strike = async (
  env: DrillEnvironment,
  rig: Rig,
  how: IncidentPlan,
  detector: Detector | undefined,
  settings: DrillSettings,
  progress: (p: DrillProgress) => void,
): Promise<Incident> => {
  const at = clock();
  if (how.start === 'manual' || !detector) return { at, ...(await startByHand(rig, env.plan, how.mode, at, progress)) };
  const { killMs, alarm } = await killAndDetect(env, detector, settings, at, progress);
  if (how.orchestration === 'baseline') {
    return { at, killMs, alarm, baseline: await handByHand(env.regions, env.plan, at, progress) };
  }
  return { at, killMs, alarm, ...(await triggerRun(rig, alarm, progress)) };
};
