/**
 * The local drill as a library: one real regional failover on this machine, measured end to end.
 *
 * Two embedded PostgreSQL "regions" on loopback (primary + streaming standby), the loopback DNS server, a write
 * workload that reaches the database through DNS (./world.ts); the real handlers, definition and trigger
 * (./rig.ts); a disaster: every process of the primary killed at once and a detector that turns failed probes
 * into a real-shaped `CloudWatch Alarm State Change` event, or a planned switchover request (./incident.ts); the
 * run; the checks of RTO, split brain and RPO (./checks.ts); the report (./assemble.ts). Only Wait states are
 * shortened (reported).
 *
 * scripts/drill.ts, scripts/bench-drill.ts, scripts/soak.ts and the integration tests all call runDrill().
 */
import { assembleReport, callsOf, lastStateOf, outcomeOf } from './assemble.js';
import { checkAfterRun } from './checks.js';
import { featureDbFindings } from './feature-db.js';
import { armDetector, type IncidentPlan, strike } from './incident.js';
import { mlFindings } from './platform.js';
import { buildRig } from './rig.js';
import { type RoundTripOptions, type RoundTripReport, roundTrip } from './round-trip.js';
import { Teardown } from './teardown.js';
import { clock, round } from './time.js';
import type { DrillOptions, DrillProgress, DrillResult } from './types.js';
import { settingsOf, startWorld } from './world.js';

const incidentPlanOf = (options: DrillOptions): IncidentPlan => {
  const how: IncidentPlan = {
    mode: options.mode,
    start: options.mode === 'planned' ? 'manual' : (options.start ?? 'alarm'),
    orchestration: options.orchestration ?? 'state-machine',
  };
  if (how.orchestration === 'baseline' && (how.mode !== 'unplanned' || how.start !== 'alarm')) {
    throw new TypeError('the baseline handles the unplanned, alarm-started drill only');
  }
  return how;
};

/** The phases of one drill, each taking what it needs and returning what it made. */
const drill = async (options: DrillOptions, teardown: Teardown): Promise<DrillResult> => {
  const how = incidentPlanOf(options);
  const settings = settingsOf(options);
  const progress = (p: DrillProgress) => options.onProgress?.(p);
  const startedAt = new Date();
  const t0 = clock();

  const env = await startWorld(settings, options, teardown, progress);
  const rig = await buildRig(env, options, settings.waitMs, progress);
  const detector = how.start === 'alarm' ? await armDetector(env, settings, teardown) : undefined;
  await options.beforeIncident?.(env);
  const incident = await strike(env, rig, how, detector, settings, progress);
  const run = incident.runName ? await rig.executions.result(incident.runName) : undefined;

  const calls = callsOf(rig, incident);
  const detectionMs = incident.alarm ? incident.alarm.at - incident.at : 0;
  const overheadOf = (rtoMs: number) => round(rtoMs - detectionMs - (calls.promoteMs ?? 0) - (calls.dnsUpdateMs ?? 0));
  const findings = await checkAfterRun(
    env,
    {
      succeeded: outcomeOf(how, run) === 'succeeded',
      mode: how.mode,
      incidentAt: incident.at,
      keep: options.keep === true,
      splitBrainWindowMs: settings.splitBrainWindowMs,
    },
    overheadOf,
    progress,
  );
  const state = lastStateOf(run);
  const featureDb = env.featureDb
    ? await featureDbFindings(env.featureDb, {
        nameserver: env.dns.nameserver,
        mode: how.mode,
        incidentAt: incident.at,
        events: run?.events ?? [],
        components: state?.components,
      })
    : undefined;
  const ml = env.platform
    ? await mlFindings(env.platform, env.regions, state, incident.at, settings.ml, featureDb)
    : undefined;

  const report = assembleReport({
    how,
    settings,
    ...(options.retryIntervalMs !== undefined ? { retryIntervalMs: options.retryIntervalMs } : {}),
    startedAt,
    t0,
    env,
    rig,
    ...(detector ? { detector } : {}),
    incident,
    ...(run ? { run } : {}),
    findings,
    ...(ml ? { ml } : {}),
  });
  const result = { report, acks: findings.acks, notifications: rig.notifications };
  return options.keep ? { ...result, kept: { ...env, cleanup: () => teardown.run() } } : result;
};

/** Runs one drill. Everything it starts is stopped and removed before it returns (unless `keep`). */
export const runDrill = async (options: DrillOptions): Promise<DrillResult> => {
  // The handlers log through Powertools; the drill shows its own progress instead. Set before they are imported.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  const teardown = new Teardown();
  try {
    const result = await drill(options, teardown);
    if (!options.keep) await teardown.run();
    return result;
  } catch (error) {
    await teardown.run();
    throw error;
  }
};

/** Runs the round trip (./round-trip.ts). Everything it starts is stopped and removed before it returns. */
export const runRoundTrip = async (options: RoundTripOptions): Promise<RoundTripReport> => {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  const teardown = new Teardown();
  try {
    return await roundTrip(options, teardown);
  } finally {
    await teardown.run();
  }
};
