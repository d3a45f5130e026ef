/**
 * The drill's round trip: there and back again, with the workload writing throughout.
 *
 * 1. Out (unplanned): every process of the primary killed, the alarm, the trigger, the state machine promotes the
 *    standby and moves DNS (the drill's own phases, ./incident.ts).
 * 2. The old primary returns: its data directory preserved as it was, started fenced (never writable), the
 *    lost-write ledger read from it and checked against the workload's own record of acknowledged commits.
 * 3. Rebuilt in reverse: re-cloned from the new primary, streaming, caught up (lag 0), or the failback is refused.
 * 4. Back (planned): the same state machine, as the stack of the other region runs it, with the plan oriented from
 *    the current writer (core/direction.ts): fence, catch up, promote, move DNS; 0 acknowledged commits lost.
 *    Or, with `secondIncident`, the next incident instead: the new primary killed, the alarm watching it from the
 *    plan's primary region (trigger.wayBackAlarms), and that region's stack failing over to the rebuilt old primary.
 */
import { orientPlan } from '#core/direction.js';
import type { ExecutionInput } from '#core/input.js';
import type { LostWriteLedger } from '#core/ledger.js';
import type { Plan } from '#core/plan.js';
import { executionName, windowStamp } from '#core/trigger.js';
import { withClient } from '../postgres/client.js';
import {
  type CatchUp,
  preserveDataDir,
  readLedger,
  rebuildAsStandby,
  requireCaughtUp,
  startFenced,
} from '../postgres/rejoin.js';
import type { LocalRegions } from '../regions.js';
import { assembleReport, callsOf, outcomeOf } from './assemble.js';
import { checkAfterRun, countLost, measureRto } from './checks.js';
import { armDetector, type Incident, type IncidentPlan, strike } from './incident.js';
import { buildRig, type Rig } from './rig.js';
import { writeRejected } from './sql.js';
import type { Teardown } from './teardown.js';
import { clock, round } from './time.js';
import type { DrillEnvironment, DrillOptions, DrillProgress, DrillReport } from './types.js';
import { WORKLOAD_TABLE } from './workload.js';
import { DRILL_RECORD, type DrillSettings, settingsOf, startWorld } from './world.js';
import { watchWriters } from './writers.js';

export type RoundTripOptions = Omit<DrillOptions, 'mode' | 'start' | 'orchestration' | 'keep'> & {
  /** How long the rebuilt standby has to reach lag 0 before the failback is refused (default 15 s). */
  catchUpTimeoutMs?: number;
  /** Called once the old primary is rebuilt and streaming, before the catch-up gate (tests pause replay here). */
  beforeFailback?: (env: DrillEnvironment) => Promise<void>;
  /**
   * Instead of the planned failback, the next incident: once the old primary is rebuilt and caught up, the new
   * primary's region is lost too (killed), and the primary region's stack fails over to the rebuilt old primary,
   * unplanned, started by its trigger.wayBackAlarms alarm.
   */
  secondIncident?: boolean;
};

/** The ledger's rows, told apart by the workload's own record. */
export interface LedgerCheck {
  /** Workload ids the ledger's transactions wrote on the old primary. */
  ledgerIds: number[];
  /** Each of them with the transaction that wrote it, and whether the workload saw it acknowledged. */
  rows: { id: number; xid: string; acknowledged: boolean }[];
  /** Of those, acknowledged to the workload: the acknowledged commits really lost. */
  acknowledged: number[];
  /** Of those, never acknowledged (the kill came between commit and acknowledgement): in doubt for the client. */
  inDoubt: number[];
  /** Acknowledged by the old primary and missing on the new one, as the workload's record and the new primary say. */
  workloadLost: number[];
  /** The ledger's acknowledged ids are exactly the workload's lost ones, and every other one is an attempt in doubt. */
  matches: boolean;
}

