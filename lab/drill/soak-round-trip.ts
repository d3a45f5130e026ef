/**
 * The soak's round trips (`npm run soak -- --round-trip`): N round trips back to back (./round-trip.ts), each in a
 * fresh world (regions, DNS server, workload), so one cycle that fails leaves the next untouched. Each cycle: an
 * unplanned failover (every process of the primary killed), the old primary back fenced and preserved, its
 * lost-write ledger checked against the workload's own record, rebuilt, lag 0, a planned failback.
 *
 * Per cycle: the outcome, each leg's RTO and RPO, the ledger against the workload, the watch on writable nodes.
 * The soak passes when every cycle succeeded, no failback lost an acknowledged commit (or left its loss
 * uncounted), every ledger matched the workload's record, and two nodes were never writable at once.
 */
import { type Spread, spreadOf } from './aggregate.js';
import type { RoundTripOptions, RoundTripReport } from './round-trip.js';
import { runRoundTrip } from './run-drill.js';
import type { DrillReport } from './types.js';

/** One leg of a cycle, as the drill measured it. */
export interface LegFigures {
  outcome: DrillReport['outcome'] | 'not reached';
  error?: string;
  rtoMs?: number;
  /** Acknowledged commits missing on the leg's new primary (undefined: not counted). */
  rpoLost?: number;
  /** Commits the leg's old primary acknowledged, of which `rpoLost` were lost. */
  acknowledged?: number;
  /** The span of acknowledgement times the lost commits cover. */
  rpoSpanMs?: number;
}

export interface RoundTripCycle {
  cycle: number;
  outcome: 'succeeded' | 'failed' | 'crashed';
  /** Why a crashed cycle crashed (a server that would not start, the failback refused at the lag gate). */
  error?: string;
  out: LegFigures;
  back: LegFigures;
  /** The first leg's lost-write ledger against the workload's record (undefined: the old primary never returned). */
  ledger?: {
    acknowledgedLost: number[];
    inDoubt: number[];
    workloadLost: number[];
    transactionsRead: boolean;
    matches: boolean;
  };
  /** The old primary came back refusing writes and out of DNS. */
  returnedFenced?: boolean;
  rebuildMs?: number;
  catchUpMs?: number;
  writers?: { samples: number; bothWritable: number };
  wallMs: number;
  /** This process's resident memory after the cycle, to show cycles leave nothing behind. */
  rssMbAfter: number;
}

const legOf = (r: DrillReport | undefined): LegFigures => {
  if (!r) return { outcome: 'not reached' };
  return {
    outcome: r.outcome,
    ...(r.execution?.error ? { error: r.execution.error } : {}),
    ...(r.rto ? { rtoMs: r.rto.ms } : {}),
    ...(r.rpo ? { rpoLost: r.rpo.lostCount, acknowledged: r.rpo.acknowledgedByOldPrimary } : {}),
    ...(r.rpo?.spanMs ? { rpoSpanMs: r.rpo.spanMs.ms } : {}),
  };
};

/** A finished round trip as one cycle's figures. */
export const cycleOf = (cycle: number, r: RoundTripReport, wallMs: number, rssMbAfter: number): RoundTripCycle => ({
  cycle,
  outcome: r.outcome,
  out: legOf(r.out),
  back: legOf(r.back),
  ...(r.ledgerCheck && r.ledger
    ? {
        ledger: {
          acknowledgedLost: r.ledgerCheck.acknowledged,
          inDoubt: r.ledgerCheck.inDoubt,
          workloadLost: r.ledgerCheck.workloadLost,
          transactionsRead: r.ledger.transactions !== undefined,
          matches: r.ledgerCheck.matches,
        },
      }
    : {}),
  ...(r.returned ? { returnedFenced: r.returned.writeRejected && r.returned.outOfDns } : {}),
  ...(r.rebuild ? { rebuildMs: r.rebuild.ms, catchUpMs: r.rebuild.catchUp.ms } : {}),
  writers: { samples: r.writers.samples, bothWritable: r.writers.bothWritable },
  wallMs,
  rssMbAfter,
});

