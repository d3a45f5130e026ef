/**
 * `npm run soak` (not in CI): N drills back to back on real PostgreSQL, alternating planned and unplanned, each
 * with fresh regions, DNS server and workload, through the trigger (unplanned: kill + detector + alarm), the real
 * state machine and the real handlers. After each successful run the old primary is restarted and watched
 * (the drill's split-brain check).
 *
 * Reports successes, the planned-mode RPO (must be 0 every time), the split-brain count (must be 0), median and
 * worst RTO per mode, peak memory and wall time, and writes bench/soak.json. Exits non-zero when a planned run
 * lost an acknowledged commit (or its loss could not be counted), a split brain happened, or a run failed.
 *
 * With `--round-trip`: N round trips instead (lab/drill/soak-round-trip.ts; default 10, bench/soak-round-trip.json),
 * each an unplanned failover out and a planned failback, with each leg's RTO and RPO, the lost-write ledger checked
 * against the workload's record, and 0 acknowledged commits lost on the way back. `--lose N`: before each kill the
 * standby stops receiving and the primary acknowledges N more commits alone, so the way out loses them for sure and
 * the ledger has rows to check (lab/drill/lose-writes.ts).
 *
 *   npm run soak -- [--round-trip [--lose N]] [--runs N] [--rate N] [--wait-ms MS] [--ttl S] [--out FILE]
 */

import { type Spread, spreadOf } from '#lab/drill/aggregate.js';
import { loseWritesBeforeKill } from '#lab/drill/lose-writes.js';
import { cleanupDrillsOnSignal, commandLine, machineInfo, parseMeasureArgs, writeResult } from '#lab/drill/measure.js';
import { runDrill } from '#lab/drill/run-drill.js';
import { runRoundTripSoak } from '#lab/drill/soak-round-trip.js';
import { failInOneLine } from '#lab/drill/teardown.js';
import type { DrillMode, DrillOptions } from '#lab/drill/types.js';

failInOneLine('soak');

const roundTrips = process.argv.includes('--round-trip');
const { values, runs } = parseMeasureArgs(
  roundTrips ? { runs: 10, out: 'bench/soak-round-trip.json' } : { runs: 20, out: 'bench/soak.json' },
  { lose: { type: 'string', default: '0' } },
  ['round-trip'],
);
const lose = Number(values.lose);
if (!Number.isInteger(lose) || lose < 0 || (lose > 0 && !roundTrips)) {
  throw new TypeError('--lose N (a whole number) goes with --round-trip');
}
cleanupDrillsOnSignal();

const common: Omit<DrillOptions, 'mode'> = {
  ratePerSecond: Number(values.rate),
  waitMs: Number(values['wait-ms']),
  dnsTtlSeconds: Number(values.ttl),
};
if (roundTrips) {
  const io = { command: commandLine('soak'), machine: machineInfo(), out: values.out, write: writeResult };
  const options = lose > 0 ? { ...common, beforeIncident: loseWritesBeforeKill(lose) } : common;
  process.exit((await runRoundTripSoak(runs, options, { ...io, lose })) ? 0 : 1);
}

interface RunFigures {
  run: number;
  mode: DrillMode;
  outcome: 'succeeded' | 'failed' | 'aborted' | 'crashed';
  error?: string;
  rtoMs?: number;
  /** Acknowledged commits missing on the new primary (undefined: not counted). */
  rpoLost?: number;
  acknowledged?: number;
  fenced?: boolean;
  fenceMethod?: string;
  /** The restarted old primary took no workload write and is out of DNS (undefined: not checked). */
  splitBrainOk?: boolean;
  oldPrimaryWritableOnReturn?: boolean;
  workloadRowsOnOldPrimaryAfterRestart?: number;
  wallMs: number;
  /** This process's resident memory after the run, to show drills leave nothing behind. */
  rssMbAfter: number;
}

const rssMb = () => Math.round(process.memoryUsage().rss / 1024 / 1024);
const started = Date.now();
const figures: RunFigures[] = [];
for (let i = 1; i <= runs; i++) {
  const mode: DrillMode = i % 2 === 1 ? 'planned' : 'unplanned';
  const t0 = Date.now();
  let f: RunFigures;
  try {
    const { report } = await runDrill({ ...common, mode });
    f = {
      run: i,
      mode,
      outcome: report.outcome,
      ...(report.execution?.error ? { error: report.execution.error } : {}),
      ...(report.rto ? { rtoMs: report.rto.ms } : {}),
      ...(report.rpo ? { rpoLost: report.rpo.lostCount, acknowledged: report.rpo.acknowledgedByOldPrimary } : {}),
      ...(report.execution?.fence
        ? { fenced: report.execution.fence.fenced, fenceMethod: report.execution.fence.method }
        : {}),
      ...(report.splitBrain
        ? {
            splitBrainOk: report.splitBrain.ok,
            oldPrimaryWritableOnReturn: !report.splitBrain.writeRejectedOnReturn,
            workloadRowsOnOldPrimaryAfterRestart: report.splitBrain.workloadRowsAfterRestart,
          }
        : {}),
      wallMs: report.wallMs,
      rssMbAfter: rssMb(),
    };
  } catch (error) {
    // A drill that throws (a server that would not start, say) is a failed run of the soak, not the soak's end.
    f = {
      run: i,
      mode,
      outcome: 'crashed',
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      wallMs: Date.now() - t0,
      rssMbAfter: rssMb(),
    };
  }
  figures.push(f);
  process.stdout.write(
    `run ${String(i).padStart(2)}/${runs} ${mode.padEnd(9)} ${f.outcome.padEnd(9)} RTO ${String(f.rtoMs ?? '—').padStart(5)} ms  ` +
      `RPO ${f.rpoLost ?? '—'}/${f.acknowledged ?? '—'}  fenced ${f.fenced ?? '—'}  ` +
      `split brain ${f.splitBrainOk === undefined ? 'not checked' : f.splitBrainOk ? 'none' : 'YES'}  ` +
      `${(f.wallMs / 1000).toFixed(1)} s  RSS ${f.rssMbAfter} MB${f.error ? `  ${f.error}` : ''}\n`,
  );
}