export interface RoundTripReport {
  outcome: 'succeeded' | 'failed';
  out: DrillReport;
  /** `at` (ISO-8601) and `ms`: when the return began and how long preserving, starting fenced and the ledger took. */
  returned?: { preservedDataDir: string; writeRejected: boolean; outOfDns: boolean; at?: string; ms?: number };
  ledger?: LostWriteLedger;
  ledgerCheck?: LedgerCheck;
  /** `at` (ISO-8601): when the re-clone began; `ms` until lag 0. */
  rebuild?: { ms: number; catchUp: CatchUp; at?: string };
  back?: DrillReport;
  /** Both nodes probed every 100 ms from before the kill to the end. */
  writers: { samples: number; bothWritable: number; dnsAnswers: string[] };
}

const swapped = (regions: LocalRegions): LocalRegions => ({
  ...regions,
  primary: regions.standby,
  standby: regions.primary,
});

/**
 * An unplanned failover, measured as the drill measures it (RTO, RPO), the lost writer left dark. Leg 1: from the
 * plan's primary. The next incident (`stack`): `env` turned round, run by the stack of the plan's primary region,
 * which holds the plan as written.
 */
const goOut = async (
  env: DrillEnvironment,
  options: RoundTripOptions,
  settings: DrillSettings,
  teardown: Teardown,
  stack?: { region: string; plan: Plan },
) => {
  const progress = (p: DrillProgress) => options.onProgress?.(p);
  const how: IncidentPlan = { mode: 'unplanned', start: 'alarm', orchestration: 'state-machine' };
  const rigEnv = stack ? { ...env, plan: stack.plan } : env;
  const rig = await buildRig(rigEnv, options, settings.waitMs, progress, stack?.region);
  const detector = await armDetector(env, settings, teardown);
  if (!stack) await options.beforeIncident?.(env);
  const incident = await strike(env, rig, how, detector, settings, progress);
  const run = incident.runName ? await rig.executions.result(incident.runName) : undefined;
  await detector.stop();
  const calls = callsOf(rig, incident);
  const detectionMs = incident.alarm ? incident.alarm.at - incident.at : 0;
  const overheadOf = (ms: number) => round(ms - detectionMs - (calls.promoteMs ?? 0) - (calls.dnsUpdateMs ?? 0));
  const succeeded = outcomeOf(how, run) === 'succeeded';
  const { rto } = succeeded ? await measureRto(env, incident.at, overheadOf, progress) : {};
  const acks = [...env.workload.acks];
  const rpo = succeeded ? await countLost(env.regions, acks, incident.at) : undefined;
  const findings = { ...(rto ? { rto } : {}), ...(rpo ? { rpo } : {}), acks };
  return { how, rig, detector, incident, ...(run ? { run } : {}), findings };
};

/** The old primary's return: preserved, started fenced, out of DNS, and its ledger read and checked. */
const comeBack = async (env: DrillEnvironment, lost: readonly number[], progress: (p: DrillProgress) => void) => {
  const { primary, standby } = env.regions;
  const started = clock();
  const preservedDataDir = await preserveDataDir(primary, new Date().toISOString().replace(/[:.]/g, '-'));
  await startFenced(primary);
  const seen = {
    preservedDataDir,
    writeRejected: await writeRejected(primary.connectionConfig()),
    outOfDns: env.dns.get(DRILL_RECORD)?.address !== primary.host,
  };
  const ledger = await readLedger(standby, primary);
  const ledgerCheck = await checkLedger(env, ledger, lost);
  const returned = { ...seen, at: new Date(started).toISOString(), ms: round(clock() - started) };
  progress({
    group: 'check',
    step: 'old primary back, fenced; lost-write ledger',
    status: returned.writeRejected && returned.outOfDns && ledgerCheck.matches ? 'done' : 'failed',
    at: clock(),
    ms: round(clock() - started),
    detail: `preserved at ${preservedDataDir}; ${ledger.detail}; ${ledgerLine(ledgerCheck)}`,
  });
  return { returned, ledger, ledgerCheck };
};

export const ledgerLine = (c: LedgerCheck): string =>
  `${c.acknowledged.length} acknowledged commit(s) lost in the ledger [${c.acknowledged.join(', ')}], ` +
  `${c.inDoubt.length} unacknowledged; the workload's record says ${c.workloadLost.length} lost: ` +
  (c.matches ? 'they agree' : 'THEY DISAGREE');