/** A cycle that threw before it could report. */
export const crashedCycle = (cycle: number, error: unknown, wallMs: number, rssMbAfter: number): RoundTripCycle => ({
  cycle,
  outcome: 'crashed',
  error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  out: { outcome: 'not reached' },
  back: { outcome: 'not reached' },
  wallMs,
  rssMbAfter,
});

export interface RoundTripSoakSummary {
  cycles: number;
  succeeded: number;
  out: { rtoMs?: Spread; rpoLost?: Spread; rpoSpanMs?: Spread };
  back: { rtoMs?: Spread; rpoLost?: Spread };
  /** Acknowledged commits lost on the way back, per cycle (null: the failback did not finish or was not counted). */
  backLostPerCycle: (number | null)[];
  /** Cycles whose failback succeeded but lost an acknowledged commit, or whose loss was not counted (must be 0). */
  backLosses: number;
  /** Cycles whose ledger did not match the workload's record, or could not be read (must be 0). */
  ledgerMismatches: number;
  /** Samples, over every cycle, in which both nodes were writable (must be 0). */
  bothWritableSamples: number;
  ok: boolean;
}

export const summarizeRoundTrips = (cycles: readonly RoundTripCycle[]): RoundTripSoakSummary => {
  const succeeded = cycles.filter((c) => c.outcome === 'succeeded').length;
  const backLosses = cycles.filter((c) => c.back.outcome === 'succeeded' && c.back.rpoLost !== 0).length;
  const ledgerMismatches = cycles.filter((c) => c.ledger !== undefined && !c.ledger.matches).length;
  const bothWritableSamples = cycles.reduce((n, c) => n + (c.writers?.bothWritable ?? 0), 0);
  return {
    cycles: cycles.length,
    succeeded,
    out: {
      rtoMs: spreadOf(cycles, (c) => c.out.rtoMs),
      rpoLost: spreadOf(cycles, (c) => c.out.rpoLost),
      rpoSpanMs: spreadOf(cycles, (c) => c.out.rpoSpanMs),
    },
    back: { rtoMs: spreadOf(cycles, (c) => c.back.rtoMs), rpoLost: spreadOf(cycles, (c) => c.back.rpoLost) },
    backLostPerCycle: cycles.map((c) => c.back.rpoLost ?? null),
    backLosses,
    ledgerMismatches,
    bothWritableSamples,
    ok:
      cycles.length > 0 &&
      succeeded === cycles.length &&
      backLosses === 0 &&
      ledgerMismatches === 0 &&
      bothWritableSamples === 0,
  };
};

const show = (n: number | undefined) => String(n ?? '—');

/** One line per cycle, as the soak prints it when the cycle ends. */
export const cycleLine = (c: RoundTripCycle, of: number): string =>
  `cycle ${String(c.cycle).padStart(2)}/${of} ${c.outcome.padEnd(9)} ` +
  `out RTO ${show(c.out.rtoMs).padStart(5)} ms RPO ${show(c.out.rpoLost)}/${show(c.out.acknowledged)}  ` +
  `ledger ${c.ledger ? (c.ledger.matches ? `agrees (${c.ledger.acknowledgedLost.length} lost)` : 'DISAGREES') : '—'}  ` +
  `back RTO ${show(c.back.rtoMs).padStart(5)} ms RPO ${show(c.back.rpoLost)}/${show(c.back.acknowledged)}  ` +
  `two writable ${show(c.writers?.bothWritable)}  ${(c.wallMs / 1000).toFixed(1)} s  RSS ${c.rssMbAfter} MB` +
  (c.error ? `  ${c.error}` : c.out.error ? `  ${c.out.error}` : c.back.error ? `  ${c.back.error}` : '');

const fmt = (s: Spread | undefined, unit: string) =>
  s ? `median ${s.median}${unit}, worst ${s.max}${unit} (best ${s.min}${unit}, n ${s.n})` : '—';

