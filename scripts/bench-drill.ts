/**
 * `npm run bench:drill`: the project's headline figures. K unplanned drills (trigger + state machine + handlers)
 * and, in the same run, K baselines: the same kill, the same detector and workload, then only `pg_promote` and
 * the DNS UPSERT by hand; and the other traffic mechanisms (routing controls, with Route 53's control plane stand-in
 * up and down, the health-check take-over with it down, and the UPSERT with it down). Writes bench/drill.json and prints the medians, the ratio drill/baseline, the
 * orchestration overhead (RTO − detection − promote call − DNS call) and the peak memory.
 *
 *   npm run bench:drill -- [--runs K] [--rate N] [--detector-interval MS] [--wait-ms MS]
 */

import { PEERS, PHYSICAL_FLOOR_MS, type Spread, spreadOf } from '#lab/drill/aggregate.js';
import { deployedEstimates, estimateLines } from '#lab/drill/estimate.js';
import { cleanupDrillsOnSignal, commandLine, machineInfo, parseMeasureArgs, writeResult } from '#lab/drill/measure.js';
import { runDrill } from '#lab/drill/run-drill.js';
import { failInOneLine } from '#lab/drill/teardown.js';
import type { DrillOptions, DrillReport } from '#lab/drill/types.js';

failInOneLine('bench:drill');

const { values, runs } = parseMeasureArgs(
  { runs: 5, out: 'bench/drill.json' },
  { 'detector-interval': { type: 'string', default: '500' } },
);
cleanupDrillsOnSignal();

const common: DrillOptions = {
  mode: 'unplanned',
  ratePerSecond: Number(values.rate),
  detectorIntervalMs: Number(values['detector-interval']),
  waitMs: Number(values['wait-ms']),
  dnsTtlSeconds: Number(values.ttl),
};

const figures = (r: DrillReport) => ({
  outcome: r.outcome,
  rtoMs: r.rto?.ms,
  detectionMs: r.phases.detection?.ms,
  promoteCallMs: r.calls.promoteMs,
  dnsCallMs: r.calls.dnsUpdateMs,
  overheadMs: r.rto?.overheadMs,
  clientReconnectMs: r.phases.clientReconnect?.ms,
  // Kill → the record answers the new primary: the failover's own time, before clients' cached answers expire.
  switchedMs: r.phases.clientReconnect?.start,
  rpoLost: r.rpo?.lostCount,
  splitBrainOk: r.splitBrain?.ok,
  wallMs: r.wallMs,
});

/**
 * The other traffic mechanisms, in the same run: the drill above moves traffic by UPSERT with Route 53's control
 * plane (the DNS server's control API) up. Retries of a call that cannot succeed are shortened (reported).
 */
const MECHANISMS: { name: string; options: Partial<DrillOptions> }[] = [
  { name: 'routing-control', options: { traffic: 'routing-control' } },
  { name: 'routing-control, control plane down', options: { traffic: 'routing-control', controlPlane: 'down' } },
  { name: 'health-check, control plane down', options: { traffic: 'health-check', controlPlane: 'down' } },
  { name: 'upsert, control plane down', options: { traffic: 'upsert', controlPlane: 'down', retryIntervalMs: 10 } },
];

const drills: DrillReport[] = [];
const baselines: DrillReport[] = [];
const byMechanism = new Map<string, DrillReport[]>(MECHANISMS.map((m) => [m.name, []]));
const started = Date.now();
const line = (i: number, label: string, report: DrillReport) => {
  const f = figures(report);
  process.stdout.write(
    `run ${i}/${runs} ${label.padEnd(13)} ${report.outcome.padEnd(9)} RTO ${String(f.rtoMs ?? '—').padStart(5)} ms  ` +
      `detection ${f.detectionMs} ms  promote ${f.promoteCallMs} ms  DNS ${f.dnsCallMs} ms  overhead ${f.overheadMs} ms  ` +
      `RPO ${f.rpoLost ?? '—'}\n`,
  );
};
// Interleaved, so that drift in the machine's load touches every side alike.
for (let i = 1; i <= runs; i++) {
  for (const orchestration of ['state-machine', 'baseline'] as const) {
    const { report } = await runDrill({ ...common, orchestration });
    (orchestration === 'baseline' ? baselines : drills).push(report);
    line(i, orchestration, report);
  }
  for (const m of MECHANISMS) {
    const { report } = await runDrill({ ...common, ...m.options });
    byMechanism.get(m.name)?.push(report);
    line(i, m.name, report);
  }
}