/** The workload ids the ledger's transactions wrote, read on the old primary by inserting transaction (xmin). */
const checkLedger = async (env: DrillEnvironment, ledger: LostWriteLedger, lost: readonly number[]) => {
  const xids = (ledger.transactions ?? []).map((t) => t.xid);
  const found = await withClient(env.regions.primary.connectionConfig(), async (c) => {
    const r = await c.query<{ id: string; xid: string }>(
      `SELECT id, xmin::text AS xid FROM ${WORKLOAD_TABLE} WHERE xmin::text = ANY($1::text[]) ORDER BY id`,
      [xids],
    );
    return r.rows.map((row) => ({ id: Number(row.id), xid: row.xid }));
  });
  const ledgerIds = found.map((r) => r.id);
  const acked = new Set(env.workload.acks.map((a) => a.id));
  const rows = found.map((r) => ({ ...r, acknowledged: acked.has(r.id) }));
  const tried = new Set(env.workload.failures.filter((f) => f.phase === 'insert').map((f) => f.id));
  const acknowledged = ledgerIds.filter((id) => acked.has(id));
  const inDoubt = ledgerIds.filter((id) => !acked.has(id));
  const same = acknowledged.length === lost.length && lost.every((id) => acknowledged.includes(id));
  const matches = ledger.transactions !== undefined && same && inDoubt.every((id) => tried.has(id));
  return { ledgerIds, rows, acknowledged, inDoubt, workloadLost: [...lost], matches };
};

/** Rebuilt from the new primary, then the gate: lag 0, or the failback is refused with nothing changed. */
const rebuild = async (env: DrillEnvironment, options: RoundTripOptions, progress: (p: DrillProgress) => void) => {
  const { primary, standby } = env.regions;
  const started = clock();
  await rebuildAsStandby(primary, standby, env.regions.credentials);
  await options.beforeFailback?.(env);
  const caught = await requireCaughtUp(standby, primary, options.catchUpTimeoutMs ?? 15_000);
  const ms = round(clock() - started);
  progress({
    group: 'check',
    step: 'rebuilt as standby, lag 0',
    status: 'done',
    at: clock(),
    ms,
    detail: `${primary.host} re-cloned from ${standby.host}, streaming, replayed up to ${caught.replayLsn} in ${caught.ms} ms`,
  });
  return { ms, catchUp: caught, at: new Date(started).toISOString() };
};

/** The operator's `dr-failover failback`: a planned run of trigger kind `failback`, which Prepare checks. */
const startFailback = async (rig: Rig, plan: Plan, progress: (p: DrillProgress) => void): Promise<Incident> => {
  const at = clock();
  const input: ExecutionInput = {
    plan: plan.name,
    mode: 'planned',
    dryRun: false,
    reason: 'drill: back to the first region, rebuilt and caught up',
    requestedBy: 'drill:operator',
    incidentStartedAt: new Date(at).toISOString(),
    overrideCooldown: false,
    trigger: { kind: 'failback', source: 'lab/drill/round-trip.ts' },
  };
  const runName = executionName(plan.name, 'failback', windowStamp(new Date(at), 1));
  progress({ group: 'incident', step: 'failback request', status: 'done', at, detail: runName });
  const started = await rig.executions.start(runName, input);
  return { at, runName, trigger: { outcome: started.outcome, executionName: runName, ms: round(clock() - at) } };
};

/** Leg 2: the planned failback, run by the other region's stack with the plan oriented from the current writer. */
const comeHome = async (
  env: DrillEnvironment,
  options: RoundTripOptions,
  settings: DrillSettings,
  t0: number,
): Promise<DrillReport> => {
  const progress = (p: DrillProgress) => options.onProgress?.(p);
  const back: DrillEnvironment = { ...env, regions: swapped(env.regions), plan: orientPlan(env.plan, 'standby') };
  const how: IncidentPlan = { mode: 'planned', start: 'manual', orchestration: 'state-machine' };
  // The other region's stack holds the same plan as written: its Prepare observes the pair the other way round.
  const rig = await buildRig({ ...back, plan: env.plan }, options, settings.waitMs, progress, env.plan.regions.primary);
  const startedAt = new Date();
  const incident = await startFailback(rig, env.plan, progress);
  const run = incident.runName ? await rig.executions.result(incident.runName) : undefined;
  const calls = callsOf(rig, incident);
  const overheadOf = (ms: number) => round(ms - (calls.promoteMs ?? 0) - (calls.dnsUpdateMs ?? 0));
  const findings = await checkAfterRun(
    back,
    {
      succeeded: outcomeOf(how, run) === 'succeeded',
      mode: 'planned',
      incidentAt: incident.at,
      keep: false,
      splitBrainWindowMs: settings.splitBrainWindowMs,
    },
    overheadOf,
    progress,
  );
  return assembleReport({
    how,
    settings,
    startedAt,
    t0,
    env: back,
    rig,
    incident,
    ...(run ? { run } : {}),
    findings,
  });
};