/** The soak's closing summary, for people. */
export const summaryLines = (s: RoundTripSoakSummary, wallSeconds: number, out: string): string[] => [
  '',
  `── soak: ${s.cycles} round trips (unplanned out, planned back), each in a fresh world`,
  `  succeeded                          ${s.succeeded}/${s.cycles}`,
  `  out (unplanned) RTO                ${fmt(s.out.rtoMs, ' ms')}`,
  `  out (unplanned) RPO, commits lost  ${fmt(s.out.rpoLost, '')}`,
  `  back (planned) RTO                 ${fmt(s.back.rtoMs, ' ms')}`,
  `  back RPO per cycle (must be 0)     ${s.backLostPerCycle.map((x) => x ?? '—').join(' ')}`,
  `  ledger ≠ workload (must be 0)      ${s.ledgerMismatches}`,
  `  two writable nodes (must be 0)     ${s.bothWritableSamples} samples`,
  `  wall time                          ${wallSeconds} s`,
  `  written to ${out}`,
  s.ok ? '' : '  SOAK FAILED: a cycle failed, a failback lost data, a ledger disagreed, or two nodes were writable',
  '',
];

const rssMb = () => Math.round(process.memoryUsage().rss / 1024 / 1024);

/** Runs `cycles` round trips one after another with `run` (runRoundTrip), reporting each as it ends. */
export const soakRoundTrips = async (
  cycles: number,
  options: RoundTripOptions,
  run: (options: RoundTripOptions) => Promise<RoundTripReport>,
  onCycle?: (c: RoundTripCycle) => void,
): Promise<RoundTripCycle[]> => {
  const figures: RoundTripCycle[] = [];
  for (let i = 1; i <= cycles; i++) {
    const t0 = Date.now();
    let c: RoundTripCycle;
    try {
      const report = await run(options);
      c = cycleOf(i, report, Date.now() - t0, rssMb());
    } catch (error) {
      // A cycle that throws (a server that would not start, the failback refused) is a failed cycle, not the end.
      c = crashedCycle(i, error, Date.now() - t0, rssMb());
    }
    figures.push(c);
    onCycle?.(c);
  }
  return figures;
};

/** `npm run soak -- --round-trip`: the cycles, their summary on stdout, and the result file. True when it passed. */
export const runRoundTripSoak = async (
  cycles: number,
  options: RoundTripOptions,
  io: {
    command: string;
    machine: unknown;
    out: string;
    write: (file: string, result: unknown) => Promise<void>;
    /** Commits made to be lost before each kill (`--lose`; lose-writes.ts), for the record. */
    lose: number;
  },
): Promise<boolean> => {
  const started = Date.now();
  const figures = await soakRoundTrips(cycles, options, runRoundTrip, (c) =>
    process.stdout.write(`${cycleLine(c, cycles)}\n`),
  );
  const summary = summarizeRoundTrips(figures);
  const wallSeconds = Math.round((Date.now() - started) / 100) / 10;
  await io.write(io.out, {
    command: io.command,
    at: new Date(started).toISOString(),
    machine: io.machine,
    settings: {
      cycles,
      ratePerSecond: options.ratePerSecond,
      waitMs: options.waitMs,
      dnsTtlSeconds: options.dnsTtlSeconds,
      lostOnPurposeBeforeEachKill: io.lose,
      world: 'fresh regions, DNS server and workload per cycle',
    },
    definitions: {
      rto: 'per leg: its incident (out: the kill; back: the failback request) → first insert acknowledged on a connection opened after it, on the leg’s new primary',
      rpo: 'per leg: ids acknowledged by the leg’s old primary missing on its new primary, counted there',
      ledger:
        'the old primary’s commits after the fork point (pg_walinspect), mapped to workload ids by xmin: its acknowledged ids must be exactly the ids the workload’s record says the first leg lost',
      bothWritable:
        'samples (both nodes probed every 100 ms, from before the kill to the end) in which both were writable',
    },
    ...summary,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    wallSeconds,
    cyclesRun: figures,
  });
  process.stdout.write(summaryLines(summary, wallSeconds, io.out).join('\n'));
  return summary.ok;
};