const summary = (reports: DrillReport[]) => {
  const of = (f: (r: DrillReport) => number | undefined) => spreadOf(reports, f);
  const errors = [...new Set(reports.flatMap((r) => (r.execution?.error ? [r.execution.error] : [])))];
  return {
    succeeded: reports.filter((r) => r.outcome === 'succeeded').length,
    ...(errors.length > 0 ? { errors } : {}),
    rtoMs: of((r) => r.rto?.ms),
    detectionMs: of((r) => r.phases.detection?.ms),
    promoteCallMs: of((r) => r.calls.promoteMs),
    dnsCallMs: of((r) => r.calls.dnsUpdateMs),
    overheadMs: of((r) => r.rto?.overheadMs),
    clientReconnectMs: of((r) => r.phases.clientReconnect?.ms),
    switchedMs: of((r) => r.phases.clientReconnect?.start),
    rpoLost: of((r) => r.rpo?.lostCount),
    wallMs: of((r) => r.wallMs),
  };
};
const drill = summary(drills);
const baseline = summary(baselines);
const ratio =
  drill.rtoMs && baseline.rtoMs ? Math.round((drill.rtoMs.median / baseline.rtoMs.median) * 100) / 100 : undefined;
const switchRatio =
  drill.switchedMs && baseline.switchedMs
    ? Math.round((drill.switchedMs.median / baseline.switchedMs.median) * 100) / 100
    : undefined;
// What a deployed run of each shipped plan would take: the plan's intervals, these drills' step times, the
// cold starts of bench/cold.json, and AWS's documented operation times as stated assumptions.
const estimates = deployedEstimates(drills, 'bench/cold.json', 'plans');
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
const result = {
  command: commandLine('bench:drill'),
  at: new Date(started).toISOString(),
  machine: machineInfo(),
  settings: {
    runs,
    ...common,
    dnsTtlSeconds: drills[0]?.options.dnsTtlSeconds,
    detectorFailures: drills[0]?.options.detectorFailures,
  },
  definitions: {
    rto: 'kill → first insert acknowledged on a connection opened after the kill (on the new primary)',
    rpo: 'ids acknowledged by the old primary missing on the new primary',
    overhead: 'RTO − detection − promote call − DNS UPSERT call (orchestration, waits, checks, client reconnect)',
    baseline: 'same kill, detector and workload; then pg_promote and the DNS UPSERT, no state machine, no handlers',
    switched:
      'kill → the DNS record answers the new primary (clients then still wait out their cached answer, up to the TTL)',
  },
  drill,
  baseline,
  mechanisms: [
    { name: 'upsert', runs: drills.length, ...drill },
    ...MECHANISMS.map((m) => ({
      name: m.name,
      runs: byMechanism.get(m.name)?.length ?? 0,
      ...summary(byMechanism.get(m.name) ?? []),
    })),
  ],
  ratioDrillToBaseline: ratio,
  switchRatioDrillToBaseline: switchRatio,
  overheadDifferenceMs:
    drill.overheadMs && baseline.overheadMs ? drill.overheadMs.median - baseline.overheadMs.median : undefined,
  deployedRtoEstimates: estimates,
  peakRssMb,
  wallSeconds: Math.round((Date.now() - started) / 100) / 10,
  peers: { ...Object.fromEntries(PEERS.map((p) => [p.name, p.rtoSeconds])), physicalFloorMs: PHYSICAL_FLOOR_MS },
  runs: { drill: drills.map(figures), baseline: baselines.map(figures) },
};
await writeResult(values.out, result);

const fmt = (s: Spread | undefined) => (s ? `${s.median} ms (${s.min}–${s.max})` : '—');
process.stdout.write(
  [
    '',
    `── ${runs} unplanned drills vs ${runs} baselines (median, min–max)`,
    `  RTO, drill (trigger + state machine + handlers)   ${fmt(drill.rtoMs)}`,
    `  RTO, baseline (pg_promote + DNS UPSERT by hand)   ${fmt(baseline.rtoMs)}`,
    `  ratio drill / baseline                            ${ratio ?? '—'}`,
    `  kill → DNS switched, drill / baseline             ${fmt(drill.switchedMs)} / ${fmt(baseline.switchedMs)} (ratio ${switchRatio ?? '—'})`,
    `  orchestration overhead, drill                     ${fmt(drill.overheadMs)}`,
    `  orchestration overhead, baseline                  ${fmt(baseline.overheadMs)}`,
    `  detection (both)                                  ${fmt(drill.detectionMs)} / ${fmt(baseline.detectionMs)}`,
    `  RPO (acknowledged commits lost)                   drill ${drill.rpoLost?.max ?? '—'} max, baseline ${baseline.rpoLost?.max ?? '—'} max`,
    ...result.mechanisms.map(
      (m) =>
        `  RTO, ${m.name.padEnd(44)}${m.succeeded === m.runs ? fmt(m.rtoMs) : `${m.succeeded}/${m.runs} succeeded ${m.errors?.join(', ') ?? ''}`}`,
    ),
    ...estimateLines(estimates),
    `  peak memory (maxRSS)                              ${peakRssMb} MB`,
    `  wall time                                         ${result.wallSeconds} s`,
    `  written to ${values.out}`,
    '',
  ].join('\n'),
);
// The upsert run with the control plane down is expected to fail: it shows what the data plane avoids.
const expected = result.mechanisms.filter((m) => !m.name.startsWith('upsert, control plane down'));
process.exit(baseline.succeeded === runs && expected.every((m) => m.succeeded === m.runs) ? 0 : 1);