/** The next incident instead of the failback: the writer's region lost, the primary region's stack failing over. */
const secondIncident = async (
  env: DrillEnvironment,
  options: RoundTripOptions,
  settings: DrillSettings,
  teardown: Teardown,
  t0: number,
): Promise<DrillReport> => {
  const back: DrillEnvironment = { ...env, regions: swapped(env.regions), plan: orientPlan(env.plan, 'standby') };
  const startedAt = new Date();
  const leg = await goOut(back, options, settings, teardown, { region: env.plan.regions.primary, plan: env.plan });
  return assembleReport({ settings, startedAt, t0, env: back, ...leg });
};

/**
 * Why the round trip refuses a platform, or undefined when it runs it. Its way back rebuilds and fails back the
 * drill's one pair; an ML platform's other parts would need their own way back, which the lab does not model.
 */
export const roundTripRefusal = (platform: DrillOptions['platform']): string | undefined =>
  platform === 'ml-platform'
    ? '--round-trip does not run --plan ml-platform yet: its way back rebuilds the registry pair as the new ' +
      "primary's standby and fails it back, but the platform's other parts have no way back in the lab (the " +
      "feature metadata pair rebuilt as its new primary's standby, the artifacts' replication reversed, serving " +
      'capacity returned). Run the ML platform one way (--mode unplanned or planned), or the round trip with ' +
      '--plan database'
    : undefined;

/** The round trip's phases; what a phase could not reach stays out of the report. */
export const roundTrip = async (options: RoundTripOptions, teardown: Teardown): Promise<RoundTripReport> => {
  const refusal = roundTripRefusal(options.platform);
  if (refusal) throw new TypeError(refusal);
  const settings = settingsOf({ ...options, mode: 'unplanned' });
  const progress = (p: DrillProgress) => options.onProgress?.(p);
  const startedAt = new Date();
  const t0 = clock();
  const env = await startWorld(settings, options, teardown, progress);
  // The ledger reads the old primary's WAL through pg_walinspect, which a fenced server cannot create.
  await withClient(env.regions.primary.connectionConfig(), (c) =>
    c.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect'),
  );
  const nodes = [env.regions.primary, env.regions.standby];
  const watch = teardown.add(watchWriters(nodes, env.dns, DRILL_RECORD), (w) => w.stop());
  const leg = await goOut(env, options, settings, teardown);
  const out = assembleReport({ settings, startedAt, t0, env, ...leg });
  const writers = () => ({
    samples: watch.samples.length,
    bothWritable: watch.bothWritable().length,
    dnsAnswers: [...new Set(watch.samples.map((s) => s.dns ?? 'none'))],
  });
  if (out.outcome !== 'succeeded' || !out.rpo) return { outcome: 'failed', out, writers: writers() };
  const back = await comeBack(env, out.rpo.lostIds, progress);
  const rebuilt = await rebuild(env, options, progress);
  const home = options.secondIncident
    ? await secondIncident(env, options, settings, teardown, t0)
    : await comeHome(env, options, settings, t0);
  await watch.stop();
  const ok =
    home.outcome === 'succeeded' &&
    // A failback loses nothing; the next incident is unplanned: its RPO is measured, not bounded.
    (options.secondIncident || home.rpo?.lostCount === 0) &&
    back.ledgerCheck.matches &&
    back.returned.writeRejected &&
    watch.bothWritable().length === 0;
  return { outcome: ok ? 'succeeded' : 'failed', out, ...back, rebuild: rebuilt, back: home, writers: writers() };
};