const of = (mode: DrillMode) => figures.filter((f) => f.mode === mode);
const byMode = (mode: DrillMode) => {
  const fs = of(mode);
  return {
    runs: fs.length,
    succeeded: fs.filter((f) => f.outcome === 'succeeded').length,
    rtoMs: spreadOf(fs, (f) => f.rtoMs),
    rpoLost: spreadOf(fs, (f) => f.rpoLost),
    oldPrimaryFenced: fs.filter((f) => f.fenced === true).length,
    oldPrimaryWritableOnReturn: fs.filter((f) => f.oldPrimaryWritableOnReturn === true).length,
  };
};
const planned = byMode('planned');
const unplanned = byMode('unplanned');
const plannedRpo = of('planned').map((f) => f.rpoLost ?? null);
// A successful planned run whose loss could not be counted is not a zero.
const plannedLosses = of('planned').filter((f) => f.outcome === 'succeeded' && f.rpoLost !== 0).length;
const splitBrains = figures.filter((f) => f.splitBrainOk === false).length;
const splitBrainUnchecked = figures.filter((f) => f.splitBrainOk === undefined).length;
const succeeded = figures.filter((f) => f.outcome === 'succeeded').length;
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
const wallSeconds = Math.round((Date.now() - started) / 100) / 10;
const ok = plannedLosses === 0 && splitBrains === 0 && succeeded === runs;

const result = {
  command: commandLine('soak'),
  at: new Date(started).toISOString(),
  machine: machineInfo(),
  settings: { runs, order: 'planned, unplanned, planned, …', ...common },
  definitions: {
    rto: 'incident (kill, or the switchover request) → first insert acknowledged on a connection opened after it, on the new primary',
    rpo: 'ids acknowledged by the old primary missing on the new primary, counted there',
    splitBrain:
      'after the run the old primary is restarted while the workload keeps writing through the DNS name: any workload write on it, or the record still naming it, is a split brain',
  },
  succeeded,
  plannedRpo: { perRun: plannedRpo, allZero: plannedLosses === 0 },
  splitBrains,
  splitBrainUnchecked,
  planned,
  unplanned,
  peakRssMb,
  rssMb: { afterFirstRun: figures[0]?.rssMbAfter, afterLastRun: figures.at(-1)?.rssMbAfter },
  wallSeconds,
  ok,
  runs: figures,
};
await writeResult(values.out, result);

const fmt = (s: Spread | undefined) => (s ? `median ${s.median} ms, worst ${s.max} ms (best ${s.min}, n ${s.n})` : '—');
process.stdout.write(
  [
    '',
    `── soak: ${runs} drills, alternating planned and unplanned`,
    `  succeeded                     ${succeeded}/${runs} (planned ${planned.succeeded}/${planned.runs}, unplanned ${unplanned.succeeded}/${unplanned.runs})`,
    `  planned RPO (must be 0)       ${plannedRpo.map((x) => x ?? '—').join(' ')}`,
    `  unplanned RPO (commits lost)  ${unplanned.rpoLost ? `median ${unplanned.rpoLost.median}, worst ${unplanned.rpoLost.max}` : '—'}`,
    `  split brains (must be 0)      ${splitBrains}${splitBrainUnchecked ? ` (${splitBrainUnchecked} runs not checked: they failed)` : ''}`,
    `  RTO planned                   ${fmt(planned.rtoMs)}`,
    `  RTO unplanned                 ${fmt(unplanned.rtoMs)}`,
    `  peak memory (maxRSS)          ${peakRssMb} MB (RSS after run 1: ${result.rssMb.afterFirstRun} MB, after run ${runs}: ${result.rssMb.afterLastRun} MB)`,
    `  wall time                     ${wallSeconds} s`,
    `  written to ${values.out}`,
    ok ? '' : '  SOAK FAILED: a planned run lost data, a split brain happened, or a run failed',
    '',
  ].join('\n'),
);
process.exit(ok ? 0 : 1);
